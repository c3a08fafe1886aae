"""An ingest killed part-way (SIGKILL) leaves the previous index answering.

The ingest runs as a real `kb ingest` process over a private copy of the built
index; the test kills it while it embeds a large extra document, or while it
writes a new build, and checks that the old build still opens and answers the
same, that searches kept working meanwhile, and that the next ingest completes.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kb.api import KnowledgeBase
from kb.core.settings import REPO_ROOT, Settings
from kb.core.store import IndexStore

pytestmark = pytest.mark.slow

QUESTIONS = (
    "Is sharing legal?",
    "How will the arrangement be governed?",
    "What savings did the waste partnership make?",
)


def big_document(path: Path, paragraphs: int) -> Path:
    """A long, varied document: many chunks to embed."""
    rng = random.Random(7)
    words = (REPO_ROOT / "corpus/documents/lga-guide-2011.txt").read_text("utf-8").split()
    body = "\n\n".join(
        f"Paragraph {i}. " + " ".join(rng.choice(words) for _ in range(90)) + "."
        for i in range(paragraphs)
    )
    path.write_text("Big appendix\n\n" + body, encoding="utf-8")
    return path


def small_document(path: Path, n: int) -> Path:
    path.write_text(
        f"Note {n}\n\nA short note number {n} about a shared finance team "
        f"and its service level agreement with {n + 2} partner councils.\n",
        "utf-8",
    )
    return path


def start_ingest(settings: Settings, *paths: Path, progress: bool) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(
        KB_DATA_DIR=str(settings.data_dir),
        KB_CORPUS_DIR=str(settings.corpus_dir),
        HF_HUB_OFFLINE="1",
    )
    args = [sys.executable, "-m", "cli", "ingest", *map(str, paths)]
    return subprocess.Popen(
        args if progress else [*args, "-q"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def answers(kb: KnowledgeBase) -> dict[str, list[str]]:
    return {q: [p.chunk.id for p in kb.search(q, k=5)] for q in QUESTIONS}


class SearchLoop(threading.Thread):
    """Searches the index over and over, as the app would while an ingest runs."""

    def __init__(self, kb: KnowledgeBase) -> None:
        super().__init__(daemon=True)
        self.kb, self.stop, self.errors, self.count = kb, threading.Event(), [], 0
        self.builds: set[str] = set()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                for q in QUESTIONS:
                    assert self.kb.search(q, k=5)
                    self.count += 1
                self.builds.add(self.kb.index.build_id)
            except Exception as exc:  # noqa: BLE001 - collected and reported by the test
                self.errors.append(exc)
            time.sleep(0.05)


def wait_for(condition, timeout: float, proc: subprocess.Popen[bytes]) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.005)
    return False


def test_kill_during_embedding(copied_index: Settings, tmp_path: Path) -> None:
    kb = KnowledgeBase(copied_index)
    before, build = answers(kb), kb.index.build_id
    loop = SearchLoop(KnowledgeBase(copied_index))
    loop.start()

    proc = start_ingest(copied_index, big_document(tmp_path / "appendix.txt", 150), progress=True)
    seen = bytearray()

    def reader() -> None:
        assert proc.stderr is not None
        while chunk := os.read(proc.stderr.fileno(), 4096):
            seen.extend(chunk)

    threading.Thread(target=reader, daemon=True).start()
    # Kill once the progress bar shows embedding under way (past its first batch).
    embedding = wait_for(
        lambda: (
            b"Generating embeddings:" in seen
            and any(f" {p}%|".encode() in seen for p in range(1, 99))
        ),
        240,
        proc,
    )
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    loop.stop.set()
    loop.join(10)
    assert embedding, seen.decode(errors="replace")[-2000:]
    assert proc.returncode == -signal.SIGKILL

    assert not loop.errors and loop.count > 0
    assert IndexStore(copied_index).current_id() == build
    fresh = KnowledgeBase(copied_index)
    assert fresh.index.build_id == build and answers(fresh) == before
    assert "appendix" not in fresh.index.documents

    # The next ingest takes the lock the dead process held and completes.
    done = start_ingest(copied_index, small_document(tmp_path / "note.txt", 1), progress=False)
    out, err = done.communicate(timeout=240)
    assert done.returncode == 0, err.decode()
    assert kb.index.build_id != build and "note" in kb.index.documents
    assert answers(kb) == before  # the note is about something else


def test_kill_while_writing_the_new_build(copied_index: Settings, tmp_path: Path) -> None:
    kb = KnowledgeBase(copied_index)
    before, build = answers(kb), kb.index.build_id
    builds = IndexStore(copied_index).builds
    loop = SearchLoop(KnowledgeBase(copied_index))
    loop.start()
    hit = False
    for attempt in range(3):
        existing = set(os.listdir(builds))
        proc = start_ingest(
            copied_index, small_document(tmp_path / f"n{attempt}.txt", attempt), progress=False
        )
        # Every chunk is rewritten into the new build; kill as soon as it appears.
        appeared = wait_for(lambda seen=existing: bool(set(os.listdir(builds)) - seen), 240, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        new = set(os.listdir(builds)) - existing
        if appeared and proc.returncode == -signal.SIGKILL and new:
            partial = builds / new.pop()
            if not (partial / "build.json").exists():
                hit = True
                break
    loop.stop.set()
    loop.join(10)
    assert hit, "the ingest finished before it could be killed mid-write"
    assert not loop.errors and loop.count > 0

    current = IndexStore(copied_index).current_id()
    assert current is not None and current != partial.name
    fresh = KnowledgeBase(copied_index)
    if current == build:
        assert answers(fresh) == before

    done = start_ingest(copied_index, small_document(tmp_path / "last.txt", 9), progress=False)
    out, err = done.communicate(timeout=240)
    assert done.returncode == 0, err.decode()
    assert "last" in kb.index.documents and answers(kb) == before
    assert not partial.exists(), "the next ingest prunes the half-written build"


def test_searches_keep_answering_through_a_completed_ingest(
    copied_index: Settings, tmp_path: Path
) -> None:
    kb = KnowledgeBase(copied_index)
    build = kb.index.build_id
    loop = SearchLoop(kb)
    loop.start()
    proc = start_ingest(copied_index, small_document(tmp_path / "extra.txt", 3), progress=False)
    out, err = proc.communicate(timeout=240)
    time.sleep(0.5)
    loop.stop.set()
    loop.join(10)
    assert proc.returncode == 0, err.decode()
    assert not loop.errors and loop.count > 0
    assert build in loop.builds and kb.index.build_id in loop.builds and len(loop.builds) == 2
