# `make run` starts everything, `make test` runs the suite; both install into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

.PHONY: run test lint reliability bench
run: $(BIN)/.installed
	$(BIN)/stepline dev

test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

reliability: $(BIN)/.installed  # the fault-injection run; rewrites docs/RELIABILITY.md
	$(BIN)/python -m tests.faults.report

bench: $(BIN)/.installed  # the floor and stepline side by side (docs/PERFORMANCE.md); ARGS="--friends 100000 …"
	$(BIN)/python -m bench $(ARGS)
