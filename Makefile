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

.PHONY: help setup demo refresh test lint dbt-parse dbt-build pytest serve dagster contracts clean

help:
	@echo "make demo   - set up, generate the synthetic demo council, run the whole pipeline, build the site"
	@echo "make test   - set up and run every check (ruff, sqlfluff, dbt, pytest)"
	@echo "make serve  - serve the board site on http://127.0.0.1:8000/"
	@echo "make dagster - open the Dagster UI on http://127.0.0.1:3000/"

$(UV):
	$(PYTHON) -m pip install --user --quiet uv==0.13.9

# Installs exactly what uv.lock says (dev tools included) and parses the dbt project.
setup: $(UV)
	$(UV) sync --frozen --quiet
	$(DBT) parse --quiet

demo: setup
	$(BIN)/observatory demo
	$(BIN)/observatory refresh
	@echo ""
	@echo "Done. The board site:   $(OBSERVATORY_DATA_DIR)/site/index.html"
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

lint: setup
	$(BIN)/ruff check orchestration tests
	$(BIN)/ruff format --check orchestration tests
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/macros dbt_project/tests

test: lint
	$(DBT) parse --target ci --quiet
	$(BIN)/python -m pytest

clean:
	rm -rf data dbt_project/target test-artifacts
