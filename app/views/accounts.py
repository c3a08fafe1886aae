"""Accounts: your password and feedback; admins add, change and remove officers' accounts."""

from __future__ import annotations

import streamlit as st

from app.common import account_store, chat_store, current_user, is_admin, md_escape
from kb.workspace.accounts import ADMIN, OFFICER, AccountError

store = account_store()
user = current_user()
me = store.get(user)

st.title("Accounts")
if st.session_state.get("accounts_notice"):
    st.success(md_escape(st.session_state.pop("accounts_notice")))

accounts = store.list()
if not accounts:
    st.info(
        "Nobody has an account yet, so the app needs no sign-in and you are its admin. "
        "Create your own admin account first, then one for each colleague: once two "
        "accounts exist everyone signs in, and each officer's conversations and "
        "assessments are their own. What was done before belongs to everyone."
    )

if me is not None:
    st.subheader("Your password")
    with st.form("own-password", clear_on_submit=True):
        new = st.text_input("New password", type="password")
        if st.form_submit_button("Change my password"):
            try:
                store.set_password(me.name, new)
                st.session_state["accounts_notice"] = "Your password was changed."
                st.rerun()
            except AccountError as exc:
                st.error(md_escape(str(exc)))

feedback = chat_store().feedback_by(user)
if feedback:
    st.subheader("Your feedback on answers")
    for fb in feedback:
        with st.container(border=True):
            verdict = "Helpful" if fb["rating"] == "up" else "Not helpful"
            st.markdown(f"**{md_escape(fb['question'])}** · {verdict}")
            if fb["comment"]:
                st.caption(md_escape(fb["comment"]))
            if st.button("Delete this feedback", key=f"del-fb-{fb['id']}"):
                chat_store().delete_feedback(user, int(fb["id"]))
                st.rerun()

if not is_admin():
    st.caption("Only an admin can add or change accounts.")
    st.stop()

st.subheader("Add an account")
with st.form("add-account", clear_on_submit=True):
    name = st.text_input("Name", key="new-account-name")
    password = st.text_input("Password", type="password", key="new-account-password")
    role = st.radio(
        "Role",
        [OFFICER, ADMIN],
        horizontal=True,
        format_func={OFFICER: "Officer", ADMIN: "Admin (manages accounts and the library)"}.get,
    )
    if st.form_submit_button("Add account"):
        try:
            made = store.create(name, password, role)
            st.session_state["accounts_notice"] = f"Added {made.name} ({made.role})."
            if len(accounts) == 0:
                # The first account is the person setting up: it is theirs from now on.
                st.session_state["user"] = made.name
            st.rerun()
        except AccountError as exc:
            st.error(md_escape(str(exc)))

if accounts:
    st.subheader("Accounts")
    for account in accounts:
        with st.container(border=True):
            left, right = st.columns([2, 3])
            left.markdown(f"**{md_escape(account.name)}**")
            left.caption("Admin" if account.is_admin else "Officer")
            with right.popover("Change"), st.form(f"change-{account.name}"):
                role = st.radio(
                    "Role",
                    [OFFICER, ADMIN],
                    index=int(account.is_admin),
                    horizontal=True,
                    format_func={OFFICER: "Officer", ADMIN: "Admin"}.get,
                )
                password = st.text_input("New password (optional)", type="password")
                remove = st.checkbox("Remove this account (their work then belongs to everyone)")
                if st.form_submit_button("Save"):
                    try:
                        if remove:
                            store.delete(account.name)
                        else:
                            store.set_role(account.name, role)
                            if password:
                                store.set_password(account.name, password)
                        st.session_state["accounts_notice"] = f"Saved {account.name}."
                        st.rerun()
                    except AccountError as exc:
                        st.error(md_escape(str(exc)))
