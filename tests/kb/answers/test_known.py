"""Sentences that answered a known question, matched with the real model."""

from __future__ import annotations

import numpy as np

from kb.answers.known import KnownAnswers
from kb.api import KnowledgeBase

QUESTIONS = [
    {"question": "How much did the waste partnership save?",
     "evidence": ["made savings of £3.5 million (gross) through joint procurement"]},
    {"question": "Who must councils consult before sharing staff?",
     "evidence": ["Councils will need to consult staff and unions"]},
]  # fmt: skip


def test_a_sentence_is_as_close_as_the_known_question_it_answered(kb: KnowledgeBase) -> None:
    known = KnownAnswers(QUESTIONS, kb.answerer.tools.embed_texts)
    sentences = [
        "Since 2006 the boroughs made savings of £3.5 million (gross) through joint procurement.",
        "Councils will need to consult staff and unions",
        "A sentence no known question was answered by at all.",
    ]
    assert [known.answered_by(s) for s in sentences] == [(0,), (1,), ()]
    qvec = np.asarray(kb.embed_query("What did the waste partnership save?"), np.float32)
    qvec /= np.linalg.norm(qvec)
    waste, staff, none = known.closeness(qvec, sentences)
    assert waste > 0.7 > staff > 0.0 and none == 0.0


def test_no_known_questions_means_no_preference(kb: KnowledgeBase) -> None:
    known = KnownAnswers([], kb.answerer.tools.embed_texts)
    assert known.closeness(np.ones(384, np.float32), ["Any sentence at all here."]) == [0.0]
