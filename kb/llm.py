"""Optional answer text from an OpenAI-compatible model (Ollama, llama.cpp server, vLLM).

The model sees only the retrieved passages, numbered, and must cite them as
``[n]``. Its reply is checked like the extractive answer: a citation to a
passage that was not given, or to one that does not support the sentence, is
removed, and a sentence left without a citation is dropped. If the model fails,
times out or leaves nothing supported, the extractive answer is returned with a
notice saying so.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from kb.models import Answer, Citation, Passage

if TYPE_CHECKING:
    from kb.answer import Answerer
    from kb.settings import Settings

__all__ = ["answer_with_llm", "make_llm", "parse_cited_sentences", "supported"]

SYSTEM_PROMPT = (
    "You answer questions for council officers using ONLY the numbered passages given. "
    "Write three to six short sentences. End every sentence with the number of the passage "
    "that supports it in square brackets, like [1] or [2][3]. Do not use outside knowledge. "
    "If the passages do not answer the question, say so in one sentence without a citation."
)
# A sentence is supported by a passage when at least this share of its content
# words occur in the passage.
SUPPORT = 0.5
_CITES = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_TRAILING = re.compile(r"([.!?])\s*((?:\[\d+(?:\s*[,;]\s*\d+)*\]\s*)+)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_TOKEN = re.compile(r"[a-z0-9£%]+")
_STOP = frozenset(
    "the and for that this with from have has are was were been will would could should "
    "which their there they them these those into than then also such other more most "
    "some many much very only about over under between within where when what while".split()
)


def make_llm(settings: Settings) -> Any:
    """llama-index's OpenAI-compatible chat client for the configured endpoint."""
    from llama_index.llms.openai_like import OpenAILike

    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
    return OpenAILike(
        model=settings.llm_model or "",
        api_base=settings.llm_base_url,
        api_key=key,
        timeout=settings.llm_timeout_s,
        max_retries=0,  # a slow or broken server falls back at once, not after retries
        is_chat_model=True,
        temperature=0.0,
        max_tokens=400,
    )


def prompt_for(question: str, passages: list[Passage]) -> str:
    blocks = []
    for n, p in enumerate(passages, 1):
        c = p.chunk
        where = ", ".join(x for x in (c.title, c.section_label, c.page_label, c.date_label) if x)
        blocks.append(f"[{n}] ({where})\n{' '.join(c.text.split())}")
    return f"Question: {question}\n\nPassages:\n\n" + "\n\n".join(blocks)


def _content_words(text: str) -> set[str]:
    return {w for w in _TOKEN.findall(text.lower()) if len(w) > 2 and w not in _STOP}


def supported(sentence: str, passage_text: str) -> bool:
    """Most of the sentence's content words occur in the passage (crude stems allowed)."""
    words = _content_words(sentence)
    if not words:
        return False
    have = _content_words(passage_text)
    stems = {w[:5] for w in have}
    hits = sum(1 for w in words if w in have or w[:5] in stems)
    return hits / len(words) >= SUPPORT


def parse_cited_sentences(reply: str, passages: list[Passage]) -> list[tuple[str, list[int]]]:
    """Sentences of a model reply with the valid, supported passage numbers of each.

    Numbers outside ``1..len(passages)`` and numbers of passages that do not
    support the sentence are removed; sentences left with none are dropped.
    """
    out = []
    # "A claim. [1]" and "A claim [1]." both cite the claim: move the markers before the stop.
    reply = _TRAILING.sub(lambda m: f" {m.group(2).strip()}{m.group(1)} ", reply.strip())
    for raw in _SENTENCE_END.split(reply.strip()):
        raw = raw.strip()
        numbers = [int(n) for group in _CITES.findall(raw) for n in re.split(r"[,;]", group)]
        text = " ".join(_CITES.sub("", raw).split()).strip()
        text = re.sub(r"\s+([.!?,;:])", r"\1", text)
        if not text:
            continue
        valid = [
            n
            for n in dict.fromkeys(numbers)
            if 1 <= n <= len(passages) and supported(text, passages[n - 1].chunk.text)
        ]
        if valid:
            out.append((text, valid))
    return out


def answer_with_llm(
    answerer: Answerer, question: str, passages: list[Passage], extractive: Answer
) -> Answer:
    """The model's answer over ``passages``, or ``extractive`` with a notice on failure."""
    from llama_index.core.llms import ChatMessage

    settings = answerer.settings
    try:
        llm = make_llm(settings)
        reply = llm.chat(
            [
                ChatMessage(role="system", content=SYSTEM_PROMPT),
                ChatMessage(role="user", content=prompt_for(question, passages)),
            ]
        )
        content = reply.message.content or ""
    except Exception as exc:  # noqa: BLE001 - any failure of the optional backend falls back
        kind = (
            "did not answer in time"
            if "timeout" in type(exc).__name__.lower() or "timed out" in str(exc).lower()
            else f"failed ({type(exc).__name__})"
        )
        extractive.notices.append(
            f"The language model {kind}; this answer is made of sentences quoted from the sources."
        )
        return extractive
    cited = parse_cited_sentences(content, passages)
    if not cited:
        extractive.notices.append(
            "The language model's answer had no citation the sources support; this answer "
            "is made of sentences quoted from the sources."
        )
        return extractive
    order = list(dict.fromkeys(n for _, ns in cited for n in ns))
    renumber = {old: new for new, old in enumerate(order, 1)}
    text = " ".join(f"{s} " + "".join(f"[{renumber[n]}]" for n in ns) for s, ns in cited)
    return Answer(
        question=question,
        text=text,
        abstained=False,
        citations=[Citation(renumber[n], passages[n - 1]) for n in order],
        backend="llm",
        score=extractive.score,
        notices=["Written by a language model from the numbered sources; check them."],
    )
