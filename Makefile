# The two commands a new user needs: `make run` and `make test`. Both create .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The `traffic` wheel carries the recorded ADS-B sample flights; its ~1 GB of dependencies
# are not needed to read them, so it is installed without them (see README).
TRAFFIC := traffic==2.13

.PHONY: run test lint format bench flyout-tables clean

$(VENV)/.python-ok:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
	  { echo "error: airdefense needs Python 3.11 or newer (found $$($(PYTHON) --version 2>&1)); run: make PYTHON=python3.11 ..."; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@touch $@

$(VENV)/.installed: $(VENV)/.python-ok pyproject.toml
	$(BIN)/pip install --quiet -e .
	$(BIN)/pip install --quiet --no-deps $(TRAFFIC)
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $@

run: $(VENV)/.installed
	$(BIN)/airdefense run

test: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir build/site
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench

format: $(VENV)/.installed-test
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(VENV)/.installed-test
	OMP_NUM_THREADS=1 $(BIN)/python bench/detect.py
	$(BIN)/python bench/scenario.py

# The flyout tables shipped with the package: rewrite them after a change to the flyout model
# (a test says when they are stale).
flyout-tables: $(VENV)/.installed
	$(BIN)/python -c 'from airdefense.engagement.flyout import write_shipped_tables as w; print(w())'

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache .hypothesis build dist src/*.egg-info
