"""Grounded, extractive answers: the retrieved sentences that best answer a question.

The answer is made of sentences copied from the retrieved passages, each
followed by ``[n]``, the number of the passage it was copied from. Before an
answer leaves this module every ``[n]`` is checked against the listed sources:
a sentence whose source is missing or does not contain it is dropped.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from kb.abstain import Coverage, Signals, should_abstain
from kb.checklist import load_checklist
from kb.currency import load_currency
from kb.models import Answer, Citation, Passage
from kb.search import hybrid_search

if TYPE_CHECKING:
    from kb.api import KnowledgeBase
    from kb.store import Index

__all__ = [
    "Answerer",
    "Sentence",
    "citation_problems",
    "retrieval_query",
    "split_sentences",
]

# How many of the retrieved passages sentences are drawn from, and how many
# passages the closeness score looks at.
SOURCE_PASSAGES = 5
CLOSENESS_PASSAGES = 3
MIN_SENTENCES, MAX_SENTENCES = 3, 6
# MMR trade-off between relevance and novelty (Carbonell & Goldstein 1998).
MMR_LAMBDA = 0.7
# After the minimum, stop adding sentences this much less relevant than the best.
RELEVANCE_DROP = 0.15
# A sentence this similar to one already chosen says the same thing.
DUPLICATE = 0.9

# Paragraph breaks, bullets starting a line, and sentence ends followed by a capital.
_BREAK = re.compile(
    r"\n\s*\n|\n(?=[ \t]*[•▪●◦\-–*][ \t])|(?<=[.!?])[\"”’)]?[ \t\n]+(?=[\"“‘(]?[A-Z0-9£•])"
)
_BULLET = re.compile(r"^[•▪●◦\-–*]\s+")
_END = re.compile(r"[.!?;)\"”’]$")
_URL = re.compile(r"https?://|www\.|\.gov\.uk|\.org|\.com", re.I)
_CITE = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class Sentence:
    """A sentence of a passage: its display text and where it starts in the passage."""

    text: str
    start: int


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of a passage worth quoting, in reading order.

    Headings, short bullet fragments, link lists and the cut-off sentences at
    the ends of a chunk are left out. Each sentence's text, with whitespace
    collapsed, occurs in the passage.
    """
    pieces: list[tuple[int, int]] = []
    at = 0
    for m in _BREAK.finditer(text):
        pieces.append((at, m.start()))
        at = m.end()
    pieces.append((at, len(text)))
    out: list[Sentence] = []
    for i, (start, end) in enumerate(pieces):
        raw = text[start:end]
        body = _BULLET.sub("", raw.strip())
        body = " ".join(body.split())
        words = body.split()
        if len(words) < 6 or len(words) > 70 or not re.search(r"[a-z]", body):
            continue
        if len(_URL.findall(body)) and len(words) < 12:
            continue
        if i == 0 and start == 0 and body[0].islower():
            continue  # the tail of a sentence that began in the previous chunk
        if body.endswith(":"):
            continue  # the lead-in to a list says nothing without the list
        if not _END.search(body):
            if i == len(pieces) - 1 or len(words) < 10:
                continue  # cut off at the chunk's end, or a heading
        offset = text.find(body.split()[0], start)
        out.append(Sentence(body, offset if offset >= 0 else start))
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


def verify_citations(
    pairs: Iterable[tuple[str, int]], sources: dict[int, Passage]
) -> list[tuple[str, int]]:
    """Keep only sentences whose ``[n]`` is a listed source whose text contains them."""
    kept = []
    for sentence, n in pairs:
        passage = sources.get(n)
        if passage is not None and _collapse(sentence) in _collapse(passage.chunk.text):
            kept.append((sentence, n))
    return kept


