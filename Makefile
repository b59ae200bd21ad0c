# privault: the two commands a fresh machine needs are `make run` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
HOME_DIR ?= .privault
SAMPLE ?= 1000
PYTEST_ARGS ?=

.PHONY: run test lint format bench clean venv dev-venv

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11+) on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# The runtime install; a marker file tracks pyproject.toml so edits reinstall.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

venv: $(VENV)/.installed
dev-venv: $(VENV)/.installed-dev

## run: set up on first run (starter data map, keys, SQLite, 1,000 synthetic customers) and serve
run: venv
	$(BIN)/privault --home $(HOME_DIR) init --exist-ok --sample-customers $(SAMPLE)
	$(BIN)/privault --home $(HOME_DIR) serve

## test: the whole suite (PostgreSQL tests run when PRIVAULT_TEST_DATABASE_URL is set)
test: dev-venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## lint: ruff and mypy --strict
lint: dev-venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: dev-venv
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

## bench: the benchmarks of the foundation issue
bench: dev-venv
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/read.py
	$(BIN)/python bench/erase.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
