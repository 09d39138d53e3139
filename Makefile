# Every target bootstraps .venv on first use; torch is pinned to the CPU build that
# installs from local disk in seconds (pyproject.toml keeps a loose bound for users).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH_PIN := torch==2.13.0

.PHONY: demo test lint docs bench clean

$(BIN)/sklprune-ready: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(TORCH_PIN)
	$(BIN)/pip install --quiet -e ".[test]" $(TORCH_PIN)
	touch $@

demo: $(BIN)/sklprune-ready
	$(BIN)/sklprune run --out results/demo

test: $(BIN)/sklprune-ready
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

lint: $(BIN)/sklprune-ready
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Every benchmark script rewrites its own section of benchmarks/RESULTS.md. All take
# the same common flags, given to every script in BENCH_FLAGS: --quick (a smoke run
# that writes no file), --repeats N, --results PATH, --no-write. For example
# `make bench BENCH_FLAGS=--quick`.
BENCHMARKS := $(sort $(wildcard benchmarks/bench_*.py))
BENCH_FLAGS ?=

bench: $(BIN)/sklprune-ready
	set -e; for script in $(BENCHMARKS); do $(BIN)/python $$script $(BENCH_FLAGS); done

$(BIN)/sklprune-docs-ready: $(BIN)/sklprune-ready
	$(BIN)/pip install --quiet -e ".[docs]" $(TORCH_PIN)
	touch $@

# HTML in docs/_build/html. Runs the gallery examples that changed since the last
# build (all of them the first time); reads every page again (-E), so every warning
# shows up, and warnings are errors.
docs: $(BIN)/sklprune-docs-ready
	$(BIN)/sphinx-build -E -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) build dist *.egg-info docs/_build docs/auto_examples docs/generated
	rm -f docs/sg_execution_times.rst
