# Keel: `make run` serves the app with demo data, `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV := $(PYTHON) -m uv
KEEL := .venv/bin/keel
PORT ?= 8000
export KEEL_HOME := $(CURDIR)

.PHONY: help install run test lint check-migrations pytest pytest-postgres demo bench faults clean

help:
	@echo "make run    install, migrate, load demo data when empty, serve on http://127.0.0.1:$(PORT)"
	@echo "make test   install and run linters plus the whole suite (SQLite, and PostgreSQL when KEEL_TEST_DATABASE_URL is set)"
	@echo "make faults kill and stop things under load (bench/faults.py): lost, duplicated, seconds to recover (~10 min)"

.venv/.installed: pyproject.toml uv.lock package.json package-lock.json
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen --quiet
	npm ci --no-audit --no-fund --silent
	@touch $@

install: .venv/.installed

run: install
	$(KEEL) migrate --no-input -v0
	$(KEEL) collectstatic --no-input -v0
	$(KEEL) demo --if-empty
	PORT=$(PORT) $(KEEL) serve

lint: install
	.venv/bin/ruff check src tests bench
	.venv/bin/ruff format --check src tests bench
	.venv/bin/mypy
	.venv/bin/lint-imports
	$(MAKE) --no-print-directory check-migrations

check-migrations: install
	KEEL_VAR_DIR=$$(mktemp -d) $(KEEL) makemigrations --check --dry-run -v1

pytest: install
	.venv/bin/pytest -q -p no:cacheprovider

# The same suite against PostgreSQL (the test database is created and dropped by pytest-django).
pytest-postgres: install
	@if [ -n "$$KEEL_TEST_DATABASE_URL" ]; then \
		echo "--- PostgreSQL: $$KEEL_TEST_DATABASE_URL"; \
		DATABASE_URL="$$KEEL_TEST_DATABASE_URL" .venv/bin/pytest -q -p no:cacheprovider; \
	else echo "KEEL_TEST_DATABASE_URL is not set: skipping the PostgreSQL run"; fi

test: lint pytest pytest-postgres

bench: install
	bench/run.sh all

# Faults under load on a throwaway PostgreSQL cluster and on SQLite (bench/faults.py --help).
faults: install
	.venv/bin/python bench/faults.py

clean:
	rm -rf .venv node_modules var .pytest_cache .mypy_cache .ruff_cache
