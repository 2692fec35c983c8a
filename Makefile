# Everything runs from the project's virtualenv, created on first use.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask
PORT ?= 5000

.PHONY: install run serve test lint typecheck format bench bench-queries bench-http bench-checkout bench-faults bench-exports bench-events bench-analytics

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[dev]'
	touch $@

## Start the storefront (embedded PostgreSQL unless DATABASE_URL is set), schema and catalog ready,
## on http://127.0.0.1:$(PORT) (`make run PORT=8000`). Ctrl-C stops it: the recipe's shell traps
## the interrupt and exits 0 whichever step it stopped, so make reports no error.
run: install
	@trap 'exit 0' INT; \
	$(FLASK) db upgrade && $(FLASK) seed && $(FLASK) run --port $(PORT)

## Serve with the production server settings (gunicorn, marketplace/gunicorn_conf.py) on $(PORT).
serve: install
	$(FLASK) db upgrade
	$(VENV)/bin/gunicorn --config python:marketplace.gunicorn_conf --bind 127.0.0.1:$(PORT) app:app

## The whole test suite (TEST_DATABASE_URL selects a server, else the embedded one), with branch
## coverage and the 15 slowest tests printed; fails unless the pricing engine is covered completely.
test: install
	$(PYTHON) -m pytest --cov --cov-report=term-missing:skip-covered --durations=15
	$(VENV)/bin/coverage report --include='marketplace/pricing/*' --fail-under=100

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## Type-check marketplace/ with mypy (settings in pyproject.toml; strict on marketplace/pricing).
typecheck: install
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## Benchmarks on a large demo data set (loaded on first use); print p50/p99 against the targets.
## BENCH_DATABASE_URL selects a server, else the embedded one (bench-faults starts a private
## cluster of its own). `make -k bench` runs them all.
bench: bench-queries bench-http bench-checkout bench-faults bench-exports bench-events bench-analytics

bench-queries: install
	$(PYTHON) -m tests.benchmarks.bench_queries

bench-http: install
	$(PYTHON) -m tests.benchmarks.bench_http

bench-checkout: install
	$(PYTHON) -m tests.benchmarks.bench_checkout

bench-faults: install
	$(PYTHON) -m tests.benchmarks.bench_faults

bench-exports: install
	$(PYTHON) -m tests.benchmarks.bench_exports

## 1,000 queued events to a fast local webhook receiver (a fresh database of its own).
bench-events: install
	$(PYTHON) -m tests.benchmarks.bench_events

## The analytics page on the demo data set: the rollups' refresh time and the page per range.
bench-analytics: install
	$(PYTHON) -m tests.benchmarks.bench_analytics
