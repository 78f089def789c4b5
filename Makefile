# Two commands on a fresh machine with Python 3.11+: `make run` and `make test`.
# Each creates .venv when missing and installs what its target needs (editable).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# `make run` listens where HUB_HOST / HUB_PORT say (default 127.0.0.1:8000); HOST=… PORT=… override them.
HOST   ?=
PORT   ?=
# pytest-xdist workers: `auto` is one per core (a third worker on two cores was slower: the suite is
# CPU-bound, about 12 CPU-minutes); PYTEST_WORKERS=0 runs the suite in one process.
PYTEST_WORKERS ?= auto

.PHONY: run test lint typecheck bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(BIN)/hub db upgrade
	$(BIN)/hub run --sandbox $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

test: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/mypy hub connectors jobs
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal --durations=20

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/mypy hub connectors jobs

bench: $(VENV)/.test-installed
	@for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
