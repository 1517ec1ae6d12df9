# Self-documenting: `make help` lists the targets with their ## comments.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# the venv is rebuilt when the lock, the project's metadata or the way it is installed changes
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml scripts/install.sh 2>/dev/null | sha256sum | cut -c1-12)
ARGS ?=

.PHONY: help report dry-run add-source test test-fast lint lab bench lock eval-real system-report system-test clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml scripts/install.sh
	@PYTHON=$(PYTHON) scripts/install.sh $(VENV)
	@rm -f $(VENV)/.installed-*
	@touch $@

system-report: ## Debian packages the report needs (a CJK font); installs them when missing
	@scripts/system-deps.sh report

system-test: ## Debian packages the tests need (font, Chromium, poppler); installs when missing
	@scripts/system-deps.sh test

report: $(STAMP) system-report ## Build the report (runs only out-of-date stages); ARGS="--force" etc.
	@$(PY) -m helpers.engine.pipeline $(ARGS)

dry-run: $(STAMP) ## Say which stages `make report` would run, and why
	@$(PY) -m helpers.engine.pipeline --dry-run $(ARGS)

FROM ?=
add-source: $(STAMP) ## Add a source: FROM=<file or URL> (a web page, PDF or text); ARGS="--kind primary"
	@test -n "$(FROM)" || { echo "make add-source: say what to add, FROM=<file or URL>" >&2; exit 2; }
	@$(PY) -m helpers.ingest.add "$(FROM)" $(ARGS)

# The tests on every core (pytest-xdist); a module's tests that share a built fixture stay on
# one worker (tests/conftest.py), so it is built once.
XDIST := -n auto --dist loadgroup

test: $(STAMP) system-test lint ## Run the lint and the whole test suite, on every core
	$(PY) -m pytest $(XDIST) $(ARGS)

lint: $(STAMP) ## ruff (lint, formatting) of every Python file and notebook; the import contract
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

test-fast: $(STAMP) ## Tests without the slow end-to-end and browser ones
	$(PY) -m pytest $(XDIST) -m "not slow" $(ARGS)

eval-real: $(STAMP) ## Score the coding on real texts gathered outside the repository: TEXTS=<set folder>
	@test -n "$(TEXTS)" || { echo "usage: make eval-real TEXTS=<folder with manifest.yaml, texts, gold_codings.csv>" >&2; exit 2; }
	$(PY) -m tools.evaluation --per-text $(TEXTS)

lab: $(STAMP) ## Open JupyterLab on the notebooks
	$(VENV)/bin/jupyter lab notebooks/ $$(test "$$(id -u)" = 0 && echo --allow-root)

bench: $(STAMP) system-report ## Benchmarks: cold build, no-op, one-source change, throughput
	$(PY) -m tools.bench

lock: $(STAMP) ## Re-resolve requirements.in into requirements.lock (with hashes) and environment.yml
	$(VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	  --python-platform linux --custom-compile-command "make lock" \
	  requirements.in -o requirements.lock
	$(PY) -m tools.lockfile requirements.lock > environment.yml

clean: ## Remove every build output (tables, executed notebooks, figures, report)
	rm -rf build data/processed report/_generated report/_output
