"""Ingest and search through a real Chroma server, chosen by configuration only.

Starts `chroma run` on a free loopback port, points KB_CHROMA_HOST and
KB_CHROMA_PORT at it, and checks that ingest, search, the CLI and pruning of
old builds work as with the embedded store, with the same results.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import chromadb
import httpx
import pytest

from ingest.pipeline import extra_documents, ingest
from kb.api import KnowledgeBase
from kb.core.records import SearchFilters
from kb.core.settings import Settings
from kb.core.store import IndexStore, StoreUnavailableError, collection_name, window_collection_name

pytestmark = pytest.mark.slow

CHROMA = Path(sys.executable).with_name("chroma")
QUESTIONS = (
    "who oversees the legal service",
    "refuse collection contract savings",
    "notice period to leave the partnership",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[tuple[str, int, subprocess.Popen[bytes]]]:
    if not CHROMA.exists():
        pytest.fail(f"no chroma CLI at {CHROMA}; `make setup` installs it with chromadb")
    port = free_port()
    proc = subprocess.Popen(
        [
            str(CHROMA),
            "run",
            "--path",
            str(tmp_path / "chroma-server"),
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("the Chroma server did not start")
                time.sleep(0.2)
        yield "127.0.0.1", port, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def build_collections(settings: Settings, builds: list[str]) -> set[str]:
    """Each build's chunk collection and its sentence-window collection."""
    return {
        name
        for b in builds
        for name in (collection_name(settings, b), window_collection_name(settings, b))
    }


def server_collections(host: str, port: int) -> set[str]:
    client = chromadb.HttpClient(
        host=host, port=port, settings=chromadb.Settings(anonymized_telemetry=False)
    )
    return {c.name for c in client.list_collections()}


def test_ingest_and_search_through_a_chroma_server(
    small_corpus: Settings,
    chroma_server: tuple[str, int, subprocess.Popen[bytes]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    host, port, proc = chroma_server
    # The same corpus in the embedded store, for comparison.
    embedded = small_corpus.model_copy(update={"data_dir": tmp_path / "embedded"})
    assert ingest(embedded, progress=False).ok
    expected = {q: [p.to_dict() for p in KnowledgeBase(embedded).search(q, k=3)] for q in QUESTIONS}

    # Configuration only: the environment names the server.
    monkeypatch.setenv("KB_CHROMA_HOST", host)
    monkeypatch.setenv("KB_CHROMA_PORT", str(port))
    settings = Settings(data_dir=small_corpus.data_dir, corpus_dir=small_corpus.corpus_dir)
    assert settings.chroma_host == host and settings.chroma_port == port

    report = ingest(settings, progress=False)
    assert report.ok and sorted(report.added) == ["alpha-note", "beta-note"]
    build = IndexStore(settings).current_id()
    assert build is not None
    assert server_collections(host, port) == build_collections(settings, [build])
    assert not (settings.index_dir / "builds" / build / "chroma").exists()

    kb = KnowledgeBase(settings)
    for q in QUESTIONS:
        assert [p.to_dict() for p in kb.search(q, k=3)] == expected[q]
    only_beta = kb.search("council", mode="dense", filters=SearchFilters(doc_ids=("beta-note",)))
    assert only_beta and {p.chunk.doc_id for p in only_beta} == {"beta-note"}
    assert kb.stats()["chroma"] == f"http://{host}:{port}"

    # New builds make new collections; old ones are dropped from the server.
    for n in range(3):
        note = tmp_path / f"server note {n}.txt"
        note.write_text(
            f"Server note {n}\n\nA shared payroll service for {n + 3} councils "
            "is run by one host authority under a service agreement.\n",
            "utf-8",
        )
        assert ingest(settings, extra=extra_documents([note])[0], progress=False).ok
    builds = sorted(p.name for p in (settings.index_dir / "builds").iterdir())
    assert len(builds) == IndexStore.KEEP_BUILDS
    assert server_collections(host, port) == build_collections(settings, builds)
    assert kb.search("payroll service host authority", k=1)[0].chunk.doc_id.startswith(
        "server-note"
    )

    # The CLI, configured by the environment alone.
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(
        KB_DATA_DIR=str(settings.data_dir),
        KB_CORPUS_DIR=str(settings.corpus_dir),
        KB_CHROMA_HOST=host,
        KB_CHROMA_PORT=str(port),
        HF_HUB_OFFLINE="1",
    )
    run = subprocess.run(
        [sys.executable, "-m", "cli", "search", QUESTIONS[0], "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    assert '"doc_id": "alpha-note"' in run.stdout

    # With the server gone: one clear sentence, no traceback.
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    with pytest.raises(StoreUnavailableError, match="Chroma server"):
        KnowledgeBase(settings).search(QUESTIONS[0])
    with pytest.raises(StoreUnavailableError, match="Chroma server"):
        ingest(settings, progress=False)
    run = subprocess.run(
        [sys.executable, "-m", "cli", "search", QUESTIONS[0]],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("Error: Cannot reach the Chroma server")


def test_the_embedded_store_needs_no_server(small_corpus: Settings) -> None:
    # The default: no host configured, Chroma lives in the data directory.
    assert small_corpus.chroma_host is None
    assert ingest(small_corpus, progress=False).ok
    build = IndexStore(small_corpus).current_id()
    assert (small_corpus.index_dir / "builds" / str(build) / "chroma").is_dir()
