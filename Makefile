# The project's entry points. `make test` is what CI runs (.ci/run), on a clean clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp

.PHONY: setup validate generate check-generated lint typecheck layers test bench serve conform

setup: $(STAMP) $(NODE_STAMP)

# Re-installs only when the pinned dependencies or the package metadata change.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# Node tools (openapi-typescript, Redocly, tsc) are pinned in package-lock.json and live in ./node_modules.
$(NODE_STAMP): package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "make setup: Node.js >= 20.19 with npm is not installed. It is needed for the TypeScript types," >&2; \
		echo "  the HTML reference and the Redocly lint (generate, validate, test). Install it and rerun make setup." >&2; \
		exit 1; \
	fi
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $(NODE_STAMP)

validate: setup
	$(BIN)/aitre validate --redocly

generate: setup
	$(BIN)/aitre generate

check-generated: setup
	$(BIN)/aitre generate --check

lint: setup
	$(BIN)/ruff check src tests bench scripts

# mypy --strict over src/aitre ([tool.mypy] in pyproject.toml; the generated code is exempt).
typecheck: setup
	$(BIN)/mypy

# The import contracts of ARCHITECTURE.md ([tool.importlinter] in pyproject.toml). Under a second, so
# no cache: one would only litter the checkout.
layers: setup
	$(BIN)/lint-imports --no-cache

test: setup lint typecheck layers validate check-generated
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/spec_tools.py
	$(BIN)/python bench/conform.py
	npm ci --prefix bench --no-audit --no-fund --silent
	$(BIN)/python bench/server.py

serve: setup
	$(BIN)/aitre serve $(if $(PORT),--port $(PORT),)

# The key travels in the environment and the recipe is not echoed, so it never reaches the log.
conform: setup
	@echo "$(BIN)/aitre conform $(if $(BASE_URL),--base-url $(BASE_URL),(embedded reference server))"
	@OPENAI_API_KEY="$${API_KEY:-$${OPENAI_API_KEY:-}}" $(BIN)/aitre conform \
		$(if $(BASE_URL),--base-url $(BASE_URL),) $(if $(REPORT_DIR),--report-dir $(REPORT_DIR),)
