"""Ask: a chat over the guidance, each answer with its numbered sources."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.answers import STARTERS, ask
from app.common import (
    PAGES,
    chat_store,
    current_user,
    highlighted,
    knowledge_base,
    md_escape,
    model_ready,
)
from kb.api import QueryError
from kb.export import conversation_markdown
from kb.state import Feedback
from kb.store import StoreUnavailableError

user = current_user()
kb = knowledge_base()
store = chat_store()


def render_answer(answer: dict[str, Any], key: str) -> None:
    """One answer, rendered from its record (kb.models.Answer.to_dict), never re-parsed."""
    if answer.get("abstained"):
        st.info("Not covered: the guidance in the library does not answer this question.")
    st.markdown(md_escape(answer.get("text") or answer.get("answer") or ""))
    if answer.get("scope_note"):
        st.caption(md_escape(answer["scope_note"]))
    notices = answer.get("notices") or []
    if notices:
        label = (
            "Since this was written: 1 change"
            if len(notices) == 1
            else (f"Since this was written: {len(notices)} changes")
        )
        with st.expander(label, icon=":material/history:"):
            for notice in notices:
                st.markdown(md_escape(notice))
    citations = answer.get("citations") or []
    if citations:
        st.markdown("**Sources**")
    for c in citations:
        page = c.get("page_label") or c.get("page")
        where = ", ".join(str(x) for x in (c["section"], page, c["date"]) if x)
        quotes = c.get("quotes") or []
        spans = [(q["start"], q["end"]) for q in quotes if isinstance(q, dict)]
        texts = [q for q in quotes if isinstance(q, str)]  # conversations saved before spans
        with st.expander(md_escape(f"[{c['n']}] {c['title']} — {where}")):
            st.markdown(highlighted(c["text"], texts, spans))
            st.page_link(
                PAGES["library"],
                label="Open in the Library",
                icon=":material/menu_book:",
                query_params={"doc": c["doc_id"], "start": c["start"], "end": c["end"]},
            )
    more = answer.get("more") or []
    if more:
        with st.expander("More from the library"):
            for m in more:
                where = ", ".join(
                    str(x) for x in (m.get("title"), m.get("section"), m.get("date")) if x
                )
                st.markdown(f"- {md_escape(str(m.get('text')))}  \n  _{md_escape(where)}_")
    cases = answer.get("case_studies") or []
    if cases:
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
    if answer.get("topics"):
        st.caption("Nearest topics covered: " + md_escape("; ".join(answer["topics"])))
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
chats = store.chats(user)
with st.sidebar:
    st.subheader("Conversations")
    if st.button("New conversation", icon=":material/add:"):
        st.session_state.pop("chat_id", None)
        st.rerun()
    ids = [c["id"] for c in chats]
    titles = {c["id"]: c["title"] for c in chats}
    current = st.session_state.get("chat_id")
    if ids:
        chosen = st.radio(
            "Earlier conversations",
            ids,
            index=ids.index(current) if current in ids else None,
            format_func=lambda i: md_escape(titles[i][:60]),
        )
        if chosen is not None and chosen != current:
            st.session_state["chat_id"] = chosen
            st.rerun()

chat_id = st.session_state.get("chat_id")
turns = store.turns(user, chat_id) if chat_id else []

st.title("Ask about shared services")
st.caption(
    "Answers are sentences from the guidance, each with its source. Check the sources "
    "before relying on them; some date from 2011."
)

if chat_id and turns:
    st.sidebar.download_button(
        "Export conversation (Markdown)",
        conversation_markdown(titles.get(chat_id, "Conversation"), turns),
        file_name=f"conversation-{chat_id}.md",
        mime="text/markdown",
    )

for i, turn in enumerate(turns):
    with st.chat_message(turn["role"]):
        if turn["role"] == "user":
            st.markdown(md_escape(turn["content"]))
        else:
            render_answer(turn["payload"] or {"text": turn["content"]}, f"{chat_id}-{i}")

question = st.chat_input("Ask a question about sharing services")
if not turns:
    st.markdown("**Try one of these:**")
    for n, starter in enumerate(STARTERS):
        if st.button(starter, key=f"starter-{n}"):
            question = starter

if question:
    history = [{"role": t["role"], "content": t["content"]} for t in turns]
    try:
        model_ready()
        with st.spinner("Looking through the guidance…"):
            answer = ask(kb, question, history)
    except QueryError as exc:
        st.warning(md_escape(str(exc)))
    except StoreUnavailableError as exc:  # the deployment's problem: say so, no traceback
        st.error(md_escape(str(exc)))
    else:
        if not chat_id:
            chat_id = store.new_chat(user, " ".join(question.split())[:80])
            st.session_state["chat_id"] = chat_id
        store.add_turn(chat_id, "user", question)
        store.add_turn(chat_id, "assistant", answer["text"], answer)
        st.rerun()
