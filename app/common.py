"""What every page shares: settings, the cached knowledge base, the access gate, safe text."""

from __future__ import annotations

import hmac
import logging
import re
import threading
from collections.abc import Iterable

import streamlit as st

from kb.api import KnowledgeBase
from kb.assessments import AssessmentStore
from kb.settings import Settings, get_settings
from kb.state import ChatStore
from kb.store import NoIndexError, StoreUnavailableError

DEFAULT_USER = "officer"
# Page files, relative to app/Home.py (the router), and their URL paths.
PAGES = {
    "home": "views/home.py",
    "ask": "views/ask.py",
    "cases": "views/cases.py",
    "checklist": "views/checklist.py",
    "library": "views/library.py",
}


@st.cache_resource(show_spinner="Opening the knowledge base…")
def _knowledge_base(data_dir: str, corpus_dir: str) -> tuple[KnowledgeBase, threading.Event]:
    # Keyed by the directories so a test (or a reconfigured process) gets its own.
    # Browsing needs only the index; the embedding model loads behind the first
    # page so the app is up in seconds, and model_ready() waits for it.
    kb = KnowledgeBase(get_settings())
    loaded = threading.Event()
    threading.Thread(target=_load_model, args=(kb, loaded), daemon=True).start()
    return kb, loaded


def _load_model(kb: KnowledgeBase, loaded: threading.Event) -> None:
    try:
        if kb.settings.app_torch_threads > 0:
            import torch  # here, off the first page's path: importing it takes seconds

            torch.set_num_threads(kb.settings.app_torch_threads)
        kb.embed_query("warm up")
    finally:
        loaded.set()
    answerer = getattr(kb, "answerer", None)
    if kb.settings.app_warm and answerer is not None and hasattr(answerer, "warm"):
        try:
            answerer.warm()  # embed every sentence now so answers stay fast
        except Exception:  # noqa: BLE001 - warming is an optimisation; answers work cold
            logging.getLogger(__name__).exception("warming the answer cache failed")


def model_ready() -> None:
    """Wait (with a spinner) until the embedding model has loaded."""
    s = settings()
    _, loaded = _knowledge_base(str(s.data_dir), str(s.corpus_dir))
    if not loaded.is_set():
        with st.spinner("Loading the language model (first use only)…"):
            loaded.wait()


def settings() -> Settings:
    return get_settings()


def knowledge_base() -> KnowledgeBase:
    """The process-wide knowledge base; stops the page with a message if there is no index."""
    s = settings()
    kb, _ = _knowledge_base(str(s.data_dir), str(s.corpus_dir))
    try:
        kb.index  # noqa: B018 - opens (or reopens) the current build
    except NoIndexError:
        st.error("There is no index yet. Run `kb ingest` (or `make run`) and reload this page.")
        st.stop()
    except StoreUnavailableError as exc:
        st.error(md_escape(str(exc)))
        st.stop()
    return kb


def chat_store() -> ChatStore:
    return ChatStore(settings().state_db)


def assessment_store() -> AssessmentStore:
    return AssessmentStore(settings().state_db)


def _matches(given: str, secret: object) -> bool:
    value = secret.get_secret_value() if secret is not None else ""  # type: ignore[attr-defined]
    return bool(value) and hmac.compare_digest(given.encode("utf-8"), value.encode("utf-8"))


def gate_configured() -> bool:
    s = settings()
    return bool(s.app_password or s.admin_password)


def current_user() -> str:
    """The user who owns this session's chats and assessments (the router has signed them in)."""
    return str(st.session_state.get("user") or DEFAULT_USER)


def require_user() -> str:
    """When a password is configured, stop until the user signs in; return the user name."""
    if not gate_configured():
        st.session_state.setdefault("user", DEFAULT_USER)
        st.session_state.setdefault("admin", True)
        return str(st.session_state["user"])
    if st.session_state.get("user"):
        with st.sidebar:
            role = "admin" if st.session_state.get("admin") else "user"
            st.caption(f"Signed in as {md_escape(st.session_state['user'])} ({role})")
            if st.button("Sign out"):
                st.session_state.clear()
                st.rerun()
        return str(st.session_state["user"])
    st.title("Sign in")
    with st.form("login"):
        name = st.text_input("Your name")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        name = " ".join(name.split())[:60]
        s = settings()
        admin = _matches(password, s.admin_password)
        if not name:
            st.error("Please give your name.")
        elif admin or _matches(password, s.app_password):
            st.session_state["user"] = name
            st.session_state["admin"] = admin
            st.rerun()
        else:
            st.error("That password is not right.")
    st.stop()
    raise AssertionError("unreachable")  # st.stop raises


def is_admin() -> bool:
    return bool(st.session_state.get("admin"))


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~:=^&])")


def md_escape(text: str) -> str:
    """Text shown through st.markdown exactly as written: no markup, links or HTML."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _find(text: str, quote: str) -> tuple[int, int] | None:
    words = quote.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words)
    m = re.search(pattern, text)
    return (m.start(), m.end()) if m else None


def highlighted(
    text: str, quotes: Iterable[str] = (), spans: Iterable[tuple[int, int]] = ()
) -> str:
    """Markdown for ``text`` shown as text, with the quotes (or character spans) highlighted."""
    found = [s for q in quotes if (s := _find(text, q))] + list(spans)
    clipped = [(max(0, a), min(len(text), b)) for a, b in found]
    found = sorted((a, b) for a, b in clipped if b > a)
    merged: list[tuple[int, int]] = []
    for a, b in found:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    out, pos = [], 0
    for a, b in merged:
        out.append(md_escape(text[pos:a]))
        # Newlines would end the highlight directive; the highlighted span reads as one line.
        out.append(f":orange-background[{md_escape(' '.join(text[a:b].split()))}]")
        pos = b
    out.append(md_escape(text[pos:]))
    return "".join(out)


def library_link(doc_id: str, start: int | None = None, end: int | None = None) -> str:
    """The Library page URL that opens a document (at a passage)."""
    from urllib.parse import urlencode

    params: dict[str, object] = {"doc": doc_id}
    if start is not None and end is not None:
        params.update(start=start, end=end)
    return "/library?" + urlencode(params)
