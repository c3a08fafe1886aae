"""The part of an officer's question that asks, with the situation around it set aside.

"Our head of legal is leaving and the council next door has offered their solicitor
two days a week. Can one council lend its employee to another?" retrieves better when
the last sentence is also searched on its own: the story around it shares words with
many passages, the question with few. Search adds this focus as one more ranking
(``settings.focus_weight``); a one-sentence question has no separate focus.
"""

from __future__ import annotations

from kb.core.text import collapse, split_sentences

__all__ = ["question_focus"]


def question_focus(query: str) -> str | None:
    """The asking part of a question that also tells a situation, or None.

    None for a one-sentence query: it is all question, and a clause cut from it
    ("…: what should we watch?") says too little to search with.
    """
    text = collapse(query)
    sentences = split_sentences(text)
    if len(sentences) < 2:
        return None
    focus = " ".join(s for s in sentences if s.endswith("?")) or sentences[-1]
    return focus if focus.lower() != text.lower() else None
