"""Checklist: work through the guide's questions for a named proposal, and export a briefing."""

from __future__ import annotations

from itertools import groupby

import streamlit as st

from app.cases import all_cases
from app.common import (
    PAGES,
    assessment_store,
    current_user,
    knowledge_base,
    md_escape,
    model_ready,
)
from app.guidance import checklist, locate, related
from kb.assessments import STATUSES, AssessmentError
from kb.export import assessment_docx, assessment_markdown

user = current_user()
kb = knowledge_base()
store = assessment_store()
framework = checklist()
source_record = kb.index.documents.get(framework.doc_id)
source = source_record.meta if source_record else None

st.title("Checklist")
st.caption(
    "The questions the LGA guide (2011) asks councils to work through before sharing. "
    "Keep one assessment per proposal; your answers are saved as you go."
)

if not framework.items:
    st.info("The checklist file (corpus/checklist.yaml) is not there yet.")
    st.stop()

# -- which assessment -------------------------------------------------------------------
assessments = store.list(user)
with st.sidebar:
    st.subheader("Assessments")
    with st.form("new-assessment", clear_on_submit=True):
        name = st.text_input("New assessment", placeholder="Waste partnership with X")
        if st.form_submit_button("Create"):
            try:
                st.session_state["assessment_id"] = store.create(user, name)
                st.rerun()
            except AssessmentError as exc:
                st.error(md_escape(str(exc)))

if not assessments:
    st.info(
        "Create an assessment in the sidebar to start (for example "
        "“Revenues and benefits with a neighbouring district”)."
    )
    st.stop()

ids = [a.id for a in assessments]
names = {a.id: a.name for a in assessments}
current = st.session_state.get("assessment_id")
chosen = st.sidebar.selectbox(
    "Working on",
    ids,
    index=ids.index(current) if current in ids else 0,
    format_func=lambda i: names[i],
)
st.session_state["assessment_id"] = chosen
assessment = store.get(user, chosen)


def save(item_id: str) -> None:
    status = st.session_state[f"status-{chosen}-{item_id}"]
    notes = st.session_state.get(f"notes-{chosen}-{item_id}", "")
    try:
        store.set_item(user, chosen, item_id, status, notes)
    except AssessmentError as exc:
        st.session_state["save_error"] = str(exc)


if st.session_state.get("save_error"):
    st.error(md_escape(st.session_state.pop("save_error")))

# -- progress and export ----------------------------------------------------------------
st.header(assessment.name)
groups = [(kq, list(items)) for kq, items in groupby(framework.items, key=lambda i: i.key_question)]
cols = st.columns(len(groups))
for col, (kq, items) in zip(cols, groups, strict=True):
    done = sum(assessment.state(i.id).status in ("done", "not_applicable") for i in items)
    col.progress(done / len(items), text=f"{kq} {done}/{len(items)}")

slug = "".join(ch if ch.isalnum() else "-" for ch in assessment.name.lower()).strip("-")[:60]
c1, c2 = st.columns(2)
c1.download_button(
    "Export briefing (Markdown)",
    assessment_markdown(assessment, framework, source),
    file_name=f"{slug or 'assessment'}.md",
    mime="text/markdown",
)
c2.download_button(
    "Export briefing (Word)",
    # Built when clicked (python-docx takes a moment), from what is stored then.
    lambda: assessment_docx(store.get(user, chosen), framework, source),
    file_name=f"{slug or 'assessment'}.docx",
    mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)

# -- the questions ----------------------------------------------------------------------
focus = st.query_params.get("item")
focus_kq = next((i.key_question for i in framework.items if i.id == focus), None)
kq_titles = [kq for kq, _ in groups]
kq = st.radio(
    "Key question", kq_titles, horizontal=True, index=kq_titles.index(focus_kq) if focus_kq else 0
)
build = kb.index.build_id
items = dict(groups)[kq]
for n, (section, group) in enumerate(groupby(items, key=lambda i: i.section_title)):
    section_items = list(group)
    # Open the section of a linked item, or else the first one.
    open_it = any(i.id == focus for i in section_items) if focus_kq == kq else n == 0
    done = sum(assessment.state(i.id).status in ("done", "not_applicable") for i in section_items)
    with st.expander(f"{md_escape(section)} ({done}/{len(section_items)})", expanded=open_it):
        for item in section_items:
            state = assessment.state(item.id)
            with st.container(border=True):
                st.markdown(f"**{md_escape(item.question)}**")
                st.caption(md_escape(item.guidance))
                left, right = st.columns([1, 3])
                left.selectbox(
                    "Status",
                    list(STATUSES),
                    index=list(STATUSES).index(state.status),
                    format_func=STATUSES.get,
                    key=f"status-{chosen}-{item.id}",
                    on_change=save,
                    args=(item.id,),
                )
                right.text_area(
                    "Notes",
                    value=state.notes,
                    key=f"notes-{chosen}-{item.id}",
                    on_change=save,
                    args=(item.id,),
                    height=80,
                )
                span = locate(build, framework.doc_id, item.section_path, item.quote)
                params = {"doc": framework.doc_id}
                if span:
                    params.update(start=str(span[0]), end=str(span[1]))
                st.page_link(
                    PAGES["library"],
                    label="Where the guide says this",
                    icon=":material/menu_book:",
                    query_params=params,
                )
                if st.toggle("Show guidance passages and case studies", key=f"more-{item.id}"):
                    model_ready()
                    found = related(build, item.id, item.question)
                    for p in found["passages"]:
                        where = ", ".join(
                            str(x) for x in (p["title"], p["section"], p["date"]) if x
                        )
                        st.markdown(f"> {md_escape(' '.join(p['text'].split()))}")
                        st.caption(md_escape(where))
                    titles = {str(c["id"]): str(c.get("title")) for c in all_cases(kb)}
                    for case_id, reason in found["cases"]:
                        st.page_link(
                            PAGES["cases"],
                            label=md_escape(titles.get(case_id, case_id)),
                            icon=":material/apartment:",
                            query_params={"case": case_id},
                        )
                        if reason:
                            st.caption(md_escape(reason))
