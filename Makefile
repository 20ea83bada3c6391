# A fresh clone needs exactly `make demo` and `make test`; both build .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck check clean postgres-server

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# The example jobs reference their secrets as ${env:...}; the demo gives them throwaway values, exported
# (not written on the command lines, which make would echo).
demo: export LANDSCAPE_STREAM_KEY = demo-landscape-stream-key
demo: export PORTRAIT_STREAM_KEY = demo-portrait-stream-key
demo: export LIVE_CALLBACK_KEY = demo-callback-key
demo: export INTERACTION_CALLBACK_URL = https://hooks.example.com/interact?token=demo
demo: $(STAMP)
	$(BIN)/smartlive validate examples/
	$(BIN)/smartlive test examples/
	$(BIN)/smartlive plan examples/ --local
	$(BIN)/smartlive apply examples/ --local --auto-approve
	$(BIN)/smartlive plan examples/ --local
	@echo "A few viewers comment and send a gift (demo/comments.jsonl); the room's rules answer:"
	$(BIN)/smartlive events report demo/comments.jsonl --job store-landscape --local
	$(BIN)/smartlive emulator replies --job store-landscape

# The state-store tests start a throwaway PostgreSQL cluster of their own: they need the server binaries
# (initdb, pg_ctl), not a running server. Installed only where missing (needs root or sudo).
postgres-server:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  ($(if $(filter 0,$(shell id -u)),,sudo) apt-get update && \
	   $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql)

test: $(STAMP) postgres-server
	$(BIN)/python -m pytest -q -n 2 -p no:cacheprovider

# The GitHub Action too: action.yml against GitHub's schema for action metadata (actionlint reads only
# workflows), its install script with shellcheck, and the example workflows with actionlint, which runs
# shellcheck on their `run:` scripts (found on PATH). tests/unit/test_ci_examples.py checks the inputs
# and outputs the examples use against action.yml.
lint: $(STAMP)
	$(BIN)/ruff check reconciler tests benchmarks
	$(BIN)/ruff format --check reconciler tests benchmarks
	$(BIN)/check-jsonschema --builtin-schema vendor.github-actions action.yml
	$(BIN)/shellcheck action/*.sh
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/actionlint examples/ci/.github/workflows/*.yml

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

clean:
	rm -rf $(VENV) .smartlive .pytest_cache
