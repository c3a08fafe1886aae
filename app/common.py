"""What every page shares: settings, the cached knowledge base, the access gate, safe text."""

from __future__ import annotations

import hmac
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable

import streamlit as st

from kb.api import KnowledgeBase
from kb.checklist.assessments import AssessmentStore
from kb.core.settings import Settings, get_settings
from kb.core.store import NoIndexError, StoreUnavailableError
from kb.workspace.accounts import ADMIN, Account, AccountError, AccountStore
from kb.workspace.state import ChatStore

DEFAULT_USER = "officer"
# Page files, relative to app/Home.py (the router), and their URL paths.
PAGES = {
    "home": "views/home.py",
    "ask": "views/ask.py",
    "cases": "views/cases.py",
    "checklist": "views/checklist.py",
    "library": "views/library.py",
    "accounts": "views/accounts.py",
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


def account_store() -> AccountStore:
    return AccountStore(settings().state_db)


def _matches(given: str, secret: object) -> bool:
    value = secret.get_secret_value() if secret is not None else ""  # type: ignore[attr-defined]
    return bool(value) and hmac.compare_digest(given.encode("utf-8"), value.encode("utf-8"))


def gate_configured() -> bool:
    s = settings()
    return bool(s.app_password or s.admin_password)


def sign_in_required(accounts: int) -> bool:
    """Sign-in is needed once two people have accounts, or when a password setting asks."""
    return accounts >= 2 or gate_configured()


def current_user() -> str:
    """The user who owns this session's chats and assessments (the router has signed them in)."""
    return str(st.session_state.get("user") or DEFAULT_USER)


def _sign_in_as(account: Account) -> None:
    st.session_state["user"] = account.name
    st.session_state["admin"] = account.is_admin
    st.rerun()


def require_user() -> str:
    """Stop until the user has signed in (when sign-in is needed); return the user name.

    No accounts: the one person using the app is ``officer``, an admin. One account
    and no password setting: its holder, without a password. Otherwise a name and
    password; while no account exists, ``KB_ADMIN_PASSWORD`` creates the first
    (admin) account, and ``KB_APP_PASSWORD`` lets people create their own.
    """
    store = account_store()
    accounts = store.list()
    if st.session_state.get("user"):
        signed = store.get(str(st.session_state["user"])) if accounts else None
        if not accounts or signed is not None:
            if signed is not None:  # a role changed by an admin takes effect at once
                st.session_state["admin"] = signed.is_admin
            _user_box(sign_out=sign_in_required(len(accounts)))
            return str(st.session_state["user"])
        st.session_state.clear()  # the account was removed
    if not sign_in_required(len(accounts)):
        one = accounts[0] if accounts else None
        st.session_state["user"] = one.name if one else DEFAULT_USER
        st.session_state["admin"] = True
        _user_box(sign_out=False)
        return str(st.session_state["user"])
    _sign_in_page(store, first=not accounts)
    st.stop()
    raise AssertionError("unreachable")  # st.stop raises


def _user_box(sign_out: bool) -> None:
    with st.sidebar:
        role = "admin" if st.session_state.get("admin") else "officer"
        st.caption(f"Signed in as {md_escape(str(st.session_state['user']))} ({role})")
        if sign_out and st.button("Sign out", key="sign-out"):
            st.session_state.clear()
            st.rerun()


def _sign_in_page(store: AccountStore, first: bool) -> None:
    s = settings()
    st.title("Sign in")
    if first and s.admin_password:
        st.caption(
            "No accounts yet: sign in with your name and the admin password to create the "
            "first (admin) account."
        )
    with st.form("login"):
        name = st.text_input("Your name")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        account = store.verify(name, password)
        if account is None and first and _matches(password, s.admin_password):
            try:
                account = store.create(name, password, role=ADMIN)
            except AccountError as exc:
                st.error(md_escape(str(exc)))
                return
        if account is not None:
            _sign_in_as(account)
        st.error("That name and password do not match an account.")
    if s.app_password:
        with st.expander("New here? Create your account"), st.form("sign-up"):
            name = st.text_input("Your name", key="signup-name")
            password = st.text_input("Choose a password", type="password", key="signup-pw")
            code = st.text_input("Sign-up code (from your administrator)", type="password")
            if st.form_submit_button("Create my account"):
                if not _matches(code, s.app_password):
                    st.error("That sign-up code is not right.")
                    return
                try:
                    _sign_in_as(store.create(name, password))
                except AccountError as exc:
                    st.error(md_escape(str(exc)))


def is_admin() -> bool:
    return bool(st.session_state.get("admin"))


EXPORT_FORMATS = {
    "Markdown": ("md", "text/markdown"),
    "Word": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "PDF": ("pdf", "application/pdf"),
}


def _wait_for_saves(session_id: str | None, limit_s: float = 20.0) -> None:
    """Wait until the session's pending script run (and the saves it makes) has finished.

    Pressing an export button straight after typing a note commits the note (the
    text area loses focus, which reruns the page and saves it) and asks for the
    file in the same moment. Streamlit builds a deferred file on its own thread,
    so without this wait the file could be built before the note is saved.
    Streamlit has no public "session idle" call; this reads the session's
    script runner and, if that ever changes, simply does not wait.
    """
    if session_id is None:
        return
    try:
        from streamlit.runtime import Runtime

        info = Runtime.instance()._session_mgr.get_active_session_info(session_id)
        session = info.session if info else None
    except Exception:  # noqa: BLE001 - only an optimisation against a race; never fatal
        return
    # The click that asks for the file also blurs the field being typed in, and the
    # rerun that saves it can start a moment after the request for the file: give it
    # that moment, then wait for it to finish.
    started = time.monotonic()
    deadline, grace = started + limit_s, started + 0.5
    seen_run = False
    while session is not None and time.monotonic() < deadline:
        running = getattr(session, "_scriptrunner", None) is not None
        seen_run = seen_run or running
        if not running and (seen_run or time.monotonic() > grace):
            return
        time.sleep(0.05)


def export_buttons(what: str, stem: str, makers: dict[str, Callable[[], str | bytes]]) -> None:
    """Download buttons ("Export briefing (PDF)" ...), each file built when pressed.

    Every widget's value is saved before the file is built (see _wait_for_saves).
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    session_id = ctx.session_id if ctx else None
    for fmt, make in makers.items():
        ext, mime = EXPORT_FORMATS[fmt]

        def build(make: Callable[[], str | bytes] = make) -> str | bytes:
            _wait_for_saves(session_id)
            return make()

        st.download_button(
            f"Export {what} ({fmt})",
            build,
            file_name=f"{stem}.{ext}",
            mime=mime,
            on_click="ignore",
            key=f"export-{stem}-{ext}",
        )


# Long labels wrap instead of running off the page, on every width.
PAGE_CSS = """
<style>
[data-testid="stPageLink"] p, [data-testid="stPageLink-NavLink"] span,
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li,
[data-testid="stMarkdownContainer"] span,
[data-testid="stCaptionContainer"], [data-testid="stExpander"] summary p,
.stButton button p, [data-testid="stDownloadButton"] button p,
[data-testid="stWidgetLabel"] p {
  white-space: normal !important; overflow-wrap: anywhere; word-break: break-word;
  text-overflow: clip !important;
}
[data-testid="stPageLink-NavLink"] { height: auto !important; max-width: 100%; }
</style>
"""


def page_style() -> None:
    """The app's few style rules (wrapping long labels), once per page."""
    st.html(PAGE_CSS)


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
