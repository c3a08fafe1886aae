"""Ingest: load, clean, structure, chunk and embed documents into a new build.

Re-ingest is incremental (documents whose source and settings are unchanged
keep their chunks and embeddings) and safe (everything is written to a new
build, and the switch to it is atomic).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest.cases import build_cases_artifact
from ingest.chunk import chunk_document, make_splitter
from ingest.clean import Cleaned, clean_pdf, clean_pdf_document
from ingest.clean_web import clean_plain_text, clean_web
from ingest.errors import IngestError
from ingest.loaders import SUPPORTED, load_file
from ingest.manifest import read_manifest, slugify
from ingest.structure import load_profile, split_sections
from ingest.windows import sentence_windows
from kb.core.model_registry import active_model, model_identity
from kb.core.questions import known_questions, question_expansions
from kb.core.records import Chunk, CleanDocument, DocumentMeta, IngestReport, Window, content_hash
from kb.core.settings import Settings
from kb.core.store import (
    DocumentRecord,
    Index,
    IndexStore,
    NoIndexError,
    embed_text,
)

# Bump when cleaning, structure or chunking change, so every document is redone.
PIPELINE_VERSION = "8"


# Stages that derive build-wide records (e.g. case studies) from the prepared
# documents register here: name -> function(list[Prepared]) -> JSON-able data.
ARTIFACT_BUILDERS: dict[str, Callable[[list[Prepared]], Any]] = {"cases": build_cases_artifact}


@dataclass
class Prepared:
    """One document ready to be written: its record, cleaned text, chunks and windows."""

    record: DocumentRecord
    text: str
    chunks: list[Chunk]
    windows: list[Window]
    embeddings: np.ndarray | None = None  # reused from the previous build
    window_embeddings: np.ndarray | None = None


def pipeline_fingerprint(settings: Settings) -> str:
    return content_hash(
        # The model's identity, not its path: a data folder copied or moved elsewhere
        # (with its tuned model) must not look like a change of model.
        f"{PIPELINE_VERSION}|{model_identity(active_model(settings))}|{settings.chunk_tokens}|"
        f"{settings.chunk_overlap}|{settings.window_sentences}"
    )


def source_hash(meta: DocumentMeta, settings: Settings, structure_dir: Path) -> str:
    """Hash of everything that shapes a document's chunks."""
    path = Path(meta.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{path.name}: cannot be read ({exc.strerror}).") from exc
    profile = structure_dir / f"{meta.id}.yaml"
    extra = profile.read_bytes() if profile.exists() else b""
    meta_json = json.dumps({**meta.to_dict(), "file": path.name}, sort_keys=True)
    import hashlib

    digest = hashlib.sha256(data)
    digest.update(extra)
    digest.update(meta_json.encode())
    digest.update(pipeline_fingerprint(settings).encode())
    return digest.hexdigest()[:16]


def prepare_document(meta: DocumentMeta, settings: Settings, structure_dir: Path) -> CleanDocument:
    """Load and clean one document (the text the library shows)."""
    loaded = load_file(Path(meta.file), meta.format, settings.max_file_mb)
    profile = load_profile(structure_dir, meta.id)
    # Corpus-specific rules run only where a known document's profile names them.
    if loaded.pages:
        cleaned = clean_pdf_document(loaded.pages, "drop-digit-lines" in profile.rules)
    elif loaded.format == "pdf-text":
        outline = tuple(h.title for h in profile.headings)
        cleaned = clean_pdf(loaded.text, profile.furniture, outline)
    elif loaded.format in ("web-text", "html"):
        cleaned = clean_web(loaded.text, "web-page-end" in profile.rules)
    else:
        cleaned = Cleaned(clean_plain_text(loaded.text))
    if not cleaned.text.strip():
        raise IngestError(f"{Path(meta.file).name}: no text is left after cleaning.")
    return CleanDocument(
        meta, cleaned.text, cleaned.pages, garbled=cleaned.garbled, dropped=cleaned.dropped
    )


def extra_documents(paths: list[Path]) -> tuple[list[DocumentMeta], dict[str, str]]:
    """Documents named on the command line: files, or the supported files in folders."""
    metas: list[DocumentMeta] = []
    failed: dict[str, str] = {}
    for path in paths:
        if not path.exists():
            failed[str(path)] = f"{path}: no such file or folder."
            continue
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            if path.is_dir() and f.suffix.lower() not in SUPPORTED:
                failed[str(f)] = f"{f.name}: unsupported file type {f.suffix or '(none)'}."
                continue
            # "Report.pdf" and "report.txt" slug alike; number the later ones
            # rather than let one silently replace the other.
            doc_id, n = slugify(f.stem), 2
            while doc_id in {m.id for m in metas}:
                doc_id, n = f"{slugify(f.stem)}-{n}", n + 1
            metas.append(
                DocumentMeta(
                    id=doc_id,
                    title=" ".join(f.stem.replace("_", " ").split()) or f.name,
                    file=str(f.resolve()),
                    kind="article",
                )
            )
    return metas, failed


def ingest(
    settings: Settings,
    extra: list[DocumentMeta] | None = None,
    progress: bool = True,
    remove: tuple[str, ...] = (),
) -> IngestReport:
    """Bring the index in line with the manifest (plus ``extra`` documents).

    Returns a report; raises IngestError only when nothing could be done
    (e.g. the manifest is unreadable). Per-file failures are in the report.
    """
    started = time.perf_counter()
    store = IndexStore(settings)
    structure_dir = settings.corpus_dir / "structure"
    report = IngestReport()
    store.check()
    with store.lock():
        previous = _open_previous(store)
        wanted = read_manifest(settings.manifest_path)
        uploads = _uploaded(previous, remove)
        for meta in extra or []:
            uploads[meta.id] = (meta, "upload")
        ids = {m.id for m in wanted}
        for doc_id in list(uploads):
            if doc_id in ids:
                # Same id as a manifest document: keep both by suffixing the upload.
                meta, origin = uploads.pop(doc_id)
                new_id = f"{doc_id}-upload"
                uploads[new_id] = (DocumentMeta(**{**meta.to_dict(), "id": new_id}), origin)
        plan = [(m, "manifest") for m in wanted] + list(uploads.values())
        prepared: list[Prepared] = []
        for meta, origin in plan:
            try:
                prepared.append(_prepare(meta, origin, settings, structure_dir, previous, report))
            except Exception as exc:  # noqa: BLE001 - one bad file must not sink the rest
                _record_failure(report, meta, exc)
                old = previous.documents.get(meta.id) if previous else None
                if old is not None and previous is not None:
                    # Keep what was indexed before rather than lose the document.
                    prepared.append(_reuse(old, previous))
        kept = {p.record.meta.id for p in prepared}
        if previous:
            report.removed = sorted(set(previous.documents) - kept)
        _drop_duplicate_content(prepared, report)
        complete = previous is not None and all(
            previous.artifact(name) is not None for name in ARTIFACT_BUILDERS
        )
        chunks = [c for p in prepared for c in p.chunks]
        expansions = question_expansions(chunks, known_questions(settings))
        expansion_hash = content_hash(json.dumps(expansions, sort_keys=True))
        # Changed known questions rebuild BM25; nothing is re-embedded.
        same_expansion = previous is not None and previous.info.get("expansion") == expansion_hash
        if not report.changed and complete and same_expansion and previous is not None:
            report.build_id = previous.build_id
            report.chunks = len(previous.chunks)
            report.seconds = time.perf_counter() - started
            return report
        _embed_new(prepared, settings, progress)
        writer = store.new_build()
        embeddings = (
            np.vstack(
                [p.embeddings for p in prepared if p.embeddings is not None and len(p.chunks)]
            )
            if chunks
            else np.zeros((0, 1), dtype=np.float32)
        )
        info: dict[str, Any] = {
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "embed_model": active_model(settings),
            "embed_dim": int(embeddings.shape[1]) if chunks else None,
            "fingerprint": pipeline_fingerprint(settings),
            "documents": len(prepared),
            "chunks": len(chunks),
            "expansion": expansion_hash,
            "expanded_chunks": len(expansions),
        }
        artifacts = {name: build(prepared) for name, build in ARTIFACT_BUILDERS.items()}
        windows = [w for p in prepared for w in p.windows]
        window_embeddings = (
            np.vstack([p.window_embeddings for p in prepared if p.window_embeddings is not None])
            if windows
            else None
        )
        writer.write(
            [p.record for p in prepared],
            chunks,
            embeddings,
            {p.record.meta.id: p.text for p in prepared},
            info,
            artifacts,
            windows,
            window_embeddings,
            expansions=expansions,
        )
        store.switch(writer.build_id)
        store.prune()
        report.build_id = writer.build_id
        report.chunks = len(chunks)
        report.seconds = time.perf_counter() - started
        return report


def _record_failure(report: IngestReport, meta: DocumentMeta, exc: Exception) -> None:
    """One line per failed file: its name and the reason."""
    name = Path(meta.file).name if meta.file else meta.id
    if isinstance(exc, IngestError):
        reason = str(exc)
    else:  # a bug or a library error on odd input: name it, keep going
        detail = str(exc)[:200] or "no detail"
        reason = f"{name}: could not be processed ({type(exc).__name__}: {detail})."
    key = name if name not in report.failed else meta.file
    report.failed[key] = " ".join(reason.split())


def _open_previous(store: IndexStore) -> Index | None:
    try:
        return store.open()
    except NoIndexError:
        return None


def _uploaded(
    previous: Index | None, remove: tuple[str, ...]
) -> dict[str, tuple[DocumentMeta, str]]:
    if previous is None:
        return {}
    return {
        d.meta.id: (d.meta, d.added_by)
        for d in previous.documents.values()
        if d.added_by == "upload" and d.meta.id not in remove
    }


def _prepare(
    meta: DocumentMeta,
    origin: str,
    settings: Settings,
    structure_dir: Path,
    previous: Index | None,
    report: IngestReport,
) -> Prepared:
    digest = source_hash(meta, settings, structure_dir)
    old = previous.documents.get(meta.id) if previous else None
    if old is not None and previous is not None and old.source_hash == digest:
        report.unchanged.append(meta.id)
        return _reuse(old, previous)
    doc = prepare_document(meta, settings, structure_dir)
    profile = load_profile(structure_dir, meta.id)
    sections = split_sections(meta.id, doc.text, profile)
    chunks = chunk_document(
        doc, sections, make_splitter(settings.chunk_tokens, settings.chunk_overlap)
    )
    if not chunks:
        raise IngestError(f"{Path(meta.file).name}: no passages could be made from the text.")
    (report.replaced if old is not None else report.added).append(meta.id)
    if doc.dropped:
        report.dropped[meta.id] = dict(doc.dropped)
    windows = [w for c in chunks for w in sentence_windows(c, settings.window_sentences)]
    record = DocumentRecord(
        meta=meta,
        source_hash=digest,
        chunk_ids=[c.id for c in chunks],
        chars=len(doc.text),
        sections=[
            {
                "path": list(s.path),
                "start": s.start,
                "end": s.end,
                "kind": s.kind,
                "case_id": s.case_id,
            }
            for s in sections
        ],
        added_by=origin,
    )
    return Prepared(record, doc.text, chunks, windows)


def _reuse(old: DocumentRecord, previous: Index) -> Prepared:
    position = {cid: i for i, cid in enumerate(previous.order)}
    vectors = previous.embeddings()
    rows = [position[c] for c in old.chunk_ids]
    windows, window_vectors = previous.windows_of(old.chunk_ids)
    return Prepared(
        old,
        previous.document_text(old.meta.id),
        [previous.chunks[c] for c in old.chunk_ids],
        windows,
        vectors[rows] if rows else None,
        window_vectors,
    )


def _drop_duplicate_content(prepared: list[Prepared], report: IngestReport) -> None:
    # The same text added twice would double every search hit; keep the first.
    seen: dict[str, str] = {}
    for p in list(prepared):
        key = content_hash(p.text)
        if key in seen:
            prepared.remove(p)
            doc_id = p.record.meta.id
            for bucket in (report.added, report.replaced):
                if doc_id in bucket:
                    bucket.remove(doc_id)
            name = Path(p.record.meta.file).name
            report.failed[name] = f"{name}: same text as document {seen[key]}; not added twice."
        else:
            seen[key] = p.record.meta.id


def _embed_new(prepared: list[Prepared], settings: Settings, progress: bool) -> None:
    """Embed the chunks and windows of new or changed documents in one batched pass."""
    todo = [p for p in prepared if p.embeddings is None]
    texts: list[str] = []
    for p in todo:
        texts += [embed_text(c) for c in p.chunks]
        # Windows go in bare: with the chunk's title and section prepended they
        # took 40% longer to embed and retrieved no better on the gold set.
        texts += [w.text for w in p.windows]
    if not texts:
        return
    # Imported here: loading torch costs seconds a no-op re-ingest need not pay.
    from kb.core.embedder import embedder_for

    model = embedder_for(settings)
    # Batches of like lengths pad least: long chunks and short windows apart.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    sorted_vectors = np.asarray(
        model.get_text_embedding_batch([texts[i] for i in order], show_progress=progress),
        dtype=np.float32,
    )
    vectors = np.empty_like(sorted_vectors)
    vectors[order] = sorted_vectors
    i = 0
    for p in todo:
        p.embeddings = vectors[i : i + len(p.chunks)]
        i += len(p.chunks)
        p.window_embeddings = vectors[i : i + len(p.windows)]
        i += len(p.windows)
