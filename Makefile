PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HASH := $(shell sha1sum pyproject.toml | cut -c1-12)
RUNTIME := $(VENV)/.runtime-$(HASH)
DEV := $(VENV)/.dev-$(HASH)

.PHONY: run test lint bench bench-quick anomaly-eval clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The sandbox needs only the runtime dependencies; the checks need the dev extras too.
$(RUNTIME): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV): $(RUNTIME)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(RUNTIME)
	$(BIN)/jxc sandbox

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy core bot handlers notifications config

test: lint
	$(BIN)/pytest -q -n 2

bench: $(RUNTIME)
	$(BIN)/jxc bench --json bench.json

# Minutes: simulated fraud families and honest shops replayed through the anomaly detector.
anomaly-eval: $(DEV)
	PYTHONPATH=. $(BIN)/python -m tests.support.anomaly_eval --seeds 20 --jobs 2

# Small data and few repeats: CI runs it so the benchmarks keep working.
bench-quick: $(RUNTIME)
	$(BIN)/jxc bench --quick

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
