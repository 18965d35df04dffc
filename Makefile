# `make run` starts everything, `make test` runs the suite; both install into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

LOCALES := api/dashboard/locales

.PHONY: run test lint reliability bench messages
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

# The dashboard's catalogs (api/dashboard/i18n.py reads the .po files at start: nothing to
# compile). Extract every marked string (babel.cfg) and merge it into ja and en; then fill in
# the new `msgstr ""` of ja (tests/api/test_dashboard_i18n.py fails on any left empty).
messages: $(BIN)/.installed
	$(BIN)/pybabel --quiet extract -F babel.cfg -k NC_:1c,2 --no-wrap --sort-by-file \
	  --project stepline --copyright-holder "" -o $(LOCALES)/messages.pot .
	$(BIN)/pybabel --quiet update --init-missing --ignore-obsolete --no-wrap --no-fuzzy-matching \
	  -i $(LOCALES)/messages.pot -d $(LOCALES) -l ja
	$(BIN)/pybabel --quiet update --init-missing --ignore-obsolete --no-wrap --no-fuzzy-matching \
	  -i $(LOCALES)/messages.pot -d $(LOCALES) -l en
