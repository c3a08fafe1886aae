"""End to end in a real headless Chromium: ask, see a citation, open a case, tick, reload."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kb.core.settings import REPO_ROOT, Settings

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO_ROOT / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(app_settings: Settings, tmp_path: Path) -> Iterator[tuple[str, float]]:
    """The app on a free loopback port; yields its URL and the seconds it took to be ready."""
    port = _free_port()
    env = {**os.environ, "KB_DATA_DIR": str(app_settings.data_dir), "KB_APP_WARM": "false"}
    log = open(tmp_path / "streamlit.log", "wb")  # noqa: SIM115 - closed below
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(REPO_ROOT / "app" / "Home.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the app did not start: " + (tmp_path / "streamlit.log").read_text())
        yield url, time.perf_counter() - started
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def settle(page: Any) -> None:
    """Wait until the app has finished its current run (its status widget goes away)."""
    from playwright.sync_api import expect

    page.wait_for_timeout(500)
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden()


def test_officer_journey_in_a_real_browser(server: tuple[str, float]) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, _ = server
    expect.set_options(timeout=90_000)  # the first page loads the model on a shared machine
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(90_000)
        started = time.perf_counter()
        page.goto(url)
        expect(
            page.get_by_role("heading", name="Shared services guidance assistant")
        ).to_be_visible()
        ready = time.perf_counter() - started
        page.screenshot(path=ARTIFACTS / "home.png")

        # Ask, and see a numbered source.
        page.goto(f"{url}/ask")
        box = page.get_by_test_id("stChatInputTextArea")
        box.fill("How did councils share a chief executive and what did it save?")
        box.press("Enter")
        source = page.get_by_test_id("stExpander").filter(has_text="Read source 1").first
        expect(source).to_be_visible()
        source.click()
        expect(page.get_by_text("Open in the Library").first).to_be_visible()
        page.screenshot(path=ARTIFACTS / "ask.png", full_page=True)

        # The source's link opens the Library at the cited passage.
        source.get_by_text("Open in the Library").click()
        expect(page.get_by_role("heading", name="Cited passage")).to_be_visible()
        assert "start=" in page.url and "doc=" in page.url
        page.screenshot(path=ARTIFACTS / "library-citation.png", full_page=True)

        # Open a case study.
        page.goto(f"{url}/cases")
        expect(page.locator(".st-key-open-bromsgrove-redditch button")).to_be_visible()
        page.screenshot(path=ARTIFACTS / "case-studies.png", full_page=True)
        page.locator(".st-key-open-bromsgrove-redditch button").click()  # keyed widgets get a class
        expect(page.get_by_role("heading", name="Bromsgrove and Redditch")).to_be_visible()
        page.screenshot(path=ARTIFACTS / "case-study.png", full_page=True)

        # Tick a checklist item, reload, and see it kept.
        page.goto(f"{url}/checklist")
        page.get_by_label("New assessment").fill("Waste partnership with X")
        page.get_by_role("button", name="Create", exact=True).click()
        expect(page.get_by_role("heading", name="Waste partnership with X")).to_be_visible()
        settle(page)
        page.get_by_role("combobox", name="Status").first.click()
        page.get_by_role("option", name="Done").click()
        settle(page)
        expect(page.get_by_text("1/").first).to_be_visible()
        notes = page.get_by_label("Notes").first
        notes.fill("Ask the waste team for tonnage data")
        notes.press("Control+Enter")  # a text area commits on Ctrl+Enter or blur
        settle(page)
        with page.expect_download() as download:
            page.get_by_role("button", name="Export briefing (Markdown)").click()
        briefing = Path(download.value.path()).read_text(encoding="utf-8")
        assert "Ask the waste team for tonnage data" in briefing and "Status: Done" in briefing
        page.reload()
        expect(page.get_by_role("heading", name="Waste partnership with X")).to_be_visible()
        kept = page.get_by_test_id("stSelectbox").filter(has_text="Status").first
        expect(kept).to_match_aria_snapshot('- combobox "Status": Done')
        expect(page.get_by_label("Notes").first).to_have_value(
            "Ask the waste team for tonnage data"
        )
        page.screenshot(path=ARTIFACTS / "checklist-after-reload.png", full_page=True)
        browser.close()
    (ARTIFACTS / "browser-timings.txt").write_text(
        f"first page ready {ready:.1f} s after opening; server up in {server[1]:.1f} s\n"
    )


def test_adding_documents_from_the_library_page(server: tuple[str, float], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, _ = server
    expect.set_options(timeout=90_000)
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 not really a pdf")
    good = tmp_path / "kent-legal.txt"
    good.write_text(
        "Shared legal services in Kent\n\nThe Kent councils pooled their legal teams in one "
        "service hosted by the county, cutting spending on external counsel.\n",
        encoding="utf-8",
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/library")
        expect(page.get_by_role("heading", name="Add a document")).to_be_visible()
        for path, title in ((bad, "Broken"), (good, "Kent legal partnership")):
            settle(page)
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
            expect(page.get_by_text(path.name)).to_be_visible()
            page.get_by_label("Title").fill(title)
            page.get_by_label("Publication date").fill("2019")
            page.get_by_role("button", name="Add to the library").click()
            if path is bad:
                expect(page.get_by_text("Nothing was changed").first).to_be_visible()
                page.screenshot(path=ARTIFACTS / "library-bad-upload.png")
        expect(page.get_by_text("Added kent-legal.txt to the library.")).to_be_visible()
        expect(page.get_by_role("heading", name="Remove a document")).to_be_visible()
        page.screenshot(path=ARTIFACTS / "library-added.png")
        browser.close()


# --- officers' accounts, exports and layout ------------------------------------------

OVERFLOW_JS = """
() => {
  const bad = [];
  const width = document.documentElement.clientWidth;
  const skip = '[data-testid="stDataFrame"], [data-testid="stVegaLiteChart"], '
    + '[data-testid="stCode"], pre, [data-testid="stIconMaterial"], .stTooltipIcon';
  const texts = 'p, li, a, span, label, button, h1, h2, h3, summary, code, '
    + '[data-testid="stCaptionContainer"]';
  for (const el of document.querySelectorAll(texts)) {
    if (!el.textContent.trim() || el.closest(skip)) continue;
    // A closed expander keeps its contents laid out but not shown.
    if (el.closest('details:not([open]) > :not(summary)')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= 0) continue;  // hidden, or the closed sidebar
    const cs = getComputedStyle(el);
    const clips = ['hidden', 'clip'].includes(cs.overflowX) || cs.textOverflow === 'ellipsis';
    const what = el.tagName + ': ' + el.textContent.trim().slice(0, 60);
    if (cs.display !== 'inline' && clips && el.scrollWidth > el.clientWidth + 1) {
      bad.push('cut: ' + what);
    }
    if (r.right > width + 1) bad.push('off the page: ' + what);
    const box = el.parentElement && el.parentElement.closest(
      '[data-testid="stVerticalBlock"], [data-testid="stExpander"], [data-testid="stSidebar"]');
    if (box) {
      const b = box.getBoundingClientRect();
      if (r.right > b.right + 2) bad.push('outside its container: ' + what);
    }
  }
  return bad;
}
"""


def _sign_in(page: Any, url: str, name: str, password: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Shared services guidance assistant")).to_be_visible()


def _new_assessment(page: Any, url: str, name: str) -> None:
    from playwright.sync_api import expect

    _go(page, url, "Checklist", "/checklist")
    box = page.get_by_label("Name of the proposal")
    button = page.get_by_role("button", name="Create assessment", exact=True)
    if box.count() == 0:  # an assessment exists: the new one is made in the sidebar
        box = page.get_by_label("New assessment")
        button = page.get_by_role("button", name="Create", exact=True)
    box.fill(name)
    button.click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    settle(page)


def _go(page: Any, url: str, link: str, path: str) -> None:
    """Open a page as an officer does: by the sidebar link once in the app.

    A fresh page load is a new session, and a signed-in officer would be asked to
    sign in again; the sidebar keeps the session.
    """
    nav = page.get_by_role("navigation", name="App pages")
    nav = nav.get_by_role("link", name=link, exact=True)
    if page.url.startswith(url) and nav.count():
        nav.click()
        page.wait_for_url(f"**{path}")
    else:
        page.goto(f"{url}{path}")
    settle(page)


def _ask(page: Any, url: str, question: str) -> None:
    from playwright.sync_api import expect

    _go(page, url, "Ask", "/ask")
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")
    expect(page.get_by_text("Sources", exact=True).first).to_be_visible()
    settle(page)


def test_two_officers_keep_their_work_apart_until_they_share(
    server: tuple[str, float], app_settings: Settings
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from kb.workspace.accounts import AccountStore

    accounts = AccountStore(app_settings.state_db)
    accounts.create("Bea Admin", "bea's password")
    accounts.create("Ann", "ann's password")
    accounts.create("Bob", "bob's password")
    url, _ = server
    expect.set_options(timeout=90_000)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        ann = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        bob = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        for page in (ann, bob):
            page.set_default_timeout(90_000)
        _sign_in(ann, url, "Ann", "ann's password")
        _sign_in(bob, url, "bob", "bob's password")

        # Ann's conversation is hers.
        _ask(ann, url, "What governance arrangements can a shared service use?")
        ann_sidebar = ann.get_by_test_id("stSidebar")
        expect(ann_sidebar.get_by_text("What governance arrangements")).to_be_visible()
        _go(bob, url, "Ask", "/ask")
        expect(bob.get_by_role("heading", name="Ask about shared services")).to_be_visible()
        expect(bob.get_by_test_id("stSidebar").get_by_text("What governance")).to_have_count(0)

        # So is her assessment, until she shares it.
        _new_assessment(ann, url, "Legal with Surrey")
        _go(bob, url, "Checklist", "/checklist")
        expect(bob.get_by_label("Name of the proposal")).to_be_visible()
        expect(bob.get_by_text("Legal with Surrey")).to_have_count(0)

        sidebar = ann.get_by_test_id("stSidebar")
        sidebar.get_by_text("Share, rename or delete").click()
        sidebar.get_by_role("combobox", name="Share with").click()
        ann.keyboard.type("Bob")  # the select filters as you type; Enter takes the match
        ann.keyboard.press("Enter")
        sidebar.get_by_text("Can edit").click()
        sidebar.get_by_role("button", name="Share").click()
        settle(ann)
        expect(sidebar.get_by_text("Bob: can edit")).to_be_visible()

        # Bob now has it, edits a note, and Ann sees his change.
        _go(bob, url, "Ask", "/ask")  # away and back: the page reads the shares again
        _go(bob, url, "Checklist", "/checklist")
        expect(bob.get_by_role("heading", name="Legal with Surrey")).to_be_visible()
        expect(bob.get_by_text("Belongs to Ann; you can edit it.")).to_be_visible()
        notes = bob.get_by_label("Notes").first
        notes.fill("Bob: Surrey's contract ran four years")
        notes.press("Control+Enter")
        settle(bob)
        # Away and back: the page reads the saved notes again. Bob's save is his own
        # session's run, which a loaded machine may not have finished when Ann's page
        # reads, so Ann looks again a few times, as an officer would, before it counts.
        saved = "Bob: Surrey's contract ran four years"
        for _ in range(5):
            _go(ann, url, "Ask", "/ask")
            _go(ann, url, "Checklist", "/checklist")
            settle(ann)
            if ann.get_by_label("Notes").first.input_value() == saved:
                break
            ann.wait_for_timeout(2_000)
        expect(ann.get_by_label("Notes").first).to_have_value(saved)

        # An officer cannot reach library or account management.
        _go(bob, url, "Library", "/library")
        expect(bob.get_by_role("heading", name="Library")).to_be_visible()
        expect(bob.get_by_role("heading", name="Add a document")).to_have_count(0)
        _go(bob, url, "Accounts", "/accounts")
        expect(bob.get_by_text("Only an admin can add or change accounts.")).to_be_visible()
        expect(bob.get_by_role("heading", name="Add an account")).to_have_count(0)
        bob.screenshot(path=ARTIFACTS / "officer-accounts-page.png", full_page=True)
        browser.close()


def test_a_note_typed_and_exported_at_once_is_in_every_format(server: tuple[str, float]) -> None:
    from io import BytesIO

    from docx import Document
    from playwright.sync_api import expect, sync_playwright
    from pypdf import PdfReader

    url, _ = server
    expect.set_options(timeout=90_000)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page.set_default_timeout(90_000)
        _new_assessment(page, url, "Waste partnership with Z")
        got = {}
        for n, (fmt, ext) in enumerate((("Markdown", "md"), ("Word", "docx"), ("PDF", "pdf"))):
            note = f"Note {n} typed then exported at once: tonnage data from the waste team"
            # Typed, not committed: no blur, no Ctrl+Enter, straight to the button. Only
            # the open section's fields count: a section opened for a linked item (the
            # session may still carry one) leaves the first section's fields collapsed.
            page.locator('textarea[aria-label="Notes"]:visible').nth(n).fill(note)
            with page.expect_download() as download:
                page.get_by_role("button", name=f"Export briefing ({fmt})").click()
            data = Path(download.value.path()).read_bytes()
            if ext == "md":
                text = data.decode("utf-8")
            elif ext == "docx":
                text = "\n".join(p.text for p in Document(BytesIO(data)).paragraphs)
            else:
                text = " ".join(
                    " ".join((p.extract_text() or "").split())
                    for p in PdfReader(BytesIO(data)).pages
                )
            got[fmt] = text
            for earlier in range(n + 1):
                assert f"Note {earlier} typed then exported at once" in text, (fmt, text[:800])
            settle(page)
        assert all("Waste partnership with Z" in t for t in got.values())
        browser.close()


def test_pages_fit_desktop_and_phone_widths(server: tuple[str, float]) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, _ = server
    expect.set_options(timeout=120_000)
    ARTIFACTS.mkdir(exist_ok=True)
    problems: dict[str, list[str]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(120_000)
        _ask(page, url, "Two county councils want to share a legal team: what should we consider?")
        _new_assessment(page, url, "Legal services with the county council and its districts")
        for name, path, ready in (
            ("ask", "/ask", "Sources"),
            ("case-studies", "/cases", "Case studies"),
            ("checklist", "/checklist", "Checklist"),
            ("library", "/library", "Library"),
        ):
            page.set_viewport_size({"width": 1400, "height": 1000})
            page.goto(url + path)
            settle(page)
            if name == "ask":  # a new page load starts with no conversation open
                page.get_by_test_id("stSidebar").get_by_text("Two county councils").first.click()
                settle(page)
            # The same session at both widths (a phone gets the page as it reflows).
            for width, height in ((1400, 1000), (390, 844)):
                page.set_viewport_size({"width": width, "height": height})
                expect(page.get_by_text(ready, exact=True).first).to_be_visible()
                page.wait_for_timeout(1500)
                page.screenshot(path=ARTIFACTS / f"{name}-{width}.png", full_page=True)
                found = page.evaluate(OVERFLOW_JS)
                if found:
                    problems[f"{name} at {width}px"] = found
        browser.close()
    assert not problems, problems
