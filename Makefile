# Entry points. `make run` builds the warehouse; `make test` runs the test suite.
# Both create .venv on first use (Python 3.11, dependencies pinned by constraints.txt).

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: help venv system run test bench clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/imon: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --constraint constraints.txt --editable '.[dev]'
	@touch $@

venv: $(BIN)/imon  ## create .venv with all dependencies

run: venv  ## pull, validate, load and build the warehouse; print a summary
	$(BIN)/imon run

# Headless Chromium (Debian packages) drives the page tests; its headless shell prints the report PDFs.
# Installed when missing and we may (root with apt-get, as on CI); otherwise one message naming the command,
# before any test runs.
SYSTEM_PACKAGES = chromium chromium-headless-shell
system:  ## Debian packages the tests need (Chromium and its headless shell), installed when missing
	@missing=""; for package in $(SYSTEM_PACKAGES); do command -v $$package >/dev/null 2>&1 || missing="$$missing $$package"; done; \
	[ -z "$$missing" ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing (Debian packages) for the page tests and the report PDFs"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "make test needs$$missing for the page tests and the report PDFs: run 'sudo apt-get install$$missing', then make test again" >&2; \
	    exit 1; \
	  fi; }

test: venv system  ## install what the tests need, run the test suite (one worker per core)
	$(BIN)/pytest -n auto --dist loadfile --no-loadscope-reorder

bench: venv  ## federal-scale benchmark (writes BENCHMARKS.md), then 10/30 MB county uploads; options: make bench BENCH="--years 3 --skip-service"
	$(BIN)/python -m tests.bench $(BENCH)
	$(BIN)/python -m tests.bench.uploads

clean:  ## remove the virtual environment and local build output
	rm -rf $(VENV) warehouse/imon.duckdb* warehouse/landing .prefect
