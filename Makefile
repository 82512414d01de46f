# cosodang — developer commands. `make run` and `make test` work on a fresh machine.
PYTHON_VERSION ?= 3.12
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_MEMBERS ?= 3000

.PHONY: venv install run serve demo test test-fast check fmt bench clean

# Create the virtual environment with Python 3.12 (pyenv if present, else python3.12).
$(VENV)/.installed: pyproject.toml
	@if [ ! -x $(PY) ]; then \
	  PYBIN=$$(command -v pyenv >/dev/null 2>&1 && pyenv which python$(PYTHON_VERSION) 2>/dev/null || command -v python$(PYTHON_VERSION) || command -v python3); \
	  echo "Creating $(VENV) with $$PYBIN"; $$PYBIN -m venv $(VENV); fi
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	@touch $@

venv install: $(VENV)/.installed

# Quick start on the embedded SQLite database with demo data. A task worker (large imports)
# runs in the background and is stopped when the server stops (Ctrl-C).
run: install
	COSODANG_DEMO=1 $(MANAGE) migrate --noinput
	COSODANG_DEMO=1 $(MANAGE) seed_demo --members $(DEMO_MEMBERS) --if-empty
	COSODANG_DEMO=1 $(MANAGE) seed_evaluations
	COSODANG_DEMO=1 $(MANAGE) seed_admissions
	@COSODANG_DEMO=1 $(MANAGE) demo_logins
	@COSODANG_DEMO=1 DEBUG=1 $(MANAGE) db_worker --no-reload & WORKER=$$!; \
	  trap 'kill $$WORKER 2>/dev/null; wait $$WORKER 2>/dev/null' EXIT INT TERM; \
	  COSODANG_DEMO=1 DEBUG=1 $(MANAGE) runserver $(HOST):$(PORT)

test: install
	$(VENV)/bin/pytest -q

check: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	COSODANG_DEMO=1 $(VENV)/bin/mypy cosodang config bench
	COSODANG_DEMO=1 $(MANAGE) makemigrations --check --dry-run

fmt: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Benchmark on PostgreSQL (1,000,000 members; builds cosodang_bench once, then reuses it).
# BENCH_ARGS="--runs 10" etc.; see bench/README.md.
bench: install
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles
