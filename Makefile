# Voxroom: `make run` installs what it needs and opens the app; `make test` installs and runs every test.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: run test lint bench venv system-deps system-deps-test clean

run: system-deps $(BIN)/voxroom
	$(BIN)/voxroom

test: system-deps-test $(BIN)/voxroom
	scripts/run-tests.sh

lint: $(BIN)/voxroom
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: system-deps-test $(BIN)/voxroom
	scripts/run-bench.sh

system-deps:
	scripts/apt-install.sh runtime

system-deps-test:
	scripts/apt-install.sh test

venv: $(BIN)/voxroom

$(BIN)/voxroom: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
