# Two entry points: `make run` (demo) and `make test` (every test). Everything else is a step of those.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PG_TEST_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test

.PHONY: run test setup python widget chromium lint bench clean segment-node constraints

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $@

widget/node_modules/.installed: widget/package.json widget/package-lock.json
	cd widget && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The real Segment Node client, which the Segment tests drive (nothing else uses it)
tests/segment/node/node_modules/.installed: tests/segment/node/package.json tests/segment/node/package-lock.json
	cd tests/segment/node && npm ci --no-audit --no-fund --loglevel=error
	touch $@

widget/dist/waymark.js: widget/node_modules/.installed widget/build.mjs $(wildcard widget/src/*.js) $(wildcard widget/admin/*)
	cd widget && node build.mjs

python: $(BIN)/.installed
widget: widget/dist/waymark.js
segment-node: tests/segment/node/node_modules/.installed
setup: python widget

chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

## make run: set up, migrate, seed the demo app (guides, six weeks of history, demo logins) and serve
## http://127.0.0.1:8000/demo/ (the host app) and http://127.0.0.1:8000/admin/ (the admin)
run: setup
	$(BIN)/waymark demo

## make test: set up (with Chromium) and run every test: unit and API on SQLite and PostgreSQL (both cores), then e2e
test: setup chromium segment-node
	$(BIN)/ruff check server tests e2e benchmarks
	$(BIN)/mypy
	WAYMARK_TEST_POSTGRES_URL=$(PG_TEST_URL) $(BIN)/pytest -q -n 2 tests
	WAYMARK_TEST_POSTGRES_URL=$(PG_TEST_URL) $(BIN)/pytest -q e2e

lint: python
	$(BIN)/ruff check server tests e2e benchmarks
	$(BIN)/mypy

## make bench: print every figure quoted in the README (needs wrk: apt-get install wrk)
bench: setup chromium
	@command -v wrk >/dev/null 2>&1 || { $(SUDO) apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m benchmarks.widget_size
	$(BIN)/python -m benchmarks.delivery
	$(BIN)/python -m benchmarks.first_guide

## make constraints: pin what pyproject.toml resolves to today (run after changing dependencies)
constraints:
	rm -rf .venv-pin && $(PY) -m venv .venv-pin && .venv-pin/bin/pip install -q --disable-pip-version-check -e '.[test]'
	{ sed -n 1,2p constraints.txt; .venv-pin/bin/pip freeze --exclude-editable | grep -v '^waymark'; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .venv-pin

clean:
	rm -rf $(VENV) widget/node_modules widget/dist var tests/segment/node/node_modules
