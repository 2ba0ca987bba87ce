# `make test` and `make demo` do all the set-up on a fresh machine: they create .venv and install
# from the hashed locks in requirements/, so every run sees the same packages (see its README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
LOCK_FLAGS := --universal --python-version 3.10 --generate-hashes --no-header --quiet

.PHONY: test check demo lint bench faults sweep clean lock test-newest test-floors mutate

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The demo needs hmsync and its runtime dependencies only; the build backend comes from the
# lock too (no build isolation), so nothing unpinned is fetched.
$(VENV)/.runtime-installed: requirements/runtime.lock pyproject.toml | $(BIN)/python
	$(PIP) install --quiet --require-hashes --no-deps -r requirements/runtime.lock
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.test-installed: requirements/test.lock pyproject.toml | $(BIN)/python
	$(PIP) install --quiet --require-hashes --no-deps -r requirements/test.lock
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	touch $(VENV)/.runtime-installed $@

# The renderers the suite checks the Markdown and Mermaid with (node), pinned by their lock;
# without node or npm the tests that need them are skipped and say so.
tests/js/node_modules/.installed: tests/js/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/js --no-audit --no-fund --ignore-scripts --loglevel=error && touch $@; \
	else echo "no npm: the Markdown rendering and Mermaid tests will be skipped"; fi

test: $(VENV)/.test-installed tests/js/node_modules/.installed
	@$(MAKE) --no-print-directory check

# lint and the suite with whatever $(BIN) holds (test-newest and test-floors reuse it)
check: lint
	$(BIN)/pytest -q -n 2

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

demo: $(VENV)/.runtime-installed
	@PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

bench: $(VENV)/.runtime-installed
	$(BIN)/python benchmarks/bench.py
	cd benchmarks && ../$(BIN)/python rooms.py

# Plant one-line bugs in the core and the write path, count what the tests catch.
mutate: $(VENV)/.test-installed
	$(BIN)/python scripts/mutate.py $(MODULES)

# The fault matrix: one apply per seed under 500s, 429s and lost answers, v1 and v2.
faults: $(VENV)/.runtime-installed
	$(BIN)/python -m tests.faultmatrix 20

# A second writer after each request of an apply, in every configuration: the table of what is
# lost and where (make test holds the same sweep to its promise).
sweep: $(VENV)/.test-installed
	$(BIN)/python -m tests.sweep

# Refresh the locks (needs the network): newest releases within pyproject.toml's ranges.
lock: $(BIN)/python
	$(PIP) install --quiet uv
	$(BIN)/uv pip compile pyproject.toml requirements/build.in $(LOCK_FLAGS) -o requirements/runtime.lock
	$(BIN)/uv pip compile pyproject.toml requirements/build.in --extra test $(LOCK_FLAGS) -o requirements/test.lock

# The scheduled CI jobs: the suite against the newest releases, and against the floors.
test-newest:
	rm -rf .venv-newest
	$(PYTHON) -m venv .venv-newest
	.venv-newest/bin/python -m pip install --quiet --upgrade pip
	.venv-newest/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[test]'
	.venv-newest/bin/python -m pip freeze --exclude-editable
	@$(MAKE) --no-print-directory check BIN=.venv-newest/bin

test-floors:
	rm -rf .venv-floors
	$(PYTHON) -m venv .venv-floors
	.venv-floors/bin/python -m pip install --quiet -c requirements/floors.txt -e '.[test]'
	.venv-floors/bin/python -m pip freeze --exclude-editable
	@$(MAKE) --no-print-directory check BIN=.venv-floors/bin

clean:
	rm -rf tests/js/node_modules $(VENV) .venv-newest .venv-floors .pytest_cache .mypy_cache .ruff_cache .hypothesis *.egg-info
