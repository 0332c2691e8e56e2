# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# `make demo` generates the S scenario, solves (verified by a simulated year, 5 replications),
# validates and writes an HTML report.
# Each creates .venv when missing and installs the project into it (re-installs when
# pyproject.toml changes).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO := out/demo

.PHONY: demo test lint format clean bench-quick bench-check bench-reference

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/aftersales generate --size S --seed 0 -o $(DEMO)/scenario.json
	$(BIN)/aftersales solve $(DEMO)/scenario.json -o $(DEMO)/plan.json --time-limit 60 --verify
	$(BIN)/aftersales validate $(DEMO)/scenario.json $(DEMO)/plan.json
	$(BIN)/aftersales report $(DEMO)/scenario.json $(DEMO)/plan.json -o $(DEMO)/report.html
	@echo "report: $(abspath $(DEMO)/report.html)"

test: $(VENV)/.installed-dev lint
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Benchmarks as regression checks (benchmarks/README.md): run the quick profile, compare it with
# the committed reference (exit 1 on a regression), or record a new reference (commit it, saying why).
BENCH := out/bench
REFERENCE := benchmarks/reference/quick.json

bench-quick: $(VENV)/.installed-dev
	$(BIN)/python -m aftersales.benchmarks run --profile quick --json $(BENCH)/quick.json

bench-check: bench-quick
	$(BIN)/python -m aftersales.benchmarks check $(BENCH)/quick.json --against $(REFERENCE) \
		--markdown $(BENCH)/check.md --junit $(BENCH)/junit.xml

bench-reference: $(VENV)/.installed-dev
	$(BIN)/python -m aftersales.benchmarks reference update --profile quick --output $(REFERENCE)

clean:
	rm -rf out .pytest_cache .ruff_cache .hypothesis
