"""Ask: a chat over the guidance, each answer with its numbered sources."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.answers import (
    HELP,
    STARTERS,
    ask,
    full_path,
    inexact_page_note,
    is_help_request,
    source_label,
    whole_sentence,
)
from app.common import (
    PAGES,
    chat_store,
    current_user,
    export_buttons,
    highlighted,
    is_admin,
    knowledge_base,
    md_escape,
    model_ready,
)
from kb.answers.record import PARTIAL_NOTE
from kb.api import QueryError
from kb.core.store import StoreUnavailableError
from kb.workspace.export import conversation_docx, conversation_markdown, conversation_pdf
from kb.workspace.state import Feedback

user = current_user()
kb = knowledge_base()
store = chat_store()
uploads = {d.meta.id for d in kb.index.documents.values() if d.added_by == "upload"}


def answer_markdown(answer: dict[str, Any], key: str) -> str:
    """The answer's sentences, the lead first, each ``[n]`` a link to its source below."""
    sentences = answer.get("sentences") or []
    if not sentences:  # a record from before sentences were kept
        return md_escape(str(answer.get("text") or answer.get("answer") or ""))
    lines = []
    for s in sentences:
        n = int(s.get("n") or 0)
        mark = f" [\\[{n}\\]](#src-{key}-{n})" if n else ""
        # The case study a quote is from, when the quote does not say (AnswerSentence.about).
        about = f"**{md_escape(str(s['about']))}:** " if s.get("about") else ""
        lines.append(about + md_escape(whole_sentence(str(s.get("text", "")))) + mark)
    lead, rest = lines[0], lines[1:]
    return lead + ("\n\n" + "\n".join(f"- {line}" for line in rest) if rest else "")


def render_sources(citations: list[dict[str, Any]], key: str) -> None:
    st.markdown("**Sources**")
    for c in citations:
        upload = c.get("doc_id") in uploads
        # The anchor the answer's [n] links to; the key is made of digits and dashes only.
        st.markdown(
            f'<span id="src-{key}-{int(c["n"])}"></span>'
            + md_escape(source_label(c, upload=upload)),
            unsafe_allow_html=True,
            help=full_path(c),
        )
        quotes = c.get("quotes") or []
        spans = [(q["start"], q["end"]) for q in quotes if isinstance(q, dict)]
        texts = [q for q in quotes if isinstance(q, str)]  # conversations saved before spans
        with st.expander(f"Read source {int(c['n'])}"):
            st.caption(md_escape(full_path(c)))
            if upload:
                st.caption("Added to the library by an officer; not part of the curated guidance.")
            st.markdown(highlighted(c["text"], texts, spans))
            st.page_link(
                PAGES["library"],
                label="Open in the Library",
                icon=":material/menu_book:",
                query_params={"doc": c["doc_id"], "start": c["start"], "end": c["end"]},
            )
    inexact = [c for c in citations if "~" in str(c.get("page_label") or "")]
    if inexact:
        st.caption(md_escape(inexact_page_note(inexact[0].get("page"))))


def render_cases(cases: list[dict[str, Any]]) -> None:
    """Cards for the case studies that match, each with why and a link to it."""
    if not cases:
        return
    st.markdown("**Case studies that match**")
    cols = st.columns(min(3, len(cases)))
    for col, case in zip(cols * 3, cases, strict=False):
        with col.container(border=True):
            st.markdown(f"**{md_escape(str(case.get('title')))}**")
            if case.get("reason"):
                st.caption(md_escape(str(case["reason"])))
            st.page_link(
                PAGES["cases"],
                label="Open case study",
                icon=":material/apartment:",
                query_params={"case": str(case.get("id"))},
            )


def render_answer(answer: dict[str, Any], key: str) -> None:
    """One answer, rendered from its record (kb.core.results.Answer.to_dict), never re-parsed."""
    if answer.get("abstained"):
        st.info("Not covered: the guidance in the library does not answer this question.")
    elif answer.get("partial"):
        st.info(PARTIAL_NOTE, icon=":material/help:")
    if answer.get("cases_first"):  # "which councils…?": the councils first, then what was said
        render_cases(answer.get("case_studies") or [])
    st.markdown(answer_markdown(answer, key))
    if answer.get("scope_note"):
        st.caption(md_escape(answer["scope_note"]))
    notices = answer.get("notices") or []
    if notices:
        label = (
            "Since this was written: 1 change"
            if len(notices) == 1
            else f"Since this was written: {len(notices)} changes"
        )
        with st.expander(label, icon=":material/history:"):
            for notice in notices:
                st.markdown(md_escape(notice))
    citations = answer.get("citations") or []
    if citations:
        render_sources(citations, key)
    more = answer.get("more") or []
    if more:
        with st.expander("More from the library"):
            for m in more:
                where = ", ".join(
                    str(x) for x in (m.get("title"), m.get("section"), m.get("date")) if x
                )
                n = int(m.get("n") or 0)
                mark = f" [\\[{n}\\]](#src-{key}-{n})" if n else ""
                st.markdown(f"- {md_escape(str(m.get('text')))}{mark}  \n  _{md_escape(where)}_")
                for notice in m.get("notices") or []:
                    st.caption(md_escape(notice))
    if not answer.get("cases_first"):
        render_cases(answer.get("case_studies") or [])
    items = answer.get("checklist") or []
    if items:
        st.markdown("**Questions the guide asks you to consider**")
        for item in items:
            st.page_link(
                PAGES["checklist"],
                label=md_escape(str(item.get("question"))),
                icon=":material/checklist:",
                query_params={"item": str(item.get("id"))},
            )
    topics = [str(t) for t in answer.get("topics") or []]
    shown = str(answer.get("text") or "")
    if topics and not all(t in shown for t in topics):  # the reply may already list them
        st.caption("Nearest topics covered: " + md_escape("; ".join(topics)))
    feedback_form(answer, key)


def feedback_form(answer: dict[str, Any], key: str) -> None:
    done = st.session_state.setdefault("feedback_given", set())
    if key in done:
        st.caption("Thank you for your feedback.")
        return
    with st.popover("Rate this answer"), st.form(f"feedback-{key}"):
        rating = st.radio("Was this answer helpful?", ["👍 Yes", "👎 No"], horizontal=True)
        comment = st.text_input("Why? (optional)")
        correction = st.text_area("What should it have said? (optional)")
        if st.form_submit_button("Send feedback"):
            store.add_feedback(
                Feedback(
                    user=user,
                    question=answer.get("question", ""),
                    answer=answer.get("text", ""),
                    rating="up" if rating.startswith("👍") else "down",
                    citations=[
                        {
                            k: c.get(k)
                            for k in ("n", "doc_id", "title", "section", "page", "date", "text")
                        }
                        for c in answer.get("citations") or []
                    ],
                    abstained=bool(answer.get("abstained")),
                    comment=comment,
                    correction=correction,
                    chat_id=st.session_state.get("chat_id"),
                )
            )
            done.add(key)
            st.rerun()


# -- conversations ---------------------------------------------------------------------
def _new_conversation() -> None:
    st.session_state.pop("chat_id", None)
    st.session_state.pop("retry_question", None)


def _pick_conversation() -> None:
    st.session_state["chat_id"] = st.session_state.get("chat_pick")


chats = store.chats(user)
ids = [c["id"] for c in chats]
titles = {c["id"]: c["title"] for c in chats}
owners = {c["id"]: c["owner"] for c in chats}
if st.session_state.get("chat_id") not in ids:
    st.session_state.pop("chat_id", None)
# The picker shows the open conversation; set before it is drawn, so "New
# conversation" (which clears chat_id) can never leave an old one selected.
st.session_state["chat_pick"] = st.session_state.get("chat_id")
with st.sidebar:
    st.subheader("Conversations")
    st.button("New conversation", icon=":material/add:", on_click=_new_conversation)
    if ids:
        st.radio(
            "Earlier conversations",
            ids,
            key="chat_pick",
            on_change=_pick_conversation,
            format_func=lambda i: md_escape(
                titles[i][:60] + (" (everyone's)" if owners[i] != user and i in owners else "")
            ),
        )

chat_id = st.session_state.get("chat_id")
turns = store.turns(user, chat_id) if chat_id else []

st.title("Ask about shared services")
st.caption(
    "Answers are sentences from the guidance, each with its source. Check the sources "
    "before relying on them; some date from 2011."
)

if chat_id is not None and turns:
    chat: int = chat_id
    title = titles.get(chat_id, "Conversation")
    with st.sidebar:
        export_buttons(
            "conversation",
            f"conversation-{chat_id}",
            {
                "Markdown": lambda: conversation_markdown(title, store.turns(user, chat)),
                "Word": lambda: conversation_docx(title, store.turns(user, chat)),
                "PDF": lambda: conversation_pdf(title, store.turns(user, chat)),
            },
        )
        mine = owners.get(chat_id) == user
        if mine or is_admin():
            with st.popover("Delete this conversation"):
                st.caption("It cannot be brought back.")
                if st.button("Delete it", type="primary", key="delete-chat"):
                    store.delete_chat(user, chat_id, admin=is_admin())
                    _new_conversation()
                    st.rerun()

for i, turn in enumerate(turns):
    with st.chat_message(turn["role"]):
        if turn["role"] == "user":
            st.markdown(md_escape(turn["content"]))
        else:
            render_answer(turn["payload"] or {"text": turn["content"]}, f"{chat_id}-{i}")

# No max_chars: the box would cut a pasted question silently; an over-long one is
# refused with a message instead, and kept in a box to shorten (retry_form).
question = st.chat_input("Ask a question about sharing services")


def retry_form(retry: dict[str, str]) -> str | None:
    """A refused question stays, to be changed and asked again, not typed from scratch."""
    st.warning(md_escape(str(retry["error"])))
    with st.form("retry"):
        edited = st.text_area("Your question", value=str(retry["question"]), height=120)
        if st.form_submit_button("Ask again"):
            return edited
    return None


retry = st.session_state.get("retry_question")
if retry and not question:
    question = retry_form(retry)
if not turns and not question:
    st.markdown("**Try one of these:**")
    for n, starter in enumerate(STARTERS):
        if st.button(starter, key=f"starter-{n}"):
            question = starter

if question and is_help_request(question):
    with st.chat_message("assistant"):
        st.markdown(HELP)
elif question:
    history = [{"role": t["role"], "content": t["content"]} for t in turns]
    try:
        model_ready()
        with st.spinner("Looking through the guidance…"):
            answer = ask(kb, question, history)
    except QueryError as exc:
        st.session_state["retry_question"] = {"question": question, "error": str(exc)}
        if retry:  # the form is already on the page: show it again with the new message
            st.rerun()
        retry_form(st.session_state["retry_question"])
    except StoreUnavailableError as exc:  # the deployment's problem: say so, no traceback
        st.error(md_escape(str(exc)))
    else:
        st.session_state.pop("retry_question", None)
        if not chat_id or not store.may_add_to(user, chat_id):
            chat_id = store.new_chat(user, " ".join(question.split())[:80])
            st.session_state["chat_id"] = chat_id
        store.add_turn(chat_id, "user", question)
        store.add_turn(chat_id, "assistant", answer["text"], answer)
        st.rerun()
