"""Composition rules on hand-made sentences (pure plumbing: vectors made up, no model)."""

from __future__ import annotations

import numpy as np
import pytest

from kb.answers.candidates import Candidate
from kb.answers.compose import Scoring, compose, question_type
from kb.core.records import Chunk
from kb.core.results import Passage


def _passage(cid: str, rank: int, text: str = "text", section: str = "Section") -> Passage:
    chunk = Chunk(cid, "doc", text, "Title", (section,), 0, 4, "guide", None, "2011")
    return Passage(chunk, 1.0, rank)


def _vec(*xs: float) -> np.ndarray:
    v = np.asarray(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How much did the partnership save?", "number"),
        ("How long did the merger take?", "duration"),
        ("Which councils share a chief executive?", "which"),
        ("How should we communicate the changes?", "how"),
        ("Can two councils share a monitoring officer?", "yesno"),
        ("Tell me about joint committees", "other"),
        ("Three of us want a joint committee. Which statute allows that?", "law"),
        ("Is there a legal basis for pooling budgets with the NHS?", "law"),
        ("We're two districts sharing a finance officer. Is that possible?", "yesno"),
        ("Since the merger, how should we communicate the changes?", "how"),
    ],
)
def test_question_types(question: str, kind: str) -> None:
    assert question_type(question) == kind


def test_a_statute_is_preferred_for_which_law_questions() -> None:
    a = _passage("a", 1)
    candidates = [
        Candidate(a, "Joint committees are set up by a legal agreement.", 0, 10, 0),
        Candidate(a, "Section 102 of the Local Government Act 1972 provides for them.", 20, 30, 1),
    ]
    vectors = np.vstack([_vec(1, 0), _vec(0.99, 0.14)])
    weights = Scoring(rank_prior=0.0, type_bonus=0.08)
    question = "Which statute allows a joint committee?"
    chosen = compose(question, candidates, vectors, _vec(1, 0), 70, weights).chosen
    assert chosen[0].index == 1


def test_the_best_sentence_leads_and_sources_are_grouped_in_reading_order() -> None:
    a, b = _passage("a", 1), _passage("b", 2)
    candidates = [
        Candidate(a, "First sentence of passage a about staff.", 0, 40, 0),
        Candidate(b, "The best answer sits in passage b here.", 0, 40, 0),
        Candidate(a, "Second sentence of passage a about staff too.", 50, 90, 1),
        Candidate(b, "A later sentence of passage b on the topic.", 50, 90, 1),
    ]
    q = _vec(1, 0, 0)
    vectors = np.vstack(
        [_vec(0.9, 0, -0.43), _vec(0.95, 0.31, 0), _vec(0.5, 0, 0.87), _vec(0.9, -0.3, 0.3)]
    )
    chosen = compose("What about staff?", candidates, vectors, q, word_budget=70).chosen
    texts = [c.text for c in chosen]
    assert texts[0] == "The best answer sits in passage b here."
    # b's other sentence follows the lead, then a's; a's weak sentence is left out.
    assert texts == [candidates[1].text, candidates[3].text, candidates[0].text]


def test_far_below_the_best_and_near_duplicates_are_left_out() -> None:
    a = _passage("a", 1)
    candidates = [
        Candidate(a, "The answer itself in full.", 0, 10, 0),
        Candidate(a, "The answer itself, said again.", 20, 30, 1),
        Candidate(a, "Something unrelated entirely here.", 40, 50, 2),
    ]
    vectors = np.vstack([_vec(1, 0), _vec(0.999, 0.04), _vec(0.2, 1)])
    result = compose("What is it?", candidates, vectors, _vec(1, 0), word_budget=70)
    assert [c.text for c in result.chosen] == ["The answer itself in full."]
    assert "Something unrelated entirely here." not in [c.text for c in result.more]


def test_a_sentence_that_leans_back_brings_its_antecedent() -> None:
    a = _passage("a", 1)
    candidates = [
        Candidate(a, "Councils set up a joint committee for waste.", 0, 40, 0),
        Candidate(a, "This saved both of them money every year.", 41, 80, 1),
    ]
    vectors = np.vstack([_vec(0.3, 1), _vec(1, 0.1)])
    chosen = compose("Did it save money?", candidates, vectors, _vec(1, 0), word_budget=70).chosen
    assert [c.index for c in chosen] == [0, 1]


@pytest.mark.parametrize(
    "opening",
    [
        "For example,",
        "Instead,",
        "Similarly,",
        "In this case",
        "Or",
        "More precisely,",
        "In particular,",
        "To some extent this was helped because",
    ],
)
def test_an_example_or_a_contrast_brings_the_claim_it_serves(opening: str) -> None:
    a = _passage("a", 1)
    candidates = [
        Candidate(a, "Sharing staff can make it hard to go back to separate teams.", 0, 60, 0),
        Candidate(a, f"{opening} one council kept half of the staff on its books.", 61, 120, 1),
    ]
    vectors = np.vstack([_vec(0.3, 1), _vec(1, 0.1)])
    chosen = compose("How do we keep staff?", candidates, vectors, _vec(1, 0), 70).chosen
    assert [c.index for c in chosen] == [0, 1]  # the claim comes with its example, first


