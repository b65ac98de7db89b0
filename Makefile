# omnistock: `make demo` and `make test` work on a fresh machine.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast bench lint serve clean browser

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/omnistock demo

# Browser tests run in their own session: Playwright's sync API keeps an event loop running in
# the worker for as long as the browser lives, which breaks later tests that use asyncio.run.
test: $(STAMP) browser
	$(BIN)/pytest -n 2 --dist loadgroup -m "not browser"
	$(BIN)/pytest -m browser

test-fast: $(STAMP)
	$(BIN)/pytest tests/unit -q

bench: $(STAMP)
	$(BIN)/python bench/ledger.py
	@for b in bench/api.py bench/events.py bench/ingest.py bench/routing.py; do \
	  if [ -f $$b ]; then $(BIN)/python $$b || exit 1; fi; done

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

# Debian's Chromium for the dashboard's browser tests (Playwright downloads no browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

clean:
	rm -rf $(VENV) .pytest_cache bench/results/*.json
