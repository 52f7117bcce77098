# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SCENARIO ?= scenarios/global-engineering-msa.yaml
SEED ?= 7

.PHONY: demo test bench contract lint format typecheck clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## run the flagship scenario and write its report
	$(BIN)/q2c run $(SCENARIO) --seed $(SEED) --out runs/demo

test: $(STAMP)  ## the whole test suite (lint, layers, types, units, simulations)
	$(BIN)/python -m pytest

bench: $(STAMP)  ## performance benchmarks (pytest-benchmark)
	$(BIN)/python -m pytest tests/benchmarks --benchmark-enable --benchmark-only --benchmark-columns=min,median,max,rounds

contract: $(STAMP)  ## the full Schemathesis contract suite (>= 100 examples per operation)
	$(BIN)/python -m pytest -m contract tests/test_schemathesis_mocks.py

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache
