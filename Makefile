# One task runner: `make run` (set up, bring the index up to date, start the app) and
# `make test` (set up and run the whole suite) are the two README commands.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test lint fix bench eval ingest browser

$(STAMP): pyproject.toml
	python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first and pinned: a CPU build that is on this machine's disk.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

ingest: setup
	$(VENV)/bin/kb ingest

run: setup
	@# Ingests the corpus on first run; later runs only catch up with changed
	@# documents or a new pipeline version (seconds when nothing changed). A file
	@# that fails is reported; the app still starts if there is an index to serve.
	$(VENV)/bin/kb ingest || $(VENV)/bin/kb stats >/dev/null
	@# Adapts the embedding model to the corpus in the background, then trains the
	@# answer-sentence model from it (about five minutes the first time on 2 cores,
	@# seconds once made), and re-embeds with it; the app
	@# answers from the stock build meanwhile and switches by itself when it is ready.
	@# KB_TUNE=false turns this off. Progress: data/tune.log.
	@mkdir -p data && (nice $(VENV)/bin/kb tune --if-enabled > data/tune.log 2>&1 &)
	$(VENV)/bin/streamlit run app/Home.py --server.port 8501

browser:
	# Debian's Chromium for the end-to-end test (never `playwright install`).
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null)

test: setup browser lint
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check kb ingest app eval cli tests bench
	$(VENV)/bin/ruff format --check kb ingest app eval cli tests bench
	$(VENV)/bin/mypy kb ingest app eval cli bench

fix: setup
	$(VENV)/bin/ruff check --fix kb ingest app eval cli tests bench
	$(VENV)/bin/ruff format kb ingest app eval cli tests bench

bench: setup
	# Prints figures (asserts nothing); about five minutes on 2 cores.
	nice $(PY) -m bench

eval: setup
	$(VENV)/bin/kb eval retrieval --compare eval/reports/baseline.json
