# The two commands a new user needs: `make demo` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
export UV_COMPILE_BYTECODE := 1
export OBSERVATORY_DATA_DIR ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(OBSERVATORY_DATA_DIR)/dagster_home
VENV := .venv
BIN := $(VENV)/bin
DBT := cd dbt_project && ../$(BIN)/dbt

.PHONY: help setup demo refresh test lint dbt-parse dbt-build pytest serve dagster contracts clean chromium browser-test bi-evidence fuzz bench

help:
	@echo "make demo   - set up, generate the synthetic demo council, run the whole pipeline, build the site"
	@echo "make test   - set up and run every check (ruff, sqlfluff, dbt, pytest)"
	@echo "make fuzz   - the long bad-input fuzz of every reader and contract (~2,000 examples each)"
	@echo "make bench  - benchmark a full refresh at London scale (SCALE=smoke|london|england; benchmarks/README.md)"
	@echo "make serve  - serve the board site on http://127.0.0.1:8000/"
	@echo "make dagster - open the Dagster UI on http://127.0.0.1:3000/"
	@echo "make chromium - install Debian's chromium if missing (board pack PDF, browser tests)"

$(UV):
	$(PYTHON) -m pip install --user --quiet uv==0.13.9

# Installs exactly what uv.lock says (dev tools included) and parses the dbt project.
setup: $(UV)
	$(UV) sync --frozen --quiet
	$(DBT) parse --quiet

# The board pack PDF is printed by chromium: installed if it can be; without it the pack is HTML only.
demo: setup
	@$(MAKE) --no-print-directory chromium || echo "No chromium: the board pack will be HTML only (make chromium as root adds the PDF)."
	$(BIN)/observatory demo
	$(BIN)/observatory refresh
	@echo ""
	@echo "Done. The board site:   $(OBSERVATORY_DATA_DIR)/site/index.html"
	@echo "  board pack:           $(OBSERVATORY_DATA_DIR)/site/board-pack.html (and board-pack.pdf)"
	@echo "  serve it:             make serve   (then open http://127.0.0.1:8000/)"
	@echo "  Dagster UI:           make dagster (then open http://127.0.0.1:3000/)"

refresh: setup
	$(BIN)/observatory refresh

serve:
	$(BIN)/observatory serve

dagster: setup
	$(BIN)/dagster dev -w workspace.yaml

contracts:
	$(BIN)/observatory contracts sync

# Optional analysts' explorer (Evidence, bi/; docs/bi.md): needs Node 20+, npm and the internet (Evidence's
# browser DuckDB downloads its parquet extension). Not part of demo or test.
bi-evidence: setup
	@command -v npm >/dev/null || { echo "make bi-evidence needs Node.js 20+ and npm (see docs/bi.md)"; exit 1; }
	@node -e "fetch('https://extensions.duckdb.org/',{method:'HEAD',signal:AbortSignal.timeout(15000)}).catch(()=>{console.error('make bi-evidence: extensions.duckdb.org is unreachable; Evidence cannot build offline (docs/bi.md)');process.exit(1)})"
	$(BIN)/python -m observatory.bi_export
	cd bi && npm ci
	cd bi && SEND_ANONYMOUS_USAGE_STATS=no npm run sources && SEND_ANONYMOUS_USAGE_STATS=no npm run build
	@echo "The explorer: bi/build/ (serve it with: cd bi && npm run preview)"

lint: setup
	$(BIN)/ruff check orchestration tests
	$(BIN)/ruff format --check orchestration tests
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/macros dbt_project/tests

test: lint chromium
	$(DBT) parse --target ci --quiet
	$(BIN)/python -m pytest

# The bad-input corpus at length: the same property tests as `make test` runs (bounded, derandomised),
# with hypothesis' long profile, 2,000 random examples per contract and format (FUZZ_MAX_EXAMPLES=n to
# change). Hours on two cores; run it after changing a reader, the parsers or a contract.
fuzz: setup
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/test_fuzz_ingest.py -p no:cacheprovider --hypothesis-show-statistics

# Issue 10's benchmark (benchmarks/README.md): generates the scale with the demo generator (cached in
# benchmarks/.cache, regenerated when the generator changes), times the floor (DuckDB reading every input
# once), a full refresh in-process and an incremental one per stage, and writes benchmarks/results/ and the
# table in benchmarks/README.md. Not part of `make test` (tests/test_bench.py is its smoke). SCALE=smoke
# (one borough, 1 year), london (33 x 5 years) or england (150 x 5 years); BENCH_ARGS="--years 1" etc.
SCALE ?= london
bench: setup
	$(BIN)/python benchmarks/run.py --scale $(SCALE) $(BENCH_ARGS)

# Debian's Chromium: prints the board pack PDF and runs the browser tests (Python playwright drives
# /usr/bin/chromium; no browser is ever downloaded). Installed with apt-get when missing (root in CI).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; else \
	    echo "chromium is missing: install Debian's chromium package as root (apt-get install chromium)"; exit 1; fi; \
	  echo "Installing Debian's chromium (apt-get)..."; \
	  $$SUDO apt-get update -q && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; }
	@command -v chromium >/dev/null

# Only the browser, accessibility and board pack tests (they run the demo pipeline once, ~10 min).
browser-test: setup chromium
	$(BIN)/python -m pytest tests/test_browser.py tests/test_boardpack.py

clean:
	rm -rf data dbt_project/target test-artifacts
