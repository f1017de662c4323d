# Two commands set up a fresh machine: `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test install system-deps node-deps lint types pytest clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the browser tests (Playwright's own browser download does not work offline).
system-deps:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else echo "chromium is missing: install Debian's chromium package (sudo apt-get install chromium)"; exit 1; fi

# Medplum's FHIR router (the sandbox's second backend) and Node 22, from npm, pinned by the lock file.
node-deps:
	@if [ -f sandbox/medplum/package-lock.json ]; then \
	  (cd sandbox/medplum && npm ci --no-audit --no-fund --loglevel=error >/dev/null); fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .

types: $(STAMP)
	$(VENV)/bin/mypy rehab fhir_mappers launch smartapp sandbox

pytest: $(STAMP) system-deps node-deps
	$(VENV)/bin/pytest -q

test: lint types pytest

demo: $(STAMP) node-deps
	$(VENV)/bin/functionfirst sandbox

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
