# The two commands in the README: `make report` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: report test test-min bench notebook clean chromium batch

$(STAMP): pyproject.toml
	@echo "installing degtools with its dependencies, test tools and Snakemake (.[dev,workflow]) into $(VENV)/ (first run: a few minutes)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,workflow]'
	touch $(STAMP)

report: $(STAMP)
	$(BIN)/degtools report --target logFC --out reports

test: $(STAMP) chromium
	$(BIN)/python -m pytest

# The declared minimum versions, proven: every dependency at its pyproject.toml floor (>=X becomes ==X,
# see .ci/constraints_min.py) in its own venv, then the tests that start no kernel, browser or build.
MIN_VENV := .venv-min
test-min:
	@echo "installing degtools[dev] at its declared minimum versions into $(MIN_VENV)/"
	test -x $(MIN_VENV)/bin/python || $(PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(MIN_VENV)/bin/python .ci/constraints_min.py > $(MIN_VENV)/constraints-min.txt
	$(MIN_VENV)/bin/python -m pip install --quiet -c $(MIN_VENV)/constraints-min.txt -e '.[dev]'
	$(MIN_VENV)/bin/python -m pytest -q -m "not slow"

# The browser test drives the system Chromium (Debian package `chromium`; Playwright never downloads
# one). Installed with apt-get when missing; without it the browser test is skipped.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; } \
	  || echo "chromium could not be installed: tests/test_browser.py will be skipped"

# Every params file, in parallel, skipping unchanged reports; then reports/index.html.
batch: $(STAMP)
	$(BIN)/degtools batch params/ --out reports

bench: $(STAMP)
	$(BIN)/python bench/bench_report.py

# Regenerate the notebook from its paired percent script notebooks/analysis.py (the script is the source):
# notebooks/analysis.ipynb for papermill and Jupyter users, and its byte-identical copy in the package
# (degtools/notebooks/, what `degtools report` runs and what the wheel ships).
notebook: $(STAMP)
	$(BIN)/jupytext --update --to ipynb notebooks/analysis.py
	cp notebooks/analysis.ipynb degtools/notebooks/analysis.ipynb

clean:
	rm -rf $(VENV) $(MIN_VENV) reports/*.html reports/*.json
