"""Training pairs mined from the corpus's own structure, for adapting the embedding model.

Every pair is (what an officer might type, the passage that answers it), taken
from what the documents and the reviewed data already say about themselves:

* ``heading``: a section's heading (the guide asks most of them as questions)
  and the text under it;
* ``cloze``: a sentence and the rest of its passage (inverse cloze, Lee et al. 2019);
* ``case``: a case study's title and facets and the case study's text;
* ``checklist``: a checklist question and the guidance passage it links to;
* ``question``: a gold question of the ``tune`` split and a passage holding its
  evidence (never ``test``: tests/eval/test_splits.py);
* ``feedback``: an officer's thumbs-down whose correction quotes the right passage.

Mining is deterministic: the same build and files give the same pairs.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from kb.core.questions import holdout_fold, tune_questions
from kb.core.records import Chunk
from kb.core.store import Index, embed_text
from kb.core.text import fold, split_sentences

__all__ = ["TrainingPair", "mine_pairs", "tune_questions", "holdout_fold"]

# Shorter sentences carry too little to stand for their passage.
MIN_CLOZE_WORDS = 8
CLOZE_PER_CHUNK = 4
# A feedback correction must quote at least this much of a passage to name it.
MIN_CORRECTION_CHARS = 40
# Sections whose text is navigation or a reference list teach nothing useful.
SKIP_SECTION_KINDS = {"navigation", "sources", "front"}
# Hard negatives come from BM25's top NEGATIVE_DEPTH, preferring those below the
# first NEGATIVE_SKIP (the very top hits are the likeliest unlabelled answers).
NEGATIVE_DEPTH = 10
NEGATIVE_SKIP = 2
_QUESTION_WORD = re.compile(
    r"\b(what|how|why|who|which|when|is|are|can|could|should|will|do|does)\b", re.I
)


@dataclass(frozen=True)
class TrainingPair:
    """A query and the passage text it should find; ``source`` says where it was mined."""

    query: str
    passage: str
    chunk_id: str
    source: str
    negative: str = ""  # a passage that looks relevant to the query but is not its answer
    evidence: str = ""  # feedback only: the officer's correction, quoted from the passage

    def to_dict(self) -> dict[str, str]:
        return {
            "query": self.query,
            "passage": self.passage,
            "chunk_id": self.chunk_id,
            "source": self.source,
            "negative": self.negative,
        }


def heading_pairs(index: Index) -> list[TrainingPair]:
    pairs = []
    first_of_section: dict[tuple[str, tuple[str, ...]], Chunk] = {}
    for cid in index.order:
        c = index.chunks[cid]
        if c.section and c.section_kind not in SKIP_SECTION_KINDS:
            first_of_section.setdefault((c.doc_id, c.section), c)
    leaves = Counter(path[-1] for _, path in first_of_section)
    for (_, path), chunk in first_of_section.items():
        heading = path[-1]
        if leaves[heading] > 1 and len(path) > 1:
            # "What was the approach?" heads nine case studies: name which one.
            heading = f"{path[-2]}: {heading}"
        if len(heading.split()) < 3:
            continue
        # The passage side without its heading line: with it the heading would match itself.
        body = chunk.text.strip()
        if body.startswith(path[-1]):
            body = body[len(path[-1]) :].strip()
        pairs.append(TrainingPair(heading, body, chunk.id, "heading"))
    return pairs


def cloze_pairs(index: Index, rng: random.Random) -> list[TrainingPair]:
    pairs = []
    for cid in index.order:
        chunk = index.chunks[cid]
        if chunk.section_kind in SKIP_SECTION_KINDS:
            continue
        sentences = [s for s in split_sentences(chunk.text) if len(s.split()) >= MIN_CLOZE_WORDS]
        for sentence in rng.sample(sentences, min(CLOZE_PER_CHUNK, len(sentences))):
            # The sentence is removed from its passage, as in inverse cloze training,
            # so the model learns context rather than string overlap.
            rest = " ".join(embed_text(chunk).split()).replace(sentence, " ")
            pairs.append(TrainingPair(sentence, rest, chunk.id, "cloze"))
    return pairs


def case_pairs(index: Index, cases: Sequence[Any]) -> list[TrainingPair]:
    by_case: dict[str, list[Chunk]] = {}
    for cid in index.order:
        c = index.chunks[cid]
        if c.case_id:
            by_case.setdefault(c.case_id, []).append(c)
    pairs = []
    for record in cases:
        chunks = by_case.get(record.id, [])
        if not chunks:
            continue
        facets = " ".join(
            part
            for part in (
                ", ".join(record.services),
                record.model or "",
                " and ".join(record.council_types),
            )
            if part
        )
        queries = [record.title, f"{' and '.join(record.councils)} {facets}".strip()]
        for i, chunk in enumerate(chunks):
            pairs.append(
                TrainingPair(queries[i % len(queries)], embed_text(chunk), chunk.id, "case")
            )
    return pairs


def _chunk_with(index: Index, quote: str, doc_id: str | None = None) -> Chunk | None:
    wanted = fold(quote)
    if not wanted:
        return None
    for cid in index.order:
        chunk = index.chunks[cid]
        if (doc_id is None or chunk.doc_id == doc_id) and wanted in fold(chunk.text):
            return chunk
    return None


def checklist_pairs(index: Index, items: Iterable[Any]) -> list[TrainingPair]:
    pairs = []
    for item in items:
        chunk = _chunk_with(index, item.quote)
        if chunk is not None:
            pairs.append(TrainingPair(item.question, embed_text(chunk), chunk.id, "checklist"))
    return pairs


def question_pairs(index: Index, questions: Iterable[dict[str, Any]]) -> list[TrainingPair]:
    pairs = []
    for q in questions:
        for quote in q.get("evidence", [])[:1]:
            chunk = _chunk_with(index, quote, q.get("doc_id") or None)
            if chunk is not None:
                pairs.append(TrainingPair(q["question"], embed_text(chunk), chunk.id, "question"))
    return pairs


def feedback_pairs(index: Index, rows: Iterable[dict[str, Any]]) -> list[TrainingPair]:
    """Thumbs-down answers whose correction quotes a passage of the library."""
    pairs = []
    for row in rows:
        correction = " ".join(str(row.get("correction") or "").split())
        if row.get("rating") != "down" or len(correction) < MIN_CORRECTION_CHARS:
            continue
        chunk = _chunk_with(index, correction)
        if chunk is not None:
            pairs.append(
                TrainingPair(
                    str(row["question"]),
                    embed_text(chunk),
                    chunk.id,
                    "feedback",
                    evidence=correction,
                )
            )
    return pairs


def with_negative(index: Index, pair: TrainingPair) -> TrainingPair:
    """The pair with a hard negative: a BM25 hit for its query from another section.

    Passages of the positive's own section are skipped: with overlapping chunks
    they often hold the same answer, and a true answer taught as wrong does harm.
    """
    positive = index.chunks[pair.chunk_id]
    hits = index.bm25_search(pair.query, NEGATIVE_DEPTH)
    for cid, _ in hits[NEGATIVE_SKIP:] + hits[:NEGATIVE_SKIP]:
        chunk = index.chunks[cid]
        same_place = chunk.doc_id == positive.doc_id and (
            chunk.section == positive.section
            or (positive.case_id is not None and chunk.case_id == positive.case_id)
        )
        if cid != pair.chunk_id and not same_place:
            return replace(pair, negative=embed_text(chunk))
    return pair


def mine_pairs(
    index: Index,
    cases: Sequence[Any] = (),
    checklist_items: Iterable[Any] = (),
    questions: Iterable[dict[str, Any]] = (),
    feedback: Iterable[dict[str, Any]] = (),
    seed: int = 0,
    hard_negatives: bool = False,
) -> list[TrainingPair]:
    """All training pairs for one build, in a fixed order (shuffled with ``seed``)."""
    rng = random.Random(seed)
    pairs = (
        heading_pairs(index)
        + cloze_pairs(index, rng)
        + case_pairs(index, cases)
        + checklist_pairs(index, checklist_items)
        + question_pairs(index, questions)
        + feedback_pairs(index, feedback)
    )
    if hard_negatives:
        pairs = [with_negative(index, p) for p in pairs]
    seen: set[tuple[str, str]] = set()
    unique = []
    for p in pairs:
        if p.query.strip() and (p.query, p.chunk_id) not in seen:
            seen.add((p.query, p.chunk_id))
            unique.append(p)
    rng.shuffle(unique)
    return unique
