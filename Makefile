# Quick start: `make report` regenerates the report from data/, `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: report readme-figures test lint bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

report: $(STAMP)
	$(BIN)/overdose-trends report --out reports/

readme-figures: report
	cp reports/figures/period_comparison.png reports/figures/funnel.png \
	   reports/figures/joinpoint_national.png docs/figures/

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_ons_read.py
	$(BIN)/python benchmarks/bench_rates.py
	$(BIN)/python benchmarks/bench_kits.py
	$(BIN)/python benchmarks/bench_joinpoint.py

clean:
	rm -rf $(VENV) reports build
