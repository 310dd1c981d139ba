# Two commands for a newcomer: `make run` and `make test`. Everything else is what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
ASSETS := feedback/static/build/app.css
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install assets lint serve setup clean benchmarks

# Links that leave the browser (reset, resume, QR, print, mail merge) use http://$(HOST):$(PORT)
# unless FEEDBACK_BASE_URL is already set (`feedback run` alone does the same: feedback/config.py).
run: install setup
	FEEDBACK_BASE_URL="$${FEEDBACK_BASE_URL:-http://$(HOST):$(PORT)}" $(BIN)/feedback run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/ruff check feedback tests
	$(BIN)/lint-imports
	$(BIN)/mypy feedback
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(INSTALLED) $(ASSETS)

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + ")")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(ASSETS): node_modules/.package-lock.json feedback/static/src/app.scss feedback/static/src/copy-assets.mjs
	npm run --silent build

assets: $(ASSETS)

setup: install
	$(BIN)/feedback setup

lint: install
	$(BIN)/ruff check feedback tests
	$(BIN)/lint-imports
	$(BIN)/mypy feedback

benchmarks: install
	$(BIN)/python -m pytest tests/benchmarks/bench_*.py -p no:cacheprovider -s $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules feedback/static/build
