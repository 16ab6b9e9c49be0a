# Quick start: `make report` regenerates the report from data/, `make test` runs the tests.
PYTHON   ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed
RUNTIME  := $(VENV)/.installed-runtime
DOCS_OUT := build/docs
SPHINXOPTS ?=

.PHONY: report readme-figures test lint typecheck docs docs-strict bench clean

# (Re)install whenever pyproject.toml changes (new dependency, extra or pin).
$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,docs]"
	touch $(STAMP) $(RUNTIME)

# `make report` needs only the package and its runtime dependencies (no dev extras).
$(RUNTIME): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUNTIME)

report: $(RUNTIME)
	$(BIN)/overdose-trends report --out reports/

readme-figures: report
	cp reports/figures/period_comparison.png reports/figures/funnel.png \
	   reports/figures/joinpoint_national.png reports/figures/map.png \
	   reports/figures/controlled_southend.png docs/figures/

# ruff, mypy, the API site with warnings as errors, then pytest (tests, doctests in
# src/, notebooks): pytest's summary is the last line.
test: lint typecheck docs-strict
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts docs conftest.py

typecheck: $(STAMP)
	$(BIN)/mypy

# The API reference site, from the docstrings: open build/docs/index.html.
# Notebooks are rendered as committed (not run; the tests run them).
# `make docs SPHINXOPTS=-n` also lists cross-references that do not resolve.
docs: $(STAMP)
	rm -rf $(DOCS_OUT)
	$(BIN)/sphinx-build -b html --keep-going $(SPHINXOPTS) docs $(DOCS_OUT)
	@echo "API reference: $(DOCS_OUT)/index.html"

docs-strict: $(STAMP)
	rm -rf $(DOCS_OUT)
	$(BIN)/sphinx-build -b html -W --keep-going -q docs $(DOCS_OUT)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_import.py
	$(BIN)/python benchmarks/bench_ons_read.py
	$(BIN)/python benchmarks/bench_rates.py
	$(BIN)/python benchmarks/bench_kits.py
	$(BIN)/python benchmarks/bench_joinpoint.py

clean:
	rm -rf $(VENV) reports build
