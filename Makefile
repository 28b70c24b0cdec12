# The two commands in the README: `make report` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: report test bench notebook clean chromium batch

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,workflow]'
	touch $(STAMP)

report: $(STAMP)
	$(BIN)/degtools report --target logFC --out reports

test: $(STAMP) chromium
	$(BIN)/python -m pytest

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
	rm -rf $(VENV) reports/*.html reports/*.json
