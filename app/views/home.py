"""Home: what the assistant is and a map of the app."""

from __future__ import annotations

import streamlit as st

from app.common import PAGES, current_user, knowledge_base, md_escape

kb = knowledge_base()
index = kb.index

st.title("Shared services guidance assistant")
st.markdown(
    "Help for council officers deciding whether and how to share services, drawn from the "
    "LGA's 2011 guide and later articles. Every answer cites its sources."
)
cols = st.columns(4)
links = [
    (
        "ask",
        "Ask a question",
        ":material/chat:",
        "Chat with the guidance; answers cite their sources.",
    ),
    (
        "cases",
        "Case studies",
        ":material/apartment:",
        "What other councils shared, how, and what they saved.",
    ),
    (
        "checklist",
        "Checklist",
        ":material/checklist:",
        "Work through the guide's questions for your proposal.",
    ),
    ("library", "Library", ":material/menu_book:", "The documents, their sections and full text."),
]
for col, (page, label, icon, blurb) in zip(cols, links, strict=True):
    with col.container(border=True):
        st.page_link(PAGES[page], label=label, icon=icon)
        st.caption(blurb)

st.subheader("In the library")
for record in index.documents.values():
    meta = record.meta
    st.markdown(f"- **{md_escape(meta.title)}** ({md_escape(meta.date_label)})")
st.caption(f"{len(index.chunks):,} passages indexed · signed in as {md_escape(current_user())}")
