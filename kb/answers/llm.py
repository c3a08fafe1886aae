"""Optional answer text from an OpenAI-compatible model (Ollama, llama.cpp server, vLLM).

The model sees only the retrieved passages, numbered, and must cite them as
``[n]`` and carry, in double quotes, an exact span of the passage it cites.
Its reply is checked as strictly as the extractive answer: a sentence is kept
only when every quoted span occurs verbatim in a passage it cites and the
sentence does not negate what that passage says; a citation to a passage not
given, or one that does not hold the quote, is removed, and a sentence left
without a citation is dropped. If the model fails, times out or leaves nothing
supported, the extractive answer is returned with a notice saying so. It takes
and returns the same records as the extractive path (kb.core.results.Answer).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from kb.answers.record import cite_more
from kb.core.results import Answer, AnswerSentence, Citation, Passage, Quote
from kb.core.text import fold

if TYPE_CHECKING:
    from kb.core.settings import Settings

__all__ = ["answer_with_llm", "make_llm", "parse_cited_sentences", "supported"]

SYSTEM_PROMPT = (
    "You answer questions for council officers using ONLY the numbered passages given. "
    "Write two to four short sentences; the first must answer the question directly. Every "
    "sentence must include, in double quotes, an exact phrase of at least five words copied "
    "from the passage it relies on, and end with that passage's number in square brackets, "
    "like [1] or [2][3]. Do not use outside knowledge. "
    "If the passages do not answer the question, say so in one sentence without a citation."
)
# A quoted span must be at least this many words to count as evidence.
MIN_QUOTE_WORDS = 5
_QUOTED = re.compile(r"[\"“]([^\"”]+)[\"”]")
_NEGATION = re.compile(
    r"\b(not|no|never|cannot|can't|won't|isn't|aren't|doesn't|don't|neither|nor|"
    r"unlawful|illegal|prohibit\w*)\b",
    re.I,
)
_CITES = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_TRAILING = re.compile(r"([.!?])\s*((?:\[\d+(?:\s*[,;]\s*\d+)*\]\s*)+)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


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


def supported(sentence: str, passage_text: str) -> bool:
    """The sentence quotes the passage exactly, and does not turn what it says around.

    Every double-quoted span must be at least ``MIN_QUOTE_WORDS`` words and occur
    in the passage verbatim (case, quotes and whitespace aside). Words outside the
    quotes may not add a negation that the passage's own sentence lacks: "Section
    101 does not allow …" is refused against a passage saying section 101 allows it.
    """
    quotes = [q for q in _QUOTED.findall(sentence) if len(q.split()) >= MIN_QUOTE_WORDS]
    if not quotes:
        return False
    passage = fold(passage_text)
    for quote in quotes:
        wanted = fold(quote).strip(" .,;:")
        if wanted not in passage:
            return False
        outside = _QUOTED.sub(" ", sentence)
        if _NEGATION.search(outside):
            at = passage.find(wanted)
            source_sentence = passage[
                max(0, passage.rfind(".", 0, at)) : passage.find(".", at + len(wanted)) + 1 or None
            ]
            if not _NEGATION.search(source_sentence):
                return False
    return True


def _reply_sentences(reply: str) -> list[str]:
    """The reply cut at sentence ends, never inside a quote ("Is sharing legal? Concerns…")."""
    quoted = [m.span() for m in _QUOTED.finditer(reply)]
    pieces, at = [], 0
    for m in _SENTENCE_END.finditer(reply):
        if "\n" not in m.group() and any(a < m.start() < b for a, b in quoted):
            continue
        pieces.append(reply[at : m.start()])
        at = m.end()
    return [*pieces, reply[at:]]


def parse_cited_sentences(reply: str, passages: list[Passage]) -> list[tuple[str, list[int]]]:
    """Sentences of a model reply with the valid, supported passage numbers of each.

    Numbers outside ``1..len(passages)`` and numbers of passages that do not
    support the sentence are removed; sentences left with none are dropped.
    """
    out = []
    # "A claim. [1]" and "A claim [1]." both cite the claim: move the markers before the stop.
    reply = _TRAILING.sub(lambda m: f" {m.group(2).strip()}{m.group(1)} ", reply.strip())
    for raw in _reply_sentences(reply.strip()):
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
    settings: Settings, question: str, passages: list[Passage], extractive: Answer
) -> Answer:
    """The model's answer over ``passages``, or ``extractive`` with a notice on failure."""
    from llama_index.core.llms import ChatMessage

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
    sentences = [AnswerSentence(s, renumber[ns[0]]) for s, ns in cited]
    text = " ".join(f"{s} " + "".join(f"[{renumber[n]}]" for n in ns) for s, ns in cited)
    citations = []
    for n in order:
        passage = passages[n - 1]
        spans = []
        for s, ns in cited:
            if n in ns:
                for q in _QUOTED.findall(s):
                    at = _find(passage.chunk.text, q)
                    if at is not None:
                        spans.append(Quote(q, at[0], at[1]))
        citations.append(Citation(renumber[n], passage, tuple(spans)))
    citations, more = cite_more(citations, extractive)
    return Answer(
        question=question,
        text=text,
        abstained=False,
        citations=citations,
        backend="llm",
        score=extractive.score,
        sentences=sentences,
        more=more,
        scope_note=extractive.scope_note,
        support=extractive.support,
        partial=extractive.partial,
        notices=["Written by a language model from the numbered sources; check them."],
    )


def _find(text: str, quote: str) -> tuple[int, int] | None:
    """The span of ``quote`` in ``text``, whitespace and case aside."""
    words = quote.strip(" .,;:").split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words)
    m = re.search(pattern, text, flags=re.IGNORECASE)
    return (m.start(), m.end()) if m else None
