# The README's two commands: `make demo` runs the product, `make test` runs the test suite.
# Both create and use .venv themselves. `make bench` runs the benchmarks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SEED ?= 42
DATASET ?= data/generated/province-seed$(SEED)
PORT ?= 8000

.PHONY: demo test bench lint clean chromium

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	@test -f $(DATASET)/employees.parquet || $(BIN)/jenjang data generate --scale province --seed $(SEED) --out $(DATASET)
	$(BIN)/jenjang data ingest $(DATASET)
	$(BIN)/jenjang data summary
	@$(BIN)/jenjang models status training-recs > /dev/null 2>&1 || { \
		$(BIN)/jenjang train training-recs --truth $(DATASET) && \
		$(BIN)/jenjang models promote training-recs --truth $(DATASET) \
			--reason "first champion of the demo"; }
	$(BIN)/jenjang models status training-recs
	@$(BIN)/jenjang models status placement-success > /dev/null 2>&1 || { \
		$(BIN)/jenjang train placements --truth $(DATASET) && \
		$(BIN)/jenjang models promote placement-success --truth $(DATASET) \
			--reason "first champion of the demo"; }
	$(BIN)/jenjang models status placement-success
	@echo "== precomputing today's answers of the champions (jenjang score) =="
	$(BIN)/jenjang score
	$(BIN)/jenjang users demo
	$(BIN)/jenjang serve --host 127.0.0.1 --port $(PORT)

test: $(STAMP) chromium
	$(BIN)/pytest

# The browser tests drive Debian's chromium (/usr/bin/chromium); no browser is downloaded.
chromium:
	@test -x /usr/bin/chromium || { \
		apt=$$([ "$$(id -u)" = 0 ] || echo sudo) && \
		{ $$apt apt-get install -y -q chromium \
		|| { $$apt apt-get update -q && $$apt apt-get install -y -q chromium; }; }; }

bench: $(STAMP)
	@command -v wrk > /dev/null || apt-get install -y -q wrk  # the load test's client (Debian)
	$(BIN)/python -m bench.run

lint: $(STAMP)
	$(BIN)/ruff check features training service tests bench
	$(BIN)/ruff format --check features training service tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
