# Every target is self-sufficient: it creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUNTIME := $(VENV)/.installed-runtime
STAMP_DEMO := $(VENV)/.installed-demo
STAMP_DEV := $(VENV)/.installed-dev
STAMP_BENCH := $(VENV)/.installed-bench
STAMP_WEB := $(VENV)/.installed-web
STAMP_WEB_TEST := $(VENV)/.installed-web-test

.PHONY: demo test lint typecheck pytest bench bench-quick clean web test-web

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUNTIME): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(STAMP_RUNTIME) $(STAMP_DEMO)

# instructor caps jiter below ours: installed without deps (the others are in [bench])
$(STAMP_BENCH): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python -m pip install --quiet --no-deps "instructor==1.17.0"
	touch $@ $(STAMP_DEV) $(STAMP_RUNTIME)

$(STAMP_WEB): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[web]"
	touch $@ $(STAMP_RUNTIME)

$(STAMP_WEB_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[web-test]"
	touch $@ $(STAMP_WEB) $(STAMP_DEV) $(STAMP_RUNTIME)

$(STAMP_DEMO): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[demo]"
	touch $@ $(STAMP_RUNTIME)

demo: $(STAMP_DEMO)
	$(BIN)/python -m rxstruct.demo

lint: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# tests/typing: the public API as users' type checkers see it (assert_type)
typecheck: $(STAMP_DEV)
	$(BIN)/mypy --strict rxstruct tests/typing

pytest: $(STAMP_DEV)
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

# The example app on http://127.0.0.1:$${PORT:-8000}/ (scripted model unless
# RXSTRUCT_WEB_BASE_URL, RXSTRUCT_WEB_MODEL and OPENAI_API_KEY name a real one).
web: $(STAMP_WEB)
	$(BIN)/python examples/web/app.py

# The real-browser test: Debian's chromium (installed when missing; needs root) driven
# by Playwright; screenshots in build/test-web/.
test-web: $(STAMP_WEB_TEST)
	@if [ ! -x /usr/bin/chromium ] && [ -z "$${RXSTRUCT_CHROMIUM:-}" ]; then \
		echo "make test-web: installing Debian's chromium"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
			|| echo "make test-web: could not install chromium (not root?)"; \
	fi
	$(BIN)/python -m pytest -q -m browser tests/test_web

bench: $(STAMP_BENCH)
	$(BIN)/python -m benchmarks

bench-quick: $(STAMP_BENCH)
	$(BIN)/python -m benchmarks --quick

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