def test_the_sentence_carrying_the_lead_on_fills_words_left_never_a_support() -> None:
    lead, carry = "The partnerships compiled a compendium of examples.", "This lists 200 of them."
    text = f"{lead} {carry} Unrelated."
    a, b = _passage("a", 1, text), _passage("b", 2)
    candidates = [
        Candidate(a, lead, 0, len(lead), 0),
        Candidate(a, carry, len(lead) + 1, len(lead) + 1 + len(carry), 1),
        Candidate(b, "Another council shared a compendium of its own.", 0, 40, 0),
    ]
    # The carrying sentence is far below the lead on its own: only its place makes it count.
    vectors = np.vstack([_vec(1, 0.1), _vec(0, 1), _vec(0.8, -0.6)])
    weights = Scoring(rank_prior=0.0, support_margin=0.3)
    q = _vec(1, 0)
    chosen = compose("How many examples?", candidates, vectors, q, 70, weights).chosen
    assert [c.text for c in chosen] == [f"{lead} {carry}", candidates[2].text]
    # When the support fills the budget, the support stays and the carrying sentence goes.
    tight = len(lead.split()) + len(candidates[2].text.split())
    chosen = compose("How many examples?", candidates, vectors, q, tight, weights).chosen
    assert [c.text for c in chosen] == [lead, candidates[2].text]


def test_a_leaning_sentence_and_its_antecedent_are_one_quote() -> None:
    first, second = "Councils set up a joint committee for waste.", "This saved them money."
    text = f"{first}\n{second} Unrelated."
    a = _passage("a", 1, text)
    candidates = [
        Candidate(a, first, 0, len(first), 0),
        Candidate(a, second, len(first) + 1, len(first) + 1 + len(second), 1),
    ]
    vectors = np.vstack([_vec(0.3, 1), _vec(1, 0.1)])
    chosen = compose("Did it save money?", candidates, vectors, _vec(1, 0), word_budget=70).chosen
    assert [(c.text, c.start, c.end) for c in chosen] == [
        (f"{first} {second}", 0, len(first) + 1 + len(second))
    ]


def _in_one_passage(text: str, *sentences: str) -> list[Candidate]:
    """``sentences`` as the quotable sentences of one passage of ``text``, in order."""
    a = _passage("a", 1, text)
    spans = [(s, text.index(s), text.index(s) + len(s)) for s in sentences]
    return [Candidate(a, t, start, end, i) for i, (t, start, end) in enumerate(spans)]


def test_a_sentence_leaning_on_a_leaning_one_brings_both() -> None:
    claim = "Councils may want to show that an exit strategy exists."
    such = "Any such exit strategy should form part of the formal agreement."
    example = "For example, one council kept half of the staff on its books."
    text = f"{claim} {such} {example}"
    candidates = _in_one_passage(text, claim, such, example)
    vectors = np.vstack([_vec(0, 1), _vec(0.2, 1), _vec(1, 0.1)])
    chosen = compose("How do we keep staff?", candidates, vectors, _vec(1, 0), 70).chosen
    # The example leads; "Any such…" cannot open the answer without the claim it points at.
    assert [(c.text, c.start, c.end) for c in chosen] == [(text, 0, len(text))]


def test_a_list_item_cut_from_its_lead_in_is_not_brought_before_the_lead() -> None:
    # The passage opens inside a list whose lead-in is in the passage before.
    item = "have a high degree of certainty about the quality of the service."
    however = "However, many councils find it difficult to quantify current costs."
    text = f"• {item}\n{however}"
    a = _passage("a", 1, text)
    start = text.index(item)
    candidates = [
        Candidate(a, item, start, start + len(item), 0, parts=((start, start + len(item)),)),
        Candidate(a, however, text.index(however), len(text), 1),
    ]
    vectors = np.vstack([_vec(0.3, 1), _vec(1, 0.1)])
    weights = Scoring(rank_prior=0.0)
    result = compose("Do we know our costs?", candidates, vectors, _vec(1, 0), 70, weights)
    # The answer opens on the sentence that answers, not "… have a high degree…".
    assert [c.text for c in result.chosen] == [however]


def test_a_leaning_sentence_in_more_is_read_with_what_it_leans_on() -> None:
    lead = "The councils chose a joint committee for their waste service."
    other = "The councils made savings through a single team of eight staff."
    also = "They also saved money through a single tendering process."
    text = f"{lead} Unrelated words here. {other} {also}"
    candidates = _in_one_passage(text, lead, other, also)
    # "They also saved…" is within the margin; the sentence it leans on is not.
    vectors = np.vstack([_vec(1, 0, 0), _vec(0.2, 0, 1), _vec(0.8, 0.6, 0)])
    weights = Scoring(rank_prior=0.0, support_margin=0.3)
    result = compose("How did they save money?", candidates, vectors, _vec(1, 0, 0), 12, weights)
    assert [c.text for c in result.chosen] == [lead]
    joined = f"{other} {also}"
    assert [(c.text, c.start, c.end) for c in result.more] == [
        (joined, text.index(other), text.index(other) + len(joined))
    ]


