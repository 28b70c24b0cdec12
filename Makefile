# The two commands in the README: `make report` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: report test bench notebook clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

report: $(STAMP)
	$(BIN)/degtools report --target logFC --out reports

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/bench_report.py

# Regenerate notebooks/analysis.ipynb from its paired percent script (the script is the source).
notebook: $(STAMP)
	$(BIN)/jupytext --update --to ipynb notebooks/analysis.py

clean:
	rm -rf $(VENV) reports/*.html reports/*.json
