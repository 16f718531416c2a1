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

# Apache Spark (the extra jenjang[spark], about 450 MB) for the national jobs: the tests, the
# linters and the benchmarks need it; the demo does not, so a newcomer's first run skips it.
SPARK_STAMP := $(VENV)/.spark-stamp
$(SPARK_STAMP): $(STAMP)
	@echo "== installing pyspark (jenjang[spark], about a minute) =="
	$(BIN)/pip install --quiet -e ".[dev,spark]"
	touch $(SPARK_STAMP)

# Each step says what it does and how long it took on 2 cores (docs/benchmarks.md); the steps
# already done (dataset, ingest of the same files, champions, the day's answers) are skipped.
DB_FILE := data/jenjang.db

demo: $(STAMP)
	@test -f $(DATASET)/employees.parquet || { \
		echo "== generating the Gorontalo dataset (about 30 s) =="; \
		$(BIN)/jenjang data generate --scale province --seed $(SEED) --out $(DATASET); }
	@test $(DB_FILE) -nt $(DATASET)/employees.parquet || { \
		echo "== ingesting it into SQLite (about 45 s) =="; \
		$(BIN)/jenjang data ingest $(DATASET); }
	$(BIN)/jenjang data summary
	@$(BIN)/jenjang models status training-recs > /dev/null 2>&1 || { \
		echo "== training the training recommender (about 2 min; each stage shows its time) =="; \
		$(BIN)/jenjang train training-recs --truth $(DATASET) && \
		$(BIN)/jenjang models promote training-recs --truth $(DATASET) \
			--reason "first champion of the demo"; }
	$(BIN)/jenjang models status training-recs
	@$(BIN)/jenjang models status placement-success > /dev/null 2>&1 || { \
		echo "== training the placement model (under a minute) =="; \
		$(BIN)/jenjang train placements --truth $(DATASET) && \
		$(BIN)/jenjang models promote placement-success --truth $(DATASET) \
			--reason "first champion of the demo"; }
	$(BIN)/jenjang models status placement-success
	@echo "== the answers of the data's extraction date for everyone (jenjang score; skipped if written) =="
	$(BIN)/jenjang score
	$(BIN)/jenjang users demo
	@echo "== starting the service (ready in seconds; the address follows when it listens) =="
	JENJANG_LOG_FORMAT=text $(BIN)/jenjang serve --host 127.0.0.1 --port $(PORT)

test: $(SPARK_STAMP) chromium
	$(BIN)/pytest

# The browser tests drive Debian's chromium (/usr/bin/chromium); no browser is downloaded.
chromium:
	@test -x /usr/bin/chromium || { \
		apt=$$([ "$$(id -u)" = 0 ] || echo sudo) && \
		{ $$apt apt-get install -y -q chromium \
		|| { $$apt apt-get update -q && $$apt apt-get install -y -q chromium; }; }; }

bench: $(SPARK_STAMP)
	@command -v wrk > /dev/null || apt-get install -y -q wrk  # the load test's client (Debian)
	$(BIN)/python -m bench.run

lint: $(SPARK_STAMP)
	$(BIN)/ruff check features training service tests bench
	$(BIN)/ruff format --check features training service tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
