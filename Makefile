# Two commands on a fresh clone: `make demo` (the main job) and `make test` (the whole suite).
# Each bootstraps .venv and the dependencies from nothing, with only python3 (>= 3.11) and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test lint bench fixtures clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "seats needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

demo: $(STAMP)  ## recompute the 2020 National Assembly (277 seats) from the shipped vote table
	$(BIN)/seats allocate ve-2020-an

test: $(STAMP)  ## the whole test suite (doctests included)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/python -m pip install --quiet ruff mypy
	$(BIN)/ruff check seats tests
	$(BIN)/mypy seats

bench:  ## timings against the peer libraries, written to bench/RESULTS.md
	bash bench/setup.sh
	.bench-venv/bin/python bench/run.py

fixtures: $(STAMP)  ## rebuild the generated district and vote tables (byte-identical to the committed ones)
	$(BIN)/python rulesets/ve-2017-anc/build_districts.py
	$(BIN)/python fixtures/ve-2020-an/build_votes.py
	$(BIN)/python fixtures/ve-2017-anc/build_votes.py
	$(BIN)/python fixtures/ve-2015-an/build_votes.py

clean:
	rm -rf $(VENV) .bench-venv .pytest_cache .mypy_cache .ruff_cache .hypothesis
