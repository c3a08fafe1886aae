"""Shared fixtures: a clean environment, and the real corpus ingested once per session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kb.api import KnowledgeBase
from kb.core.settings import REPO_ROOT, Settings

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No KB_* setting from the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("KB_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings over the real corpus with a private data directory."""
    return Settings(data_dir=data_dir, corpus_dir=REPO_ROOT / "corpus", **overrides)


@pytest.fixture
def cli_env() -> Callable[[Settings], dict[str, str]]:
    """Builds the environment for a `kb` subprocess over some settings, no other KB_*."""

    def build(settings: Settings) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
        # A strict UTF-8 stdout, as in a UTF-8 desktop locale (C.UTF-8 would hide
        # surrogates by writing them back as raw bytes).
        env.update(
            KB_DATA_DIR=str(settings.data_dir),
            KB_CORPUS_DIR=str(settings.corpus_dir),
            HF_HUB_OFFLINE="1",
            PYTHONIOENCODING="utf-8",
        )
        return env

    return build


@pytest.fixture(scope="session")
def guide_case_ids() -> set[str]:
    """The ids of the nine Appendix 2 case studies of the guide, as a reviewer names them."""
    return {
        "bromsgrove-redditch",
        "east-lindsey-south-holland",
        "east-kent-services",
        "huntingdonshire-call-centre",
        "north-ne-lincolnshire-procurement",
        "south-hams-west-devon",
        "south-london-waste",
        "south-oxfordshire-vale-waste",
        "weymouth-portland-revenues-benefits",
    }


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-snapshots",
        action="store_true",
        help="Rewrite tests/kb/answers/snapshots/ from the answers the product gives now.",
    )


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The real corpus ingested into a real Chroma, once, as a user's `make run` leaves it.

    That is: ingested with the bundled model, the model adapted to the corpus with
    `kb tune` (the product's default; a few minutes on 2 cores), and re-embedded
    with it, so answers, thresholds and snapshots are tested as users get them.
    """
    from ingest.pipeline import ingest
    from kb.core.model_registry import current_model_dir
    from kb.core.store import IndexStore
    from kb.tuning import tune

    settings = make_settings(tmp_path_factory.mktemp("built") / "data")
    report = ingest(settings, progress=False)
    assert report.ok, report.failed
    # A model tuned on identical inputs is identical (fixed seed), and `kb tune` re-uses
    # one whose input hash matches: keep the last one between local runs. A clean
    # checkout (CI) has no cache and trains.
    cache = REPO_ROOT / ".pytest_cache" / "tuned-models"
    if cache.is_dir():
        shutil.copytree(cache, settings.data_dir / "models", dirs_exist_ok=True)
    tune(settings, IndexStore(settings).open())
    current = current_model_dir(settings)
    if current is not None:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.copytree(current, cache / current.name)
    report = ingest(settings, progress=False)
    assert report.ok and report.replaced, report.failed
    return settings


@pytest.fixture(scope="session")
def kb(built_settings: Settings) -> KnowledgeBase:
    return KnowledgeBase(built_settings)


@pytest.fixture
def fresh_settings(tmp_path: Path) -> Settings:
    """An empty data directory over the real corpus (for ingest tests)."""
    return make_settings(tmp_path / "data")


@pytest.fixture
def copied_index(built_settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """A private copy of the session's built index, safe to change."""
    data = tmp_path / "data"
    shutil.copytree(built_settings.data_dir, data)
    yield make_settings(data)


@pytest.fixture
def small_corpus(tmp_path: Path) -> Settings:
    """A corpus of two small fixture documents, with its own manifest."""
    corpus = tmp_path / "corpus"
    (corpus / "documents").mkdir(parents=True)
    for name in ("alpha.md", "beta.txt"):
        shutil.copy(FIXTURES / name, corpus / "documents" / name)
    (corpus / "manifest.yaml").write_text(
        "documents:\n"
        "  - {id: alpha-note, file: documents/alpha.md, title: Alpha note, kind: article,\n"
        "     date: '2020-05-01'}\n"
        "  - {id: beta-note, file: documents/beta.txt, title: Beta note, kind: guide,\n"
        "     date: '2019'}\n",
        encoding="utf-8",
    )
    return Settings(data_dir=tmp_path / "data", corpus_dir=corpus)
