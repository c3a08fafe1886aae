"""The optional LLM backend against real chat-completions servers on loopback."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from kb.answers.llm import parse_cited_sentences, supported
from kb.api import KnowledgeBase
from kb.core.settings import REPO_ROOT, Settings

QUESTION = "What legal powers let councils share services?"


def _passages(prompt: str) -> dict[int, str]:
    """The numbered passages of the prompt kb.llm sends."""
    blocks = re.split(r"\n\n(?=\[\d+\] \()", prompt.split("Passages:\n\n", 1)[1])
    out = {}
    for block in blocks:
        head, _, body = block.partition("\n")
        out[int(head[1 : head.index("]")])] = body
    return out


def _quote(text: str) -> str:
    """Eight words of a passage, quoted as kb.llm requires every sentence to."""
    return '"' + " ".join(text.split()[2:10]) + '"'


def good_reply(prompt: str) -> str:
    passages = _passages(prompt)
    return f"The guide says {_quote(passages[1])} [1]\nIt also says {_quote(passages[2])} [2]"


def bad_citations_reply(prompt: str) -> str:
    passages = _passages(prompt)
    return (
        f"It says {_quote(passages[2])} [2][9]\n"
        "Unicorns have run every council's budget since 1850. [1]\n"
        f"It also says {_quote(passages[1])} [12]"
    )


def nothing_supported_reply(prompt: str) -> str:
    return "Purple elephants decide everything about sharing. [1] Nobody knows why. [3]"


class ChatServer:
    """A chat-completions endpoint on 127.0.0.1 whose reply a function decides."""

    def __init__(
        self, reply: Callable[[str], str] | None, hang: bool = False, status: int = 200
    ) -> None:
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(
                    {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
                )
                if hang:
                    server.release.wait(30)
                    return
                if status != 200:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"error": {"message": "model crashed"}}')
                    return
                prompt = body["messages"][-1]["content"]
                payload = {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {
                                "role": "assistant",
                                "content": reply(prompt) if reply else "",
                            },
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> ChatServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def llm_kb(built_settings: Settings) -> Iterator[Callable[..., KnowledgeBase]]:
    def make(url: str, timeout: float = 5.0) -> KnowledgeBase:
        settings = Settings(
            data_dir=built_settings.data_dir,
            corpus_dir=REPO_ROOT / "corpus",
            llm_base_url=url,
            llm_model="tiny-test-model",
            llm_api_key="secret-key",
            llm_timeout_s=timeout,
        )
        return KnowledgeBase(settings)

    yield make


def test_llm_answer_cites_only_given_passages(llm_kb: Callable[..., KnowledgeBase]) -> None:
    with ChatServer(good_reply) as server:
        answer = llm_kb(server.url).answer(QUESTION)
    assert answer.backend == "llm" and not answer.abstained
    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["body"]["model"] == "tiny-test-model"
    assert request["auth"] == "Bearer secret-key"
    assert "ONLY the numbered passages" in request["body"]["messages"][0]["content"]
    assert re.findall(r"\[(\d+)\]", answer.text) == ["1", "2"]
    # The model's sources come first; the "more" sentences' sources are numbered on.
    more = {int(m["n"]) for m in answer.more}
    assert [c.n for c in answer.citations] == sorted({1, 2} | more)
    for m in answer.more:
        passage = answer.citations[int(m["n"]) - 1].passage.chunk.text
        assert passage[m["start"] : m["end"]].split() == m["text"].split()
    for sentence, n in re.findall(r"(.+?)\s*\[(\d+)\]", answer.text):
        assert supported(sentence, answer.citations[int(n) - 1].passage.chunk.text)
    assert answer.to_dict()["citations"][0]["date"]


def test_bad_citations_are_removed(llm_kb: Callable[..., KnowledgeBase]) -> None:
    with ChatServer(bad_citations_reply) as server:
        answer = llm_kb(server.url).answer(QUESTION)
    assert answer.backend == "llm"
    assert "Unicorns" not in answer.text  # unsupported by the passage it cites
    assert "[9]" not in answer.text and "[12]" not in answer.text  # passages never given
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert numbers == {1}
    assert {c.n for c in answer.citations} == numbers | {int(m["n"]) for m in answer.more}
    # The model's [2] became [1]: sources are renumbered in order of use.
    assert answer.text.endswith("[1]")


def test_reply_with_nothing_supported_falls_back(llm_kb: Callable[..., KnowledgeBase]) -> None:
    with ChatServer(nothing_supported_reply) as server:
        answer = llm_kb(server.url).answer(QUESTION)
    assert answer.backend == "extractive" and answer.citations
    assert any("language model" in n for n in answer.notices)


def test_hanging_server_times_out_to_the_extractive_answer(
    llm_kb: Callable[..., KnowledgeBase],
) -> None:
    with ChatServer(None, hang=True) as server:
        kb = llm_kb(server.url, timeout=1.0)
        kb.answer("warm the model up")  # the clock below measures the LLM call only
        started = time.monotonic()
        answer = kb.answer(QUESTION)
        elapsed = time.monotonic() - started
    assert elapsed < 8
    assert answer.backend == "extractive" and answer.citations and not answer.abstained
    assert any("did not answer in time" in n for n in answer.notices)


def test_server_error_falls_back_with_a_notice(llm_kb: Callable[..., KnowledgeBase]) -> None:
    with ChatServer(None, status=500) as server:
        answer = llm_kb(server.url).answer(QUESTION)
    assert answer.backend == "extractive" and answer.citations
    assert any("language model failed" in n for n in answer.notices)


def test_out_of_scope_never_reaches_the_model(llm_kb: Callable[..., KnowledgeBase]) -> None:
    with ChatServer(good_reply) as server:
        answer = llm_kb(server.url).answer("Who won the Premier League last season?")
    assert answer.abstained and server.requests == []


def test_parse_keeps_valid_supported_numbers_only(kb: KnowledgeBase) -> None:
    passages = kb.search(QUESTION, k=2)
    first = f"It says {_quote(passages[0].chunk.text)}."
    parsed = parse_cited_sentences(f"{first} [1, 2, 5] Made-up claim about rockets. [2]", passages)
    assert parsed and parsed[0][0] == first and parsed[0][1] == [1]
    assert all("rockets" not in s for s, _ in parsed)


PASSAGE_101 = (
    "Section 101 of the Local Government Act 1972 allows local authorities to delegate "
    "functions to other local authorities (subject to provisions contained in other legislation)."
)


def test_a_sentence_must_carry_an_exact_quote_of_its_source() -> None:
    quoted = 'Councils may "delegate functions to other local authorities" under section 101.'
    assert supported(quoted, PASSAGE_101)
    # Half its words in the passage is no longer enough: no quoted span, no support.
    assert not supported("Section 101 lets councils delegate functions to others.", PASSAGE_101)
    # A quote that is not in the passage word for word.
    assert not supported('Councils may "hand functions to other local authorities".', PASSAGE_101)
    # Too short a quote to count as evidence.
    assert not supported('Councils may "delegate functions".', PASSAGE_101)


def test_a_negated_or_contradicting_sentence_is_refused() -> None:
    negated = (
        'Section 101 does not allow councils to "delegate functions to other local authorities".'
    )
    assert not supported(negated, PASSAGE_101)
    contradicting = (
        'It is unlawful for councils to "delegate functions to other local authorities".'
    )
    assert not supported(contradicting, PASSAGE_101)
    # A negation the passage itself makes is fine.
    passage = "Councils cannot share a monitoring officer without an agreement between them."
    assert supported(
        'Councils "cannot share a monitoring officer without an agreement" [1].', passage
    )


def test_a_quote_with_a_question_mark_inside_stays_one_sentence() -> None:
    from kb.answers.llm import _reply_sentences

    reply = 'It asks "Is sharing legal? Concerns about legality are often cited" [1]\nMore. Yes.'
    assert _reply_sentences(reply) == [
        'It asks "Is sharing legal? Concerns about legality are often cited" [1]',
        "More.",
        "Yes.",
    ]
