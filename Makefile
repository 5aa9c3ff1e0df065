# The two commands of the README: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000
# Packages go in with uv (from PyPI, pinned here): a fresh install of the runtime packages takes seconds
# where pip takes over a minute (measured in README's quick start).
UV_VERSION := 0.13.8
INSTALL := $(BIN)/uv pip install --quiet --python $(BIN)/python

.PHONY: run test setup lint migrate seed web worker beat bench check clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(BIN)/uv: | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# make run needs only the runtime packages; the tests, linters and checkers add the development ones.
$(RUN_STAMP): requirements.txt | $(BIN)/uv
	$(INSTALL) -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/uv
	$(INSTALL) -r requirements-dev.txt
	touch $@ $(RUN_STAMP)

setup: $(DEV_STAMP)

# make run: SQLite, the embedded broker, demo data, then web + worker + beat together; the demo sign-ins
# are printed last, once the web answers (scripts/run_all.sh).
run: export DEBUG ?= true
# Reminders carry absolute portal links to this server (docs/demo.md: the borrower's side of the demo).
run: export PORTAL_BASE_URL ?= http://$(HOST):$(PORT)
run: $(RUN_STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --no-sign-ins
	@echo "Starting web on http://$(HOST):$(PORT)/ with a Celery worker and beat (Ctrl-C stops all three)"
	@bash scripts/run_all.sh $(HOST) $(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: setup
	DEBUG=true $(BIN)/python manage.py check
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

# make test: the whole suite, browser tests included (installs Debian's Chromium when missing). In a git
# checkout it then fails if the run changed the working tree: a tracked file rewritten, a stray file left.
test: TREE_STATE = { git status --porcelain --untracked-files=all && git diff HEAD --binary; } | git hash-object --stdin
test: setup
	@bash scripts/ensure_chromium.sh
	$(BIN)/ruff check .
	$(BIN)/mypy
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run
	@mkdir -p var && rm -f var/tree-before-test && if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then $(TREE_STATE) > var/tree-before-test; fi
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)
	@if [ -f var/tree-before-test ] && [ "$$($(TREE_STATE))" != "$$(cat var/tree-before-test)" ]; then \
		echo "make test: the test run changed the working tree (a test must write no tracked file):"; \
		git status --short; exit 1; fi

# make screenshots: the README's screenshots (docs/screenshots/: My day, the case page, the plan form and the
# quality review, in English and Chinese) from a browser test on the demo data; commit them on purpose. Any
# other run of that test writes them under var/screenshots/.
screenshots: setup
	@bash scripts/ensure_chromium.sh
	UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest -n 0 -p no:cacheprovider tests/e2e/test_screenshots_e2e.py

bench: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/collections_bench
bench: export REDIS_URL ?= redis://127.0.0.1:6379/0
bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var db.sqlite3 staticfiles
