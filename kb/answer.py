"""Grounded, extractive answers: the retrieved sentences that best answer a question.

The answer is made of sentences copied from the retrieved passages, each
followed by ``[n]``, the number of the passage it was copied from. Before an
answer leaves this module every ``[n]`` is checked against the listed sources:
a sentence whose source is missing or does not contain it is dropped.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kb.abstain import Coverage, Signals, should_abstain
from kb.checklist import load_checklist
from kb.compose import Candidate, compose
from kb.currency import load_currency
from kb.models import Answer, AnswerSentence, Citation, Passage, Quote
from kb.search import hybrid_search
from kb.settings import Settings
from kb.store import Index

__all__ = [
    "AnswerTools",
    "Answerer",
    "assemble",
    "Sentence",
    "citation_problems",
    "retrieval_query",
    "split_sentences",
]

# How many of the retrieved passages sentences are drawn from, and how many
# passages the closeness score looks at.
SOURCE_PASSAGES = 5
CLOSENESS_PASSAGES = 3

# Paragraph breaks, bullets starting a line, and sentence ends followed by a capital.
_BREAK = re.compile(
    r"\n\s*\n|\n(?=[ \t]*[•▪●◦\-–*][ \t])|(?<=[.!?])[\"”’)]?[ \t\n]+(?=[\"“‘(]?[A-Z0-9£•])"
)
_BULLET = re.compile(r"^[•▪●◦\-–*]\s+")
_END = re.compile(r"[.!?][\"”’)]?$")
_URL = re.compile(r"https?://|www\.|\.gov\.uk|\.org|\.com", re.I)
_CITE = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class Sentence:
    """A sentence of a passage: its display text and its span in the passage text."""

    text: str
    start: int
    end: int = 0


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of a passage worth quoting, in reading order.

    Headings and questions, short bullet fragments, link lists and the cut-off
    sentences at the ends of a chunk are left out. Each sentence's text, with
    whitespace collapsed, occurs in the passage between ``start`` and ``end``.
    """
    pieces: list[tuple[int, int]] = []
    at = 0
    for m in _BREAK.finditer(text):
        pieces.append((at, m.start()))
        at = m.end()
    pieces.append((at, len(text)))
    out: list[Sentence] = []
    for start, end in pieces:
        raw = text[start:end]
        body = _BULLET.sub("", raw.strip())
        body = " ".join(body.split())
        words = body.split()
        if len(words) < 6 or len(words) > 70 or not re.search(r"[a-z]", body):
            continue
        if len(_URL.findall(body)) and len(words) < 12:
            continue
        if not body[0].isupper() and not body[0].isdigit() and body[0] not in '£"“‘(':
            continue  # a list item or the tail of a sentence begun elsewhere: not whole
        if body.endswith(":"):
            continue  # the lead-in to a list says nothing without the list
        if body.rstrip('"”’)').endswith("?"):
            continue  # a heading or one of the guide's own questions never answers one
        if not _END.search(body):
            continue  # a heading, or cut off at a page or chunk boundary: not whole
        offset = text.find(body.split()[0], start)
        offset = offset if offset >= 0 else start
        last = body.split()[-1]
        tail = text.rfind(last, offset, end)
        out.append(Sentence(body, offset, tail + len(last) if tail >= 0 else end))
    return out


def _collapse(text: str) -> str:
    return " ".join(text.split())


def retrieval_query(question: str, history: Sequence[Any] | None = None, limit: int = 2000) -> str:
    """The text to retrieve with: a follow-up question is read with the turns before it.

    Args:
        question: the new question.
        history: earlier turns, oldest first: ``{"role", "content"}`` dicts (only
            the user's turns are used) or plain strings (earlier questions).
        limit: the longest query returned, in characters.
    """
    turns = [t for t in (_user_text(h) for h in history or ()) if t]
    resolved = ""
    for turn in [*turns, question]:
        resolved = f"{resolved} {turn}" if resolved and is_follow_up(turn) else turn
    return resolved[-limit:].strip()


def _user_text(turn: Any) -> str:
    if isinstance(turn, str):
        return _collapse(turn)
    if isinstance(turn, dict) and turn.get("role", "user") == "user":
        return _collapse(str(turn.get("content") or ""))
    return ""


