# The hub's two set-up commands: `make run` and `make test`. Needs only python3 (3.11+) and make.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION ?= 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(shell $(PYTHON) -c 'import sys; print(sys.executable)')
VENV_STAMP := .venv/.synced

.PHONY: run test lint format bench install clean traces events asyncapi screenshots

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV_STAMP): $(UV) uv.lock pyproject.toml shared/pyproject.toml $(wildcard services/*/pyproject.toml)
	$(UV) sync --all-packages --frozen
	@touch $@

install: $(VENV_STAMP)

run: $(VENV_STAMP)
	.venv/bin/python -m hub_shared.devrun

test: $(VENV_STAMP)
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/pytest $(PYTEST_ARGS)

lint: $(VENV_STAMP)
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

clean:
	rm -rf var .pytest_cache

traces: $(VENV_STAMP)
	.venv/bin/python -m hub_shared.tools.traces $(ARGS)

events: $(VENV_STAMP)
	.venv/bin/python -m hub_shared.tools.events $(ARGS)

asyncapi: $(VENV_STAMP)
	.venv/bin/python -m hub_shared.tools.asyncapi

bench: $(VENV_STAMP)
	.venv/bin/python benchmarks/ingest.py --db sqlite
	.venv/bin/python benchmarks/ingest.py --db postgres
	.venv/bin/python benchmarks/elin_cpu.py
	.venv/bin/python benchmarks/matching.py
	.venv/bin/python benchmarks/replay.py
	.venv/bin/python benchmarks/e2e.py

screenshots: $(VENV_STAMP)
	.venv/bin/python tests/browser/screenshots.py