def test_more_reaches_an_unquoted_passage_first_and_says_nothing_twice() -> None:
    a = _passage("a", 1)
    a2 = _passage("a2", 2)  # the next chunk of the same section, overlapping it
    b = _passage("b", 3)
    candidates = [
        Candidate(a, "The lead, from passage a.", 0, 10, 0),
        Candidate(a, "A second from passage a.", 20, 30, 1),
        Candidate(a2, "A second from passage a.", 0, 10, 0),  # the overlap, again
        Candidate(a, "A third from passage a.", 40, 50, 2),
        Candidate(b, "The best of passage b.", 0, 10, 0),
    ]
    vectors = np.vstack(
        [
            _vec(1, 0, 0, 0),
            _vec(0.86, 0.51, 0, 0),
            _vec(0.86, 0.51, 0, 0),
            _vec(0.87, 0, 0.49, 0),
            _vec(0.85, 0, 0, 0.53),
        ]
    )
    weights = Scoring(rank_prior=0.0, support_margin=0.2)
    # The lead fills the word budget: every sentence within the margin goes to "more".
    result = compose("What?", candidates, vectors, _vec(1, 0, 0, 0), 5, weights)
    assert [c.text for c in result.chosen] == ["The lead, from passage a."]
    # a2 and b are passages not yet quoted; a2's sentence is not said again from a.
    assert [c.text for c in result.more] == [
        "A second from passage a.",
        "The best of passage b.",
        "A third from passage a.",
    ]
    assert result.more[0].passage.chunk.id == "a2"


def test_a_list_item_inside_a_quoted_list_is_not_quoted_again() -> None:
    a = _passage("a", 1)
    candidates = [
        Candidate(a, "Councils share officers, for example: • Mendip shares one.", 0, 60, 0),
        Candidate(a, "Mendip shares one.", 42, 60, 1),  # the list's item, on its own
        Candidate(a, "An unrelated point about audit.", 70, 100, 2),
    ]
    vectors = np.vstack([_vec(1, 0, 0), _vec(0.8, 0.6, 0), _vec(0.8, 0, 0.6)])
    result = compose("Can we share an officer?", candidates, vectors, _vec(1, 0, 0), 70)
    quoted = [c.index for c in result.chosen] + [c.index for c in result.more]
    assert 0 in quoted and 1 not in quoted


def test_the_word_budget_holds_but_the_lead_always_stays() -> None:
    a = _passage("a", 1)
    long = " ".join(["word"] * 80) + "."
    candidates = [
        Candidate(a, long, 0, len(long), 0),
        Candidate(a, "A short second sentence that also fits.", 500, 540, 1),
    ]
    vectors = np.vstack([_vec(1, 0), _vec(0.95, 0.3)])
    chosen = compose("q?", candidates, vectors, _vec(1, 0), word_budget=70).chosen
    assert [c.text for c in chosen] == [long]


def test_context_and_rare_words_can_change_the_lead() -> None:
    a = _passage("a", 1)
    candidates = [
        Candidate(a, "Councils often work together on many things.", 0, 40, 0),
        Candidate(a, "APSE runs benchmarking groups for frontline services.", 41, 90, 1),
    ]
    vectors = np.vstack([_vec(0.85, 0.527), _vec(0.8, 0.6)])  # cosines .85 and .8
    q = _vec(1, 0)
    plain = compose("Is there a benchmarking group?", candidates, vectors, q, 70)
    assert plain.chosen[0].index == 0
    lexical = compose(
        "Is there a benchmarking group?",
        candidates,
        vectors,
        q,
        70,
        Scoring(rank_prior=0.0, lexical=0.3),
        lexical=[0.0, 1.0],
    )
    assert lexical.chosen[0].index == 1
    # Read after the sentence before it, the second sentence is closer to the question.
    context = compose(
        "Is there a benchmarking group?",
        candidates,
        vectors,
        q,
        70,
        Scoring(rank_prior=0.0, context=0.5),
        context_vectors=np.vstack([vectors[0], _vec(1, 0)]),  # the first has none before it
    )
    assert context.chosen[0].index == 1


def test_an_amount_is_preferred_for_how_much_but_a_year_is_not_an_amount() -> None:
    a = _passage("a", 1)
    candidates = [
        Candidate(a, "The partnership was formed in 2006 by four boroughs.", 0, 50, 0),
        Candidate(a, "The boroughs saved £3.5 million through joint procurement.", 51, 110, 1),
    ]
    vectors = np.vstack([_vec(1, 0.1), _vec(1, 0.3)])
    result = compose("How much did the partnership save?", candidates, vectors, _vec(1, 0), 70)
    assert result.chosen[0].index == 1
