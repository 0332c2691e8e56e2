# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# `make demo` generates the S scenario, solves (verified by a simulated year, 5 replications),
# validates and writes an HTML report.
# Each creates .venv when missing and installs the project into it (re-installs when
# pyproject.toml changes).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO := out/demo

.PHONY: demo test lint format clean

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

clean:
	rm -rf out .pytest_cache .ruff_cache .hypothesis