_FOLLOW_UP_START = re.compile(
    r"^(and|but|also|so|then|what about|how about|what of|same for|what if|how does that|"
    r"is that|are they|does it|do they)\b",
    re.I,
)
_ANAPHORA = re.compile(r"\b(it|its|they|them|their|this|that|these|those|there|he|she)\b", re.I)


def is_follow_up(question: str) -> bool:
    """A question that leans on the previous turn ("and the costs?", "what about for waste?")."""
    words = question.split()
    return bool(
        _FOLLOW_UP_START.match(question.strip())
        or len(words) <= 3
        or (len(words) <= 8 and _ANAPHORA.search(question))
    )


def citation_problems(answer: Answer) -> list[str]:
    """Why an extractive answer's citations cannot be trusted; empty when they can.

    Every sentence must cite a listed source whose passage contains it, every
    source must be cited, and the text must be the sentences with their ``[n]``.
    """
    if answer.abstained:
        return (
            ["an abstention cites sources"] if answer.citations or _CITE.search(answer.text) else []
        )
    problems = []
    if not answer.citations or not answer.sentences:
        problems.append("no sources")
    sources = {c.n: c for c in answer.citations}
    if len(sources) != len(answer.citations):
        problems.append("two sources share a number")
    for s in answer.sentences:
        citation = sources.get(s.n)
        if citation is None:
            problems.append(f"[{s.n}] points at no listed source")
        elif _collapse(s.text) not in _collapse(citation.passage.chunk.text):
            problems.append(f"[{s.n}] does not contain: {s.text[:80]}")
        elif not any(
            _collapse(citation.passage.chunk.text[q.start : q.end]) == _collapse(s.text)
            for q in citation.quotes
        ):
            problems.append(f"[{s.n}] has no quote span for: {s.text[:80]}")
    if answer.text != " ".join(f"{s.text} [{s.n}]" for s in answer.sentences):
        problems.append("the text is not the cited sentences")
    if set(sources) - {s.n for s in answer.sentences}:
        problems.append(
            f"sources never cited: {sorted(set(sources) - {s.n for s in answer.sentences})}"
        )
    return problems


class _BuildCache:
    """What answering needs from one build: unit chunk vectors and the vocabulary."""

    def __init__(self, index: Index) -> None:
        vectors = index.embeddings().astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self.vectors = vectors / np.where(norms == 0, 1, norms)
        self.row = {cid: i for i, cid in enumerate(index.order)}
        texts: list[str] = []
        for chunk in index.chunks.values():
            texts += [chunk.text, chunk.section_label]
        for record in index.documents.values():
            texts += [str(v) for v in record.meta.to_dict().values() if v]
        self.coverage = Coverage.from_texts(texts)
        self.sentences: dict[str, list[Sentence]] = {}


@dataclass(frozen=True)
class Assessment:
    """A question as retrieved and judged: its set-aside names, passages and signals."""

    names: tuple[str, ...]
    set_aside: list[str]
    qvec: np.ndarray
    passages: list[Passage]
    signals: Signals


@dataclass(frozen=True)
class AnswerTools:
    """What the answer builder uses, handed in by its owner (kb.api.KnowledgeBase).

    The builder never reaches back into the knowledge base: it gets the current
    build, a way to embed a question and a batch of texts, the search it answers
    from, and (optionally) case-study matching.
    """

    index: Callable[[], Index]
    embed_query: Callable[[str], list[float]]
    embed_texts: Callable[[list[str]], Any]
    clean_query: Callable[[str], str]
    match_cases: Callable[..., list[Any]] | None = None


class Answerer:
    """Builds answers over one knowledge base; caches sentence vectors across questions."""

    def __init__(self, settings: Settings, tools: AnswerTools) -> None:
        self.settings = settings
        self.tools = tools
        self._lock = threading.Lock()
        self._build: tuple[str, _BuildCache] | None = None
        self._sentence_vectors: dict[str, np.ndarray] = {}

    # -- caches ---------------------------------------------------------------------
    def build_cache(self, index: Index) -> _BuildCache:
        with self._lock:
            if self._build is None or self._build[0] != index.build_id:
                self._build = (index.build_id, _BuildCache(index))
            return self._build[1]

    def sentences_of(self, cache: _BuildCache, passage: Passage) -> list[Sentence]:
        found = cache.sentences.get(passage.chunk.id)
        if found is None:
            chunk = passage.chunk
            garbled = getattr(chunk, "is_garbled", None)
            found = [
                s
                for s in split_sentences(chunk.text)
                if not (garbled is not None and garbled(s.start, s.end))
            ]
            cache.sentences[chunk.id] = found
        return found

    def sentence_vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for sentences, embedding only the ones not seen before."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._sentence_vectors]
        if missing:
            vectors = np.asarray(self.tools.embed_texts(missing), np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            self._sentence_vectors.update(zip(missing, vectors, strict=True))
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.vstack([self._sentence_vectors[t] for t in texts])

    def warm(self) -> None:
        """Embed every sentence of the library and the checklist now, so asks stay fast."""
        index = self.tools.index()
        cache = self.build_cache(index)
        texts = []
        for chunk_id in index.order:
            passage = Passage(index.chunks[chunk_id], 0.0, 0)
            texts += [s.text for s in self.sentences_of(cache, passage)]
        self.sentence_vectors(texts)
        self.checklist().vectors(self.tools.embed_texts)
        self.case_studies("sharing services between councils")  # loads the case library

    def checklist(self) -> Any:
        return load_checklist(self.settings.corpus_dir / "checklist.yaml")

    # -- answering --------------------------------------------------------------------
    def answer(self, question: str, history: Sequence[Any] | None = None) -> Answer:
        """A grounded answer; see :meth:`kb.api.KnowledgeBase.answer`."""
        question = self.tools.clean_query(question)
        query = retrieval_query(question, history, self.settings.max_question_chars)
        index = self.tools.index()
        cache = self.build_cache(index)
        view = self.assess(cache, index, query)
        passages, signals, set_aside, qvec = view.passages, view.signals, view.set_aside, view.qvec
        if not passages or self.should_abstain(signals):
            return self.abstention(question, passages, signals.closeness, list(view.names))
        answer = self.compose_answer(question, cache, qvec, passages[:SOURCE_PASSAGES])
        answer.score = signals.closeness
        if set_aside:
            answer.scope_note = (
                f"The library does not mention {join_names(set_aside)} specifically; "
                "this is what it says in general."
            )
        if self.settings.llm_base_url and self.settings.llm_model:
            from kb.llm import answer_with_llm

            answer = answer_with_llm(self.settings, question, passages[:SOURCE_PASSAGES], answer)
        self.attach_extras(answer, query, qvec, passages)
        return answer

    def assess(self, cache: _BuildCache, index: Index, query: str) -> Assessment:
        """Retrieve for a query and gather what the abstention decision rests on.

        Names the library never mentions (the asker's council, a supplier) are set
        aside: the question is retrieved and judged on what it asks about.
        """
        names = cache.coverage.unknown_terms(query)
        set_aside = [n for n in names if is_about_the_asker(n, query)]
        topic = strip_terms(query, set_aside) if set_aside else query
        qvec = np.asarray(self.tools.embed_query(topic), dtype=np.float32)
        qvec /= np.linalg.norm(qvec) or 1.0
        passages = hybrid_search(
            index, topic, qvec.tolist(), self.settings, max(self.settings.top_k, SOURCE_PASSAGES)
        )
        signals = self.signals(cache, topic, qvec, passages, names)
        return Assessment(tuple(names), set_aside, qvec, passages, signals)

    def signals(
        self,
        cache: _BuildCache,
        query: str,
        qvec: np.ndarray,
        passages: list[Passage],
        names: Sequence[str] | None = None,
    ) -> Signals:
        """What the abstention decision rests on (see :mod:`kb.abstain`).

        Only names of later laws and years count as unknown: a council, place or
        product the library never mentions says who is asking, not what about.
        """
        names = cache.coverage.unknown_terms(query) if names is None else names
        return Signals(
            self.closeness(cache, qvec, passages),
            tuple(n for n in names if not is_about_the_asker(n, query)),
            tuple(cache.coverage.unfamiliar_words(strip_terms(query, names))),
        )

    def should_abstain(self, signals: Signals) -> bool:
        s = self.settings
        return should_abstain(
            signals,
            s.abstain_threshold,
            s.abstain_unknown_threshold,
            s.abstain_unfamiliar_threshold,
        )

    def closeness(self, cache: _BuildCache, qvec: np.ndarray, passages: list[Passage]) -> float:
        """Mean of the best passage cosine and the best sentence cosine in the top passages.

        The sentence half keeps the signal steady when chunks grow (a longer
        chunk's vector is further from any one question); together they
        separated out-of-scope questions better than either alone.
        """
        top = passages[:CLOSENESS_PASSAGES]
        rows = [cache.row[p.chunk.id] for p in top if p.chunk.id in cache.row]
        if not rows:
            return 0.0
        best_chunk = float((cache.vectors[rows] @ qvec).max())
        sentences = [s.text for p in top for s in self.sentences_of(cache, p)]
        if not sentences:
            return best_chunk
        best_sentence = float((self.sentence_vectors(sentences) @ qvec).max())
        return 0.5 * best_chunk + 0.5 * best_sentence

    def candidates(self, cache: _BuildCache, passages: list[Passage]) -> list[Candidate]:
        return [
            Candidate(p, s.text, s.start, s.end, i)
            for p in passages
            for i, s in enumerate(self.sentences_of(cache, p))
        ]

    def compose_answer(
        self, question: str, cache: _BuildCache, qvec: np.ndarray, passages: list[Passage]
    ) -> Answer:
        """The lead sentence and its support, numbered by source and verified."""
        candidates = self.candidates(cache, passages)
        vectors = self.sentence_vectors([c.text for c in candidates])
        composition = compose(question, candidates, vectors, qvec, self.settings.answer_words)
        return assemble(question, composition.chosen, composition.more)

    def abstention(
        self, question: str, passages: list[Passage], closeness: float, unknown: list[str]
    ) -> Answer:
        topics = nearest_topics(passages)
        text = "The documents in this library do not cover that question"
        later = [n for n in unknown if not is_about_the_asker(n, question)]
        if later:
            text += f" (they never mention {', '.join(later[:3])})"
        text += "."
        return Answer(question=question, text=text, abstained=True, topics=topics, score=closeness)

    def attach_extras(
        self, answer: Answer, query: str, qvec: np.ndarray, passages: list[Passage]
    ) -> None:
        """Currency notices, case studies and checklist items for an answer.

        Notices are about what the answer says: its own quoted sentences and the
        question, not everything a cited passage happens to mention.
        ``query`` is the retrieval query: a follow-up read with the turns before it.
        """
        facts = load_currency(self.settings.corpus_dir / "currency.yaml")
        said = [(s.n, s.text) for s in answer.sentences] + [(0, answer.question)]
        answer.notices += facts.notices_for(said)
        cited = [c.passage for c in answer.citations] or passages[:3]
        answer.checklist = self.checklist().related(qvec, cited, self.tools.embed_texts)
        answer.case_studies = self.case_studies(query)

    def case_studies(self, question: str) -> list[dict[str, Any]]:
        if self.tools.match_cases is None:
            return []
        out = []
        for match in self.tools.match_cases(question[-self.settings.max_question_chars :], k=3):
            if match.score < self.settings.answer_case_min_score:
                break  # best first: the rest fit even less
            out.append({"id": match.record.id, "title": match.record.title, "reason": match.reason})
        return out


def assemble(
    question: str,
    chosen: Sequence[Candidate],
    more: Sequence[Candidate] = (),
    backend: str = "extractive",
) -> Answer:
    """An answer record from chosen sentences: sources numbered in order of first use.

    Each sentence is verified against its passage; one that is not there verbatim
    (whitespace aside) is dropped, so every ``[n]`` points at a passage that says it.
    """
    numbers: dict[str, int] = {}
    passages: dict[int, Passage] = {}
    quotes: dict[int, list[Quote]] = {}
    sentences: list[AnswerSentence] = []
    for c in chosen:
        if _collapse(c.text) not in _collapse(c.passage.chunk.text):
            continue
        n = numbers.setdefault(c.passage.chunk.id, len(numbers) + 1)
        passages[n] = c.passage
        quotes.setdefault(n, []).append(Quote(c.text, c.start, c.end))
        sentences.append(AnswerSentence(c.text, n))
    citations = [Citation(n, passages[n], tuple(quotes[n])) for n in sorted(passages)]
    return Answer(
        question=question,
        text=" ".join(f"{s.text} [{s.n}]" for s in sentences),
        abstained=not sentences,
        citations=citations,
        backend=backend,
        sentences=sentences,
        more=[
            {
                "text": c.text,
                "doc_id": c.passage.chunk.doc_id,
                "title": c.passage.chunk.title,
                "section": c.passage.chunk.section_label,
                "page_label": c.passage.chunk.page_label,
                "date": c.passage.chunk.date_label,
                "chunk_id": c.passage.chunk.id,
            }
            for c in more
        ],
    )


_LAW = re.compile(r"^(Act|Acts|Regulations?|Bill|Directive|Order|Code)$")


def is_later_law(term: str) -> bool:
    """A year or a law the library never mentions: the question is about something newer."""
    return bool(re.fullmatch(r"(19|20)\d\d", term)) or bool(_LAW.match(term))


_ASKER_CUE = re.compile(
    r"\b(we'?re|we are|as|our|use|uses|using|run|runs|at|in|from|with|for|and|like)\s+(the\s+)?$",
    re.I,
)


def is_about_the_asker(term: str, question: str) -> bool:
    """A name that says who is asking or what they use, not what they ask about.

    A council, place or product ("We're Swale", "our SAP system", "Can Cornwall
    Council…") is set aside; a later law, a year, or a bare acronym the library
    never uses ("What GDPR agreement…") is what the question is about.
    """
    if is_later_law(term):
        return False
    if not term.isupper():
        return True
    at = question.find(term)
    return at > 0 and bool(_ASKER_CUE.search(question[:at]))


def strip_terms(question: str, terms: Sequence[str]) -> str:
    """The question with the given names taken out (for judging what it asks about)."""
    out = question
    for term in terms:
        out = re.sub(rf"\b{re.escape(term)}\b", " ", out)
    return " ".join(out.split()) or question


def join_names(names: Sequence[str]) -> str:
    names = list(dict.fromkeys(names))[:4]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def nearest_topics(passages: Sequence[Passage], k: int = 3) -> list[str]:
    """Section titles of the best passages, e.g. "Is sharing legal? (guide, 2011)"."""
    topics: list[str] = []
    for p in passages:
        c = p.chunk
        section = c.section[-1] if c.section else c.title
        if section in ("Useful resources", "Contacts") and len(c.section) > 1:
            section = c.section[-2]
        label = (
            f"{section} ({c.title}, {c.date_label})"
            if section != c.title
            else f"{c.title} ({c.date_label})"
        )
        if label not in topics:
            topics.append(label)
        if len(topics) == k:
            break
    return topics


def format_answer(answer: Answer) -> str:
    """The answer as plain text for a terminal: text, sources, notices, cases, checklist."""
    lines = [answer.text, ""]
    if answer.scope_note:
        lines += [answer.scope_note, ""]
    if answer.citations:
        lines.append("Sources")
        for c in answer.citations:
            ch = c.passage.chunk
            where = ", ".join(x for x in (ch.section_label, ch.page_label) if x)
            lines.append(f"[{c.n}] {ch.title} ({ch.date_label}) — {where}")
            body = " ".join(ch.text.split())
            lines.append("    " + body[:300] + ("…" if len(body) > 300 else ""))
        lines.append("")
    for notice in answer.notices:
        lines += [f"Note: {notice}", ""]
    if answer.more:
        lines.append("More from the library")
        lines += [f"- {m['text']} ({m['title']}, {m['date']})" for m in answer.more]
        lines.append("")
    if answer.case_studies:
        lines.append("Case studies")
        lines += [f"- {c['title']}: {c['reason']}" for c in answer.case_studies]
        lines.append("")
    if answer.checklist:
        lines.append("Questions the guide asks on this topic")
        lines += [f"- {item.question}" for item in answer.checklist]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
