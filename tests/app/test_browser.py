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

from kb.settings import REPO_ROOT, Settings

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
        source = page.get_by_test_id("stExpander").filter(has_text="[1]").first
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
        page.get_by_role("button", name="Create").click()
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
