# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SCENARIO ?= scenarios/global-engineering-msa.yaml
SEED ?= 7

.PHONY: demo notebook test bench bench-serve contract served live swarm soak wheel-check lint format typecheck clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## run the flagship scenario and write its report
	$(BIN)/q2c run $(SCENARIO) --seed $(SEED) --out runs/demo

notebook: $(STAMP)  ## open notebooks/ in JupyterLab (runs/demo by default: make demo first)
	@if [ -x $(BIN)/jupyter-lab ]; then \
		$(BIN)/jupyter lab notebooks/; \
	else \
		echo "JupyterLab is not installed in $(VENV) (it is not a dependency). Install it with:"; \
		echo "    $(BIN)/pip install jupyterlab"; \
		echo "then run 'make notebook' again. Without it, execute a notebook headless:"; \
		echo "    Q2C_RUN_DIR=runs/demo $(BIN)/jupyter execute --inplace notebooks/explore-a-run.ipynb"; \
		exit 1; \
	fi

test: $(STAMP)  ## the whole test suite (lint, layers, types, units, simulations)
	$(BIN)/python -m pytest

BENCH_SIZES ?= 500,1000,2000,4000
BENCH_MONTHS ?= 12

bench: $(STAMP)  ## benchmarks (pytest-benchmark), then the scale curve (BENCH_SIZES consultants, faults on)
	$(BIN)/python -m pytest tests/benchmarks --benchmark-enable --benchmark-only --benchmark-columns=min,median,max,rounds
	$(BIN)/python -m tests.benchmarks.scale --sizes $(BENCH_SIZES) --months $(BENCH_MONTHS)

BENCH_SERVE_ARGS ?=
bench-serve: $(STAMP)  ## q2c serve vs Prism (from npm) on contracts/erp.yaml: req/s, p99 (wrk)
	$(BIN)/python tests/benchmarks/serve_vs_prism.py $(BENCH_SERVE_ARGS)

contract: $(STAMP)  ## the full Schemathesis contract suite (>= 100 examples per operation), then served
	$(BIN)/python -m pytest -m contract tests/contracts/test_schemathesis_mocks.py
	$(MAKE) served

served: $(STAMP)  ## two tenants of one q2c serve, one Schemathesis run each, every vendor (CI runs it)
	$(BIN)/python -m pytest -m contract tests/contracts/test_served_tenants.py

live: $(STAMP)  ## designs served over HTTP on the wall clock: external cores, the Node example, compare (CI runs it)
	$(BIN)/python -m pytest -m live tests/live tests/app/test_compare_live.py

FAULT_SCENARIOS := month-end-erp-outage rate-limit-storm webhook-chaos lost-responses tax-engine-outage crash-restart
SOAK_SEEDS ?= 500

swarm: $(STAMP)  ## 30-seed swarms of every fault scenario, each fault kind fired (CI runs it)
	$(BIN)/python -m pytest -m swarm

soak: $(STAMP)  ## q2c swarm on every fault scenario, $(SOAK_SEEDS) seeds each (tens of minutes)
	@status=0; for s in $(FAULT_SCENARIOS); do \
		$(BIN)/q2c swarm scenarios/$$s.yaml --seeds $(SOAK_SEEDS) --out runs/soak/$$s || status=1; \
	done; exit $$status

wheel-check: $(STAMP)  ## build the wheel, install it in a fresh venv outside the repo, run/serve it
	.ci/wheel-check

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache
