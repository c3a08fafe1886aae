"""Checklist: work through the guide's questions for a named proposal, and export a briefing."""

from __future__ import annotations

from itertools import groupby

import streamlit as st

from app.cases import all_cases
from app.common import (
    PAGES,
    account_store,
    assessment_store,
    current_user,
    export_buttons,
    is_admin,
    knowledge_base,
    md_escape,
    model_ready,
)
from app.guidance import checklist, locate, related
from kb.checklist.assessments import ACCESS, STATUSES, AssessmentError
from kb.workspace.accounts import EVERYONE
from kb.workspace.export import assessment_docx, assessment_markdown, assessment_pdf

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

focus = st.query_params.get("item")
if not assessments:
    linked = next((i for i in framework.items if i.id == focus), None)
    if linked is not None:
        # Arrived from an answer: show the question, and start an assessment right here.
        with st.container(border=True):
            st.markdown(f"**{md_escape(linked.question)}**")
            st.caption(md_escape(linked.guidance))
    st.info(
        "To record your answers, create an assessment for your proposal (for example "
        "“Revenues and benefits with a neighbouring district”)."
    )
    with st.form("first-assessment"):
        name = st.text_input("Name of the proposal", placeholder="Waste partnership with X")
        if st.form_submit_button("Create assessment"):
            try:
                st.session_state["assessment_id"] = store.create(user, name)
                st.rerun()
            except AssessmentError as exc:
                st.error(md_escape(str(exc)))
    st.stop()


def _label(a_id: int) -> str:
    a = by_id[a_id]
    if a.access == "owner":
        return a.name
    if a.owner == EVERYONE:
        return f"{a.name} (everyone's)"
    return f"{a.name} ({a.owner}, {'can edit' if a.can_edit else 'read only'})"


by_id = {a.id: a for a in assessments}
ids = list(by_id)
current = st.session_state.get("assessment_id")
chosen = st.sidebar.selectbox(
    "Working on", ids, index=ids.index(current) if current in ids else 0, format_func=_label
)
st.session_state["assessment_id"] = chosen
assessment = store.get(user, chosen)
editable = assessment.can_edit


def save(item_id: str) -> None:
    status = st.session_state[f"status-{chosen}-{item_id}"]
    notes = st.session_state.get(f"notes-{chosen}-{item_id}", "")
    unsaved = st.session_state.setdefault("unsaved", set())
    try:
        store.set_item(user, chosen, item_id, status, notes)
    except AssessmentError as exc:
        st.session_state["save_error"] = str(exc)
        unsaved.add(f"notes-{chosen}-{item_id}")  # keep what was typed on screen
    else:
        unsaved.discard(f"notes-{chosen}-{item_id}")


if st.session_state.get("save_error"):
    st.error(md_escape(st.session_state.pop("save_error")))

# -- progress and export ----------------------------------------------------------------
st.header(assessment.name)
groups = [(kq, list(items)) for kq, items in groupby(framework.items, key=lambda i: i.key_question)]
cols = st.columns(len(groups))
for col, (kq, items) in zip(cols, groups, strict=True):
    done = sum(assessment.state(i.id).status in ("done", "not_applicable") for i in items)
    col.progress(done / len(items), text=f"{kq} {done}/{len(items)}")

if assessment.access != "owner":
    who = "everyone (made before accounts)" if assessment.owner == EVERYONE else assessment.owner
    st.caption(
        f"Belongs to {md_escape(who)}; "
        + ("you can edit it." if editable else "shared with you to read only.")
    )

slug = "".join(ch if ch.isalnum() else "-" for ch in assessment.name.lower()).strip("-")[:60]
everything = st.toggle(
    "Include sections not started", key="export-everything", help="All the guide's questions"
)
with st.container(horizontal=True):
    export_buttons(
        "briefing",
        slug or "assessment",
        {
            # Each file is built when pressed, from what is saved then.
            "Markdown": lambda: assessment_markdown(
                store.get(user, chosen), framework, source, everything
            ),
            "Word": lambda: assessment_docx(store.get(user, chosen), framework, source, everything),
            "PDF": lambda: assessment_pdf(store.get(user, chosen), framework, source, everything),
        },
    )

if assessment.access == "owner":
    with st.sidebar.expander("Share, rename or delete"):
        shares = store.shares(user, chosen)
        for name, access in shares.items():
            left, right = st.columns([3, 1], vertical_alignment="center")
            left.caption(f"{md_escape(name)}: {ACCESS[access].lower()}")
            if right.button("Stop", key=f"unshare-{chosen}-{name}"):
                store.unshare(user, chosen, name)
                st.rerun()
        colleagues = [a.name for a in account_store().list() if a.name.lower() != user.lower()]
        if colleagues:
            with st.form(f"share-{chosen}", clear_on_submit=True):
                colleague = st.selectbox("Share with", colleagues)
                access = st.radio("They", list(ACCESS), format_func=ACCESS.get, horizontal=True)
                if st.form_submit_button("Share"):
                    try:
                        store.share(user, chosen, colleague, access)
                        st.rerun()
                    except AssessmentError as exc:
                        st.error(md_escape(str(exc)))
        else:
            st.caption("Colleagues with an account can be given read or edit access.")
        with st.form(f"rename-{chosen}"):
            new_name = st.text_input("Rename", value=assessment.name)
            if st.form_submit_button("Rename"):
                try:
                    store.rename(user, chosen, new_name)
                    st.rerun()
                except AssessmentError as exc:
                    st.error(md_escape(str(exc)))
        sure = st.checkbox("Yes, delete this assessment", key=f"sure-{chosen}")
        if st.button("Delete", key=f"delete-{chosen}", disabled=not sure):
            store.delete(user, chosen)
            st.session_state.pop("assessment_id", None)
            st.rerun()
elif assessment.owner == EVERYONE and is_admin():
    with st.sidebar.expander("Delete"):
        sure = st.checkbox("Yes, delete this assessment", key=f"sure-{chosen}")
        if st.button("Delete", key=f"delete-{chosen}", disabled=not sure):
            store.delete(user, chosen, admin=True)
            st.session_state.pop("assessment_id", None)
            st.rerun()

# -- the questions ----------------------------------------------------------------------
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
            status_key, notes_key = f"status-{chosen}-{item.id}", f"notes-{chosen}-{item.id}"
            if notes_key not in st.session_state.get("unsaved", set()):
                # Show what is stored: this officer's edits were saved before this run
                # (on_change), and a colleague's edits to a shared assessment appear too.
                st.session_state[status_key] = state.status
                st.session_state[notes_key] = state.notes
            with st.container(border=True):
                st.markdown(f"**{md_escape(item.question)}**")
                st.caption(md_escape(item.guidance))
                left, right = st.columns([1, 3])
                left.selectbox(
                    "Status",
                    list(STATUSES),
                    format_func=lambda s: STATUSES.get(s, s),
                    key=status_key,
                    on_change=save,
                    args=(item.id,),
                    disabled=not editable,
                )
                right.text_area(
                    "Notes",
                    key=notes_key,
                    on_change=save,
                    args=(item.id,),
                    height=80,
                    disabled=not editable,
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
