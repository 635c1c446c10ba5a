# Shortcuts for the scripts the README names (they work without make too).
VENV ?= .venv
export VENV

.PHONY: run test lint bench clean

run:
	scripts/run.sh

test:
	scripts/test.sh

lint:
	scripts/bootstrap.sh test && $(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

bench:
	scripts/bootstrap.sh test && scripts/run-bench.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
