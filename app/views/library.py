"""Library: the documents, their sections and text; admins add and remove documents."""

from __future__ import annotations

import streamlit as st

from app.common import highlighted, is_admin, knowledge_base, md_escape, settings
from app.uploads import UPLOAD_TYPES, add_document, remove_document
from ingest.errors import IngestError
from kb.core.records import SECTION_SEP

kb = knowledge_base()
index = kb.index


def _int(name: str) -> int | None:
    try:
        return int(st.query_params.get(name, ""))
    except ValueError:
        return None


def show_cited(text: str, start: int, end: int) -> None:
    """The cited passage highlighted, with some text either side."""
    st.subheader("Cited passage")
    a, b = max(0, start - 600), min(len(text), end + 600)
    # Start and end the context at line breaks, not mid-word.
    if a and "\n" in text[a:start]:
        a = text.find("\n", a, start) + 1
    if b < len(text) and "\n" in text[end:b]:
        b = text.rfind("\n", end, b)
    with st.container(border=True):
        st.markdown(
            ("… " if a else "")
            + highlighted(text[a:b], spans=[(start - a, end - a)])
            + (" …" if b < len(text) else "")
        )


def show_document(doc_id: str) -> None:
    record = index.documents[doc_id]
    meta = record.meta
    text = index.document_text(doc_id)
    if st.button("← All documents"):
        st.query_params.clear()
        st.rerun()
    st.header(meta.title)
    if record.added_by == "upload":
        st.caption("Added to the library by an officer; not part of the curated guidance.")
    facts = [
        ("Publisher", meta.publisher),
        ("Author", meta.author),
        ("Date", meta.date_label),
        ("How the date is known", meta.date_note),
        ("Kind", meta.kind),
        ("Original", meta.url),
    ]
    st.markdown("  \n".join(f"**{k}:** {md_escape(str(v))}" for k, v in facts if v))
    start, end = _int("start"), _int("end")
    cited = (start, end) if start is not None and end is not None else None
    if cited and not 0 <= cited[0] < cited[1] <= len(text):
        cited = None
    sections = record.sections
    if not sections:
        st.markdown(highlighted(text, spans=[cited] if cited else []))
        return
    default = 0
    if cited:
        show_cited(text, *cited)
        # Open the innermost section that holds the cited passage.
        holding = [i for i, s in enumerate(sections) if s["start"] <= cited[0] < s["end"]]
        default = holding[-1] if holding else 0
    st.subheader("Sections")
    labels = [SECTION_SEP.join(s["path"]) or "(untitled)" for s in sections]
    chosen = st.selectbox(
        "Section",
        range(len(sections)),
        index=default,
        format_func=lambda i: "  " * (len(sections[i]["path"]) - 1) + labels[i],
    )
    s = sections[chosen]
    spans = [(cited[0] - s["start"], cited[1] - s["start"])] if cited else []
    st.markdown(highlighted(text[s["start"] : s["end"]], spans=spans))
    with st.expander("Section tree"):
        st.markdown(
            "\n".join(
                f"{'  ' * (len(x['path']) - 1)}- {md_escape(x['path'][-1] if x['path'] else '')}"
                for x in sections
            )
        )


def ingest_upload(name: str, data: bytes, title: str, date: str, kind: str) -> list[str]:
    """Add an uploaded file with a progress indicator; return what went wrong (if anything)."""
    with st.status(f"Adding {md_escape(name)}…", expanded=True) as status:
        st.write("Reading, cleaning, splitting and indexing the text…")
        try:
            report = add_document(
                settings(), name, data, title, date, kind, taken=set(index.documents)
            )
        except IngestError as exc:
            problems = [str(exc)]
        else:
            problems = list(report.failed.values())
        if problems:
            status.update(label=f"{md_escape(name)} was not added", state="error")
        else:
            status.update(label=f"Added in {report.seconds:.1f} s", state="complete")
    return problems


def admin_tools() -> None:
    if st.session_state.get("library_notice"):
        st.success(md_escape(st.session_state.pop("library_notice")))
    st.subheader("Add a document")
    with st.form("add-document", clear_on_submit=True):
        upload = st.file_uploader("File", type=UPLOAD_TYPES)
        title = st.text_input("Title")
        date = st.text_input("Publication date", placeholder="YYYY, YYYY-MM or YYYY-MM-DD")
        kind = st.selectbox("Kind", ["article", "guide"])
        submitted = st.form_submit_button("Add to the library")
    if submitted:
        if upload is None:
            st.error("Please choose a file.")
        else:
            problems = ingest_upload(upload.name, upload.getvalue(), title, date, kind)
            for problem in problems:
                st.error(md_escape(f"{problem} Nothing was changed."))
            if not problems:
                # Rerun so the list (read before the ingest) shows the new document.
                st.session_state["library_notice"] = f"Added {upload.name} to the library."
                st.rerun()
    uploads = [d for d in index.documents.values() if d.added_by == "upload"]
    if uploads:
        st.subheader("Remove a document")
        with st.form("remove-document"):
            doc_id = st.selectbox(
                "Document",
                [d.meta.id for d in uploads],
                format_func=lambda i: index.documents[i].meta.title,
            )
            sure = st.checkbox("Yes, remove it from the library")
            remove = st.form_submit_button("Remove")
        if remove and not sure:
            st.warning("Tick “Yes, remove it from the library” to confirm; nothing was removed.")
        elif remove:
            title = index.documents[doc_id].meta.title
            with st.spinner("Removing…"):
                remove_document(settings(), doc_id)
            st.session_state["library_notice"] = f"Removed {title} from the library."
            st.rerun()
    st.caption(
        "Only documents added here by officers can be removed here. The documents the "
        "assistant came with are changed by whoever maintains this installation."
    )


st.title("Library")
doc = st.query_params.get("doc")
if doc and doc in index.documents:
    show_document(doc)
    st.stop()
if doc:
    st.warning("That document is not in the library (it may have been removed).")

st.caption(f"{len(index.documents)} documents, {len(index.chunks):,} passages.")
for d in index.documents.values():
    meta = d.meta
    with st.container(border=True):
        text, action = st.columns([5, 1], vertical_alignment="center")
        upload = d.added_by == "upload"
        text.markdown(
            f"**{md_escape(meta.title)}**" + (" · :orange-badge[Officer upload]" if upload else "")
        )
        facts = [meta.publisher or "", meta.date_label, meta.kind, f"{len(d.chunk_ids)} passages"]
        text.caption(md_escape(" · ".join(f for f in facts if f)))
        if action.button("Open", key=f"open-{meta.id}"):
            st.query_params["doc"] = meta.id
            st.rerun()
if is_admin():
    admin_tools()
