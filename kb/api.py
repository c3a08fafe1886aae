"""The knowledge base: the one Python API the CLI, the app and evaluation share."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from kb.core.records import SearchFilters
from kb.core.results import Answer, Passage
from kb.core.settings import Settings, get_settings
from kb.core.store import Index, IndexStore, StoreUnavailableError, server_url
from kb.retrieval.search import MODES, focus_vector, hybrid_search


class QueryError(ValueError):
    """A query the knowledge base cannot take; the message is for the user."""


def build_model(index: Index) -> str | None:
    """The embedding model a build recorded, if it is still on disk (else the active one)."""
    model = index.info.get("embed_model")
    if not model:
        return None
    looks_like_path = "/" in model and not model.startswith("sentence-transformers/")
    return model if not looks_like_path or Path(model).exists() else None


class KnowledgeBase:
    """Search over the current build; reopens by itself after an ingest."""

    def __init__(
        self,
        settings: Settings | None = None,
        store: IndexStore | None = None,
        embedder: Any | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.store = store or IndexStore(self.settings)
        self._embedder = embedder
        self._embedder_given = embedder is not None
        self._embedder_model: str | None = None
        self._index: Index | None = None
        self._lock = threading.Lock()
        self._answerer: Any | None = None
        self._query_vectors: dict[str, list[float]] = {}

    @property
    def embedder(self) -> Any:
        """The model the current build was embedded with (queries must use the same one)."""
        index = self.index
        if self._embedder is None:
            from kb.core.model_registry import active_model
            from kb.core.query_encoder import query_encoder

            model = build_model(index)
            self._embedder = query_encoder(
                model or active_model(self.settings),
                self.settings.embed_device,
                self.settings.embed_batch_size,
            )
            self._embedder_model = model
        return self._embedder

    @property
    def index(self) -> Index:
        """The current build, reopened when an ingest has switched to a new one."""
        current = self.store.current_id()
        with self._lock:
            if self._index is None or (current and current != self._index.build_id):
                self._index = self.store.open()
                if not self._embedder_given and build_model(self._index) != self._embedder_model:
                    # A build made with another model (e.g. the tuned one just switched
                    # to): its vectors only answer queries embedded by that model.
                    self._embedder = None
                    self._answerer = None
                    self._query_vectors = {}
            return self._index

    def clean_query(self, query: str) -> str:
        text = "".join(ch if ch.isprintable() else " " for ch in (query or "")).strip()
        if not text:
            raise QueryError("Please type a question.")
        if len(text) > self.settings.max_question_chars:
            raise QueryError(
                f"That question is {len(text):,} characters long; please keep it under "
                f"{self.settings.max_question_chars:,}."
            )
        return " ".join(text.split())

    def embed_query(self, query: str) -> list[float]:
        # One question is embedded by answer, case matching and checklist alike: embed once.
        cached = self._query_vectors.get(query)
        if cached is None:
            cached = list(self.embedder.get_query_embedding(query))
            with self._lock:
                if len(self._query_vectors) >= 256:
                    self._query_vectors.pop(next(iter(self._query_vectors)))
                self._query_vectors[query] = cached
        return list(cached)

    def forget_query_vectors(self) -> None:
        """Forget the questions embedded so far, by either model (a timing run pays for
        embedding each question in each configuration)."""
        with self._lock:
            self._query_vectors = {}
        if self._answerer is not None:
            self._answerer.forget_queries()

    def search(
        self,
        query: str,
        k: int | None = None,
        filters: SearchFilters | None = None,
        mode: str = "hybrid",
    ) -> list[Passage]:
        """Passages for a query, best first.

        Args:
            query: the question or keywords.
            k: how many passages (default ``settings.top_k``).
            filters: restrict to documents, kinds or a section.
            mode: ``hybrid`` (default), ``dense`` or ``bm25``.
        """
        if mode not in MODES:
            raise QueryError(f"Unknown search mode {mode!r}; use one of {', '.join(MODES)}.")
        k = self.settings.top_k if k is None else k  # k=0 is an error, not the default
        if k < 1 or k > 100:
            raise QueryError("k must be between 1 and 100.")
        query = self.clean_query(query)
        index = self.index
        embedding = self.embed_query(query) if mode != "bm25" else None
        built_dim = index.info.get("embed_dim")
        if embedding is not None and built_dim and len(embedding) != built_dim:
            # Chroma's own error here names no cause; say which setting to fix.
            raise StoreUnavailableError(
                f"The index was built with a {built_dim}-dimensional embedding model, but "
                f"KB_EMBED_MODEL gives {len(embedding)} dimensions; run `kb ingest` to re-embed."
            )
        focus = focus_vector(query, self.settings, self.embed_query) if embedding else None
        if mode != "hybrid" or self.settings.rerank_answer_weight <= 0:
            return hybrid_search(index, query, embedding, self.settings, k, filters, mode, focus)
        # The second stage's answer-sentence signal (kb.retrieval.rerank).
        cache = self.answerer.build_cache(index)
        scores = self.answerer.sentence_scores(cache, query)
        found = hybrid_search(
            index, query, embedding, self.settings, k, filters, mode, focus, scores
        )
        cache.answer_vectors.save()  # the next process loads the sentences scored here
        return found

    @property
    def answerer(self) -> Any:
        """The answer builder (kb.answers.answerer.Answerer), with its sentence-vector cache."""
        if self._answerer is None:
            from kb.answers.answerer import Answerer, AnswerTools

            self._answerer = Answerer(
                self.settings,
                AnswerTools(
                    index=lambda: self.index,
                    embed_query=self.embed_query,
                    embed_texts=lambda texts: self.embedder.get_text_embedding_batch(texts),
                    clean_query=self.clean_query,
                    match_cases=self.match_cases,
                    embed_stock=self.embed_stock if self._adapted() else None,
                    case_about=self.case_about,
                    **self._answer_sentence_tools(),
                ),
            )
        return self._answerer

    def _answer_sentence_tools(self) -> dict[str, Any]:
        """How answers embed sentences and the question with the answer-sentence model
        (kb/tuning/answer_sentences.py) when the build's model has one; nothing otherwise."""
        if self._embedder_given or not self.settings.tune_sentences:
            return {}
        from kb.core.model_registry import active_model, answer_sentence_model, read_info
        from kb.core.query_encoder import query_encoder

        model = answer_sentence_model(build_model(self.index) or active_model(self.settings))
        if model is None:
            return {}
        # The model is retrained in place when only its own settings change: its hash
        # tells the encoder cache and the saved vectors which training they belong to.
        revision = str((read_info(Path(model)) or {}).get("hash", ""))

        def encoder() -> Any:  # loaded on first use; cached across builds by path
            return query_encoder(
                model, self.settings.embed_device, self.settings.embed_batch_size, revision
            )

        return {
            "embed_answer_texts": lambda texts: encoder().get_text_embedding_batch(texts),
            "embed_answer_query": lambda text: encoder().get_query_embedding(text),
            "answer_model_id": revision,
        }

    def _adapted(self) -> bool:
        """Whether the current build was embedded by a model other than the stock one."""
        if self._embedder_given:
            return False
        from kb.core.model_registry import active_model

        model = build_model(self.index) or active_model(self.settings)
        return model != self.settings.embed_model

    def embed_stock(self, texts: list[str]) -> list[list[float]]:
        """Texts embedded by the stock model (``embed_model``), loaded on first use."""
        from kb.core.query_encoder import query_encoder

        encoder = query_encoder(
            self.settings.embed_model, self.settings.embed_device, self.settings.embed_batch_size
        )
        return [list(v) for v in encoder.get_text_embedding_batch(texts)]

    def answer(self, question: str, history: list[Any] | None = None) -> Answer:
        """A grounded answer with verified ``[n]`` citations, or an abstention.

        Args:
            question: the user's question.
            history: earlier turns, oldest first (``{"role", "content"}`` dicts or
                earlier questions); a follow-up question is retrieved with them.
        Returns:
            An :class:`~kb.core.results.Answer`; ``answer.to_dict()`` is the JSON form.
        """
        return self.answerer.answer(question, history)

    def case_library(self) -> Any:
        """The current build's case-study records, reviewed data applied (a CaseLibrary)."""
        from kb.cases.library import REVIEWED_FILE
        from kb.cases.matching import library_for

        return library_for(self.index, self.settings.corpus_dir / REVIEWED_FILE)

    def case_about(self, chunk: Any, start: int, text: str) -> str:
        """The case study ``text``, quoted from ``chunk`` at ``start``, is from, when the
        quote does not name it (kb.cases.names); "" when it is from none."""
        from kb.cases.names import unnamed_source

        return unnamed_source(self.case_library().at(chunk, start), text)

    def cases(
        self,
        service: str | None = None,
        model: str | None = None,
        council_type: str | None = None,
        kind: str | None = None,
    ) -> list[Any]:
        """Case-study records (kb.core.records.CaseRecord), filtered; None means any.

        Args:
            service: a service of the vocabulary, or part of one ("revenues").
            model: a sharing model ("joint committee", "company or joint venture" ...).
            council_type: "district", "county", "unitary", "London borough" ...
            kind: "full" (the guide's case studies) or "short" (named examples).
        """
        from kb.cases.library import filter_cases

        return filter_cases(self.case_library().records, service, model, council_type, kind)

    def match_cases(self, text: Any, k: int = 5) -> list[Any]:
        """Case studies that fit a question or situation, best first (kb.cases.matching.CaseMatch).

        Each match has ``.record``, ``.score`` and ``.reason`` (why it matched, in
        words). ``text`` may also be a profile dict (see kb.cases.matching.profile_text).
        """
        from kb.cases.matching import profile_text

        if k < 1 or k > 100:
            raise QueryError("k must be between 1 and 100.")
        question = self.clean_query(profile_text(text))
        library = self.case_library()
        # The case heads are embedded through the build's saved sentence vectors, so a
        # new process (a cold `kb ask`) loads them instead of embedding them again.
        embed = self.answerer.build_cache(self.index).sentence_vectors
        return library.match(question, self.embed_query(question), k, embed)

    def stats(self) -> dict[str, Any]:
        index = self.index
        return {
            "build_id": index.build_id,
            "indexed_at": index.info.get("created"),
            "model": index.info.get("embed_model"),
            "documents": len(index.documents),
            "chunks": len(index.chunks),
            "by_document": {d: len(r.chunk_ids) for d, r in index.documents.items()},
            "chroma": server_url(self.settings)
            if self.settings.chroma_host
            else str(index.path / "chroma"),
        }
