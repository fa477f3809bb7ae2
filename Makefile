# s3sleuth: the two commands a new user needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_STORE := .s3sleuth-demo

.PHONY: demo test lint bench samples clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# The demo needs only the core package (no Spark, browser or test tools).
$(VENV)/.demo: pyproject.toml $(BIN)/activate
	$(BIN)/pip install --quiet -e .
	touch $@

## demo: set up, ingest the bundled sample logs, and print the diagnoses
demo: $(VENV)/.demo
	rm -rf $(DEMO_STORE)
	$(BIN)/s3sleuth demo --store $(DEMO_STORE)

## test: set up and run every test, with lint and type checks
test: $(VENV)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

## bench: the ingest, store and JSON benchmarks (data generated once into bench/data)
bench: $(VENV)/.installed
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_store.py
	$(BIN)/python bench/bench_json.py

## samples: regenerate the bundled sample logs
samples: $(VENV)/.installed
	$(BIN)/python -m s3sleuth.samples

clean:
	rm -rf $(VENV) $(DEMO_STORE) .s3sleuth build dist src/*.egg-info
