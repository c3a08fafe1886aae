"""Two PDF columns run together: found in the raw text, marked in the chunks, never quoted."""

from __future__ import annotations

from ingest.garbled import garbled_lines, garbled_spans
from kb.api import KnowledgeBase
from kb.core.settings import REPO_ROOT

INTERLEAVED = "announced their intention to retire. Councils district councils were discussing the"


def _column(n: int) -> list[str]:
    return [f"an ordinary column line number {i} of text" for i in range(n)]


def test_a_run_of_double_width_lines_is_found_but_a_single_wide_line_is_not() -> None:
    wide = "A full-width box line that runs right across the page and keeps on going"
    run = [
        "that have been made permanent. In others operating across several organisations.",
        "the move to share was a planned response, A Local Government Chronicle survey in",
        INTERLEAVED,
    ]
    raw = "\n".join(_column(20) + [wide] + _column(5) + run + _column(20))
    assert garbled_lines(raw) == run


def test_spans_are_located_in_the_cleaned_text() -> None:
    raw = "\n".join(_column(20) + [INTERLEAVED] * 3 + _column(20))
    clean = "Intro. " + " ".join([INTERLEAVED] * 3) + " Outro."
    spans = garbled_spans(raw, clean)
    assert len(spans) == 1
    start, end = spans[0]
    assert clean[start:end].startswith("announced") and clean[end:].strip() == "Outro."


def test_the_guides_interleaved_chief_executive_passage_is_marked(kb: KnowledgeBase) -> None:
    raw = (REPO_ROOT / "corpus/documents/lga-guide-2011.txt").read_text(encoding="utf-8")
    assert any("Councils district councils were discussing" in line for line in garbled_lines(raw))
    holders = [c for c in kb.index.chunks.values() if "Councils district councils" in c.text]
    assert holders
    for chunk in holders:
        at = chunk.text.index("Councils district councils")
        assert chunk.is_garbled(at, at + 30)


def test_no_answer_quotes_a_garbled_sentence(kb: KnowledgeBase) -> None:
    answer = kb.answer(
        "We're two districts thinking of sharing a chief executive. What should we watch?"
    )
    for citation in answer.citations:
        for quote in citation.quotes:
            assert not citation.passage.chunk.is_garbled(quote.start, quote.end)
    assert "Councils district councils" not in answer.text