def citation_problems(answer: Answer) -> list[str]:
    """Why an extractive answer's citations cannot be trusted; empty when they can.

    Every sentence must end with ``[n]``, every ``n`` must be a listed source,
    and that source's passage must contain the sentence.
    """
    if answer.abstained:
        return (
            ["an abstention cites sources"] if answer.citations or _CITE.search(answer.text) else []
        )
    problems = []
    if not answer.citations:
        problems.append("no sources")
    sources = {c.n: c.passage for c in answer.citations}
    if len(sources) != len(answer.citations):
        problems.append("two sources share a number")
    text = answer.text
    used = set()
    for m in re.finditer(r"(.+?)\s*\[(\d+)\]", text):
        sentence, n = m.group(1).strip(), int(m.group(2))
        used.add(n)
        if n not in sources:
            problems.append(f"[{n}] points at no listed source")
        elif _collapse(sentence) not in _collapse(sources[n].chunk.text):
            problems.append(f"[{n}] does not contain: {sentence[:80]}")
    if _CITE.sub("", re.sub(r"(.+?)\s*\[(\d+)\]", "", text)).strip():
        problems.append("text after the last citation has no source")
    if set(sources) - used:
        problems.append(f"sources never cited: {sorted(set(sources) - used)}")
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


class Answerer:
    """Builds answers for one knowledge base; caches sentence vectors across questions."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.settings = kb.settings
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
            found = cache.sentences[passage.chunk.id] = split_sentences(passage.chunk.text)
        return found

    def sentence_vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for sentences, embedding only the ones not seen before."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._sentence_vectors]
        if missing:
            vectors = np.asarray(self.kb.embedder.get_text_embedding_batch(missing), np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            self._sentence_vectors.update(zip(missing, vectors, strict=True))
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.vstack([self._sentence_vectors[t] for t in texts])

    def warm(self) -> None:
        """Embed every sentence of the library and the checklist now, so asks stay fast."""
        index = self.kb.index
        cache = self.build_cache(index)
        texts = []
        for chunk_id in index.order:
            passage = Passage(index.chunks[chunk_id], 0.0, 0)
            texts += [s.text for s in self.sentences_of(cache, passage)]
        self.sentence_vectors(texts)
        self.checklist().vectors(self.kb.embedder.get_text_embedding_batch)
        self.case_studies("sharing services between councils")  # loads the case library

    def checklist(self) -> Any:
        return load_checklist(self.settings.corpus_dir / "checklist.yaml")

    # -- answering --------------------------------------------------------------------
    def answer(self, question: str, history: Sequence[Any] | None = None) -> Answer:
        """A grounded answer; see :meth:`kb.api.KnowledgeBase.answer`."""
        question = self.kb.clean_query(question)
        query = retrieval_query(question, history, self.settings.max_question_chars)
        index = self.kb.index
        cache = self.build_cache(index)
        qvec = np.asarray(self.kb.embed_query(query), dtype=np.float32)
        qvec /= np.linalg.norm(qvec) or 1.0
        passages = hybrid_search(
            index, query, qvec.tolist(), self.settings, max(self.settings.top_k, SOURCE_PASSAGES)
        )
        signals = self.signals(cache, query, qvec, passages)
        closeness = signals.closeness
        if not passages or self.should_abstain(signals):
            return self.abstention(question, passages, closeness, list(signals.unknown_names))
        pairs, sources = self.extract(cache, qvec, passages[:SOURCE_PASSAGES])
        answer = self.assemble(question, pairs, sources, closeness)
        if self.settings.llm_base_url and self.settings.llm_model:
            from kb.llm import answer_with_llm

            answer = answer_with_llm(self, question, passages[:SOURCE_PASSAGES], answer)
        self.attach_extras(answer, query, qvec, passages)
        return answer

    def signals(
        self, cache: _BuildCache, query: str, qvec: np.ndarray, passages: list[Passage]
    ) -> Signals:
        """What the abstention decision rests on (see :mod:`kb.abstain`)."""
        return Signals(
            self.closeness(cache, qvec, passages),
            tuple(cache.coverage.unknown_terms(query)),
            tuple(cache.coverage.unfamiliar_words(query)),
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

    def extract(
        self, cache: _BuildCache, qvec: np.ndarray, passages: list[Passage]
    ) -> tuple[list[tuple[str, int]], dict[int, Passage]]:
        """Choose sentences by relevance with MMR diversity; number their passages."""
        candidates = [(p, s) for p in passages for s in self.sentences_of(cache, p)]
        if not candidates:
            return [], {}
        vectors = self.sentence_vectors([s.text for _, s in candidates])
        # A small prior for the passage's retrieval rank breaks near-ties sensibly.
        relevance = vectors @ qvec + np.array([0.02 * (1 - p.rank / 10) for p, _ in candidates])
        chosen: list[int] = []
        limit = min(MAX_SENTENCES, max(MIN_SENTENCES, self.settings.answer_sentences))
        best = float(relevance.max())
        while len(chosen) < limit:
            novelty = (
                (vectors @ vectors[chosen].T).max(axis=1) if chosen else np.zeros(len(candidates))
            )
            mmr = MMR_LAMBDA * relevance - (1 - MMR_LAMBDA) * novelty
            mmr[chosen] = -np.inf
            mmr[novelty >= DUPLICATE] = -np.inf
            pick = int(np.argmax(mmr))
            if not np.isfinite(mmr[pick]):
                break
            if len(chosen) >= MIN_SENTENCES and relevance[pick] < best - RELEVANCE_DROP:
                break
            chosen.append(pick)
        # Passages in the order their best sentence was chosen; sentences in reading order.
        by_passage: dict[str, list[int]] = {}
        for i in chosen:
            by_passage.setdefault(candidates[i][0].chunk.id, []).append(i)
        numbers: dict[str, int] = {}
        sources: dict[int, Passage] = {}
        pairs: list[tuple[str, int]] = []
        for chunk_id, picks in by_passage.items():
            passage = candidates[picks[0]][0]
            n = numbers.setdefault(chunk_id, len(numbers) + 1)
            sources[n] = passage
            for i in sorted(picks, key=lambda i: candidates[i][1].start):
                pairs.append((candidates[i][1].text, n))
        return pairs, sources

    def assemble(
        self,
        question: str,
        pairs: list[tuple[str, int]],
        sources: dict[int, Passage],
        closeness: float,
        backend: str = "extractive",
    ) -> Answer:
        """The answer text and numbered sources, keeping only verified citations."""
        pairs = verify_citations(pairs, sources)
        used = list(dict.fromkeys(n for _, n in pairs))
        renumber = {old: new for new, old in enumerate(used, 1)}
        text = " ".join(f"{s} [{renumber[n]}]" for s, n in pairs)
        citations = [Citation(renumber[n], sources[n]) for n in used]
        return Answer(
            question=question,
            text=text,
            abstained=False,
            citations=citations,
            backend=backend,
            score=closeness,
        )

    def abstention(
        self, question: str, passages: list[Passage], closeness: float, unknown: list[str]
    ) -> Answer:
        topics = nearest_topics(passages)
        text = "The documents in this library do not cover that question"
        if unknown:
            text += f" (they never mention {', '.join(unknown[:3])})"
        text += "."
        if topics:
            text += " The nearest topics they do cover are: " + "; ".join(topics) + "."
        return Answer(question=question, text=text, abstained=True, topics=topics, score=closeness)

    def attach_extras(
        self, answer: Answer, query: str, qvec: np.ndarray, passages: list[Passage]
    ) -> None:
        """Currency notices, case studies and checklist items for an answer.

        ``query`` is the retrieval query: a follow-up read with the turns before it.
        """
        facts = load_currency(self.settings.corpus_dir / "currency.yaml")
        answer.notices += facts.notices_for((c.n, c.passage.chunk.text) for c in answer.citations)
        cited = [c.passage for c in answer.citations] or passages[:3]
        answer.checklist = self.checklist().related(
            qvec, cited, self.kb.embedder.get_text_embedding_batch
        )
        answer.case_studies = self.case_studies(query)

    def case_studies(self, question: str) -> list[dict[str, Any]]:
        match_cases = getattr(self.kb, "match_cases", None)
        if match_cases is None:
            return []
        out = []
        for match in match_cases(question[-self.settings.max_question_chars :], k=3):
            if match.score < self.settings.answer_case_min_score:
                break  # best first: the rest fit even less
            out.append({"id": match.record.id, "title": match.record.title, "reason": match.reason})
        return out


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
    if answer.case_studies:
        lines.append("Case studies")
        lines += [f"- {c['title']}: {c['reason']}" for c in answer.case_studies]
        lines.append("")
    if answer.checklist:
        lines.append("Questions the guide asks on this topic")
        lines += [f"- {item.question}" for item in answer.checklist]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
