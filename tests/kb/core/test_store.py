"""The store: complete builds, an atomic switch to the new one, pruning, clear errors.

Builds are written with the real BuildWriter into a real (embedded) Chroma in
a temporary data directory; the vectors are small made-up ones, since these
tests are about the files and the switch, not about the model.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from kb.api import KnowledgeBase
from kb.core.records import Chunk, DocumentMeta
from kb.core.settings import Settings
from kb.core.store import BuildWriter, DocumentRecord, IndexStore, NoIndexError

DIM = 8


def chunk(doc_id: str, n: int, text: str) -> Chunk:
    return Chunk(
        id=f"{doc_id}-{n}",
        doc_id=doc_id,
        text=text,
        title=f"Title of {doc_id}",
        section=("Part one", f"Heading {n}"),
        start=n * 100,
        end=n * 100 + len(text),
        kind="note",
        date="2020",
        date_label="2020",
        page=n + 1,
    )


def write_build(
    store: IndexStore, texts: list[str], artifacts: dict | None = None, build_id: str | None = None
) -> str:
    """One complete build of a document ``doc`` with one chunk per text; returns its id.

    ``build_id`` names the build as ``IndexStore.new_build`` would at a given time.
    """
    doc_id = "doc"
    chunks = [chunk(doc_id, n, t) for n, t in enumerate(texts)]
    rng = np.random.default_rng(len(texts))
    vectors = rng.normal(size=(len(chunks), DIM)).astype(np.float32)
    record = DocumentRecord(
        meta=DocumentMeta(id=doc_id, title=f"Title of {doc_id}", file="doc.txt", kind="note"),
        source_hash="h" * 16,
        chunk_ids=[c.id for c in chunks],
        chars=1000,
        sections=[],
    )
    writer = (
        BuildWriter(store.settings, build_id, store.builds / build_id)
        if build_id
        else store.new_build()
    )
    writer.write(
        [record],
        chunks,
        vectors,
        {doc_id: " ".join(texts)},
        {"created": "2024-01-01T00:00:00", "chunks": len(chunks)},
        artifacts,
    )
    return writer.build_id


@pytest.fixture
def store(tmp_path: Path) -> IndexStore:
    return IndexStore(Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus"))


def test_empty_data_dir_has_no_index(store: IndexStore) -> None:
    assert store.current_id() is None
    with pytest.raises(NoIndexError, match=r"^No index yet: run `kb ingest` first\.$"):
        store.open()
    kb = KnowledgeBase(store.settings, embedder=object())  # never reached: no index to embed for
    with pytest.raises(NoIndexError):
        kb.search("shared legal services")
    with pytest.raises(NoIndexError):
        kb.stats()


def test_a_written_build_is_not_current_until_switched(store: IndexStore) -> None:
    build = write_build(store, ["Shared legal team.", "Joint waste contract."])
    assert (store.builds / build / "build.json").exists()
    assert store.current_id() is None
    with pytest.raises(NoIndexError):
        store.open()

    store.switch(build)
    assert (store.root / "CURRENT").read_text(encoding="utf-8") == build
    assert not list(store.root.glob(".CURRENT.*"))  # the temporary file was renamed into place
    index = store.open()
    assert index.build_id == build
    assert [index.chunks[c].text for c in index.order] == [
        "Shared legal team.",
        "Joint waste contract.",
    ]
    assert index.chunks["doc-1"].section == ("Part one", "Heading 1")
    assert index.chunks["doc-1"].page == 2
    assert index.document_text("doc") == "Shared legal team. Joint waste contract."
    assert index.embeddings().shape == (2, DIM)
    assert json.loads((store.builds / build / "build.json").read_text())["build_id"] == build


def test_switching_builds_changes_what_readers_see(store: IndexStore) -> None:
    first = write_build(store, ["First build text about legal services."])
    store.switch(first)
    kb = KnowledgeBase(store.settings)
    assert kb.index.build_id == first
    old_index = kb.index

    second = write_build(store, ["Second build text.", "About waste.", "And procurement."])
    assert kb.index.build_id == first  # written, not yet switched: readers keep the old one
    store.switch(second)
    assert kb.index.build_id == second and len(kb.index.chunks) == 3
    # A reader that opened the old build can still use it after the switch.
    assert [cid for cid, _ in old_index.bm25_search("legal services", 5)] == ["doc-0"]
    assert old_index.dense_search([1.0] * DIM, 1)[0][0] == "doc-0"


def test_current_pointing_at_an_incomplete_build_is_no_index(store: IndexStore) -> None:
    build = write_build(store, ["Some text."])
    store.switch(build)
    (store.builds / build / "build.json").unlink()  # as if it never finished
    assert store.current_id() is None
    with pytest.raises(NoIndexError):
        store.open()


def at(second: int, suffix: str = "abcdef") -> str:
    """A build id as ``new_build`` makes it, for a given second."""
    return f"20240101T0000{second:02d}-{suffix}"


def test_new_build_ids_sort_by_time(store: IndexStore) -> None:
    build = store.new_build().build_id
    assert re.fullmatch(r"\d{8}T\d{6}-[0-9a-f]{6}", build)
    assert build > at(0)


def test_prune_keeps_the_current_and_previous_builds(store: IndexStore) -> None:
    builds = []
    for n in range(4):
        builds.append(write_build(store, [f"Build {n} text."], build_id=at(n)))
        store.switch(builds[-1])
    half = BuildWriter(store.settings, at(5), store.builds / at(5))  # a failed ingest
    (half.path / "chroma").mkdir()

    store.prune()
    assert sorted(p.name for p in store.builds.iterdir()) == builds[-2:]
    assert store.current_id() == builds[-1]
    assert store.open().chunks["doc-0"].text == "Build 3 text."
    assert IndexStore.KEEP_BUILDS == 2


def test_prune_never_deletes_the_current_build(store: IndexStore) -> None:
    builds = [write_build(store, [f"Build {n} text."], build_id=at(n)) for n in range(4)]
    store.switch(builds[0])  # rolled back to the oldest build
    store.prune()
    assert sorted(p.name for p in store.builds.iterdir()) == [builds[0], *builds[-2:]]
    assert store.open().chunks["doc-0"].text == "Build 0 text."


def test_prune_keeps_the_previous_build_made_in_the_same_second(store: IndexStore) -> None:
    oldest = write_build(store, ["Oldest."], build_id=at(1, "ffffff"))
    previous = write_build(store, ["Previous."], build_id=at(1, "000000"))
    store.switch(previous)
    current = write_build(store, ["Current."], build_id=at(2))
    store.switch(current)
    store.prune()
    assert sorted(p.name for p in store.builds.iterdir()) == sorted([previous, current])
    assert not (store.builds / oldest).exists()


def test_prune_on_an_empty_data_dir_does_nothing(store: IndexStore) -> None:
    store.prune()
    assert not store.builds.exists()


def test_artifacts_are_read_back_and_absent_ones_are_none(store: IndexStore) -> None:
    cases = {"version": 1, "records": [{"id": "two-councils", "title": "Two councils"}]}
    build = write_build(store, ["Text."], artifacts={"cases": cases})
    store.switch(build)
    index = store.open()
    assert index.artifact("cases") == cases
    assert index.artifact("checklist") is None
    assert index.artifact("no-such-stage") is None


def test_a_build_without_artifacts_has_none(store: IndexStore) -> None:
    store.switch(write_build(store, ["Text."]))
    assert store.open().artifact("cases") is None


def test_filters_select_chunk_ids(store: IndexStore) -> None:
    from kb.core.records import SearchFilters

    store.switch(write_build(store, ["Alpha text.", "Beta text.", "Gamma text."]))
    index = store.open()
    assert index.allowed_ids(SearchFilters()) is None
    assert index.allowed_ids(SearchFilters(doc_ids=("doc",))) == ["doc-0", "doc-1", "doc-2"]
    assert index.allowed_ids(SearchFilters(doc_ids=("other",))) == []
    assert index.allowed_ids(SearchFilters(kinds=("guide",))) == []
    assert index.allowed_ids(SearchFilters(section="heading 2")) == ["doc-2"]
    assert index.dense_search([1.0] * DIM, 5, allowed=[]) == []
    hits = index.dense_search([1.0] * DIM, 5, allowed=["doc-1"])
    assert [cid for cid, _ in hits] == ["doc-1"]
