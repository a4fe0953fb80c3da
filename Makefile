# Relationship Warehouse — every command a user or CI needs.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON_BOOT ?= python3
VENV        := .venv
BIN         := $(VENV)/bin
UV_VERSION  := 0.13.8
SEED        ?= 42
PROFILE     ?= demo

export DBT_PROFILES_DIR := $(CURDIR)/profiles
export DBT_PROJECT_DIR  := $(CURDIR)
export RAW_DATA_DIR     ?= $(CURDIR)/data/raw
export WAREHOUSE_PATH   ?= $(CURDIR)/data/warehouse.duckdb
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
# Recipes run as in an activated virtualenv: dbt, which dagster-dbt starts by name, is the project's.
export PATH := $(CURDIR)/$(BIN):$(PATH)

DBT := $(BIN)/dbt
# Commands that write the data directory hold its lock (orchestration.lock): a second writer exits naming the
# first, or queues behind it for WAIT seconds (WAIT=-1: as long as it takes).
WAIT        ?= 0
LOCKED      := $(BIN)/python -m orchestration.lock --wait $(WAIT) --

.PHONY: help run test test-fast env env-dev env-spark test-spark simulate check-landing build lint dbt-test pytest bench dev docs clean metrics bi bi-env test-bi chromium

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/.installed: requirements.lock pyproject.toml
	$(PYTHON_BOOT) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	touch $@

env: $(BIN)/.installed  ## create the Python environment from the lock file (the runtime: what `make run` needs)

# Tests and linters (pyproject's `dev` extra), pinned with the runtime in requirements-dev.lock.
$(BIN)/.installed-dev: requirements-dev.lock $(BIN)/.installed
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements-dev.lock
	touch $@

env-dev: $(BIN)/.installed-dev  ## the environment plus the dev tools (pytest, pytest-xdist, ruff, sqlfluff)

# Apache Spark (dbt-spark's local session, pyspark, Java 17) in its own virtualenv with the runtime and dev tools,
# pinned in requirements-spark.lock (pyproject's `spark` extra): the default environment stays without Spark.
SPARK_VENV := .venv-spark
SPARK_BIN  := $(SPARK_VENV)/bin

$(SPARK_BIN)/.installed: requirements-spark.lock
	$(PYTHON_BOOT) -m venv $(SPARK_VENV)
	$(SPARK_BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(SPARK_BIN)/uv pip install --quiet --python $(SPARK_BIN)/python -r requirements-spark.lock
	touch $@

env-spark: $(SPARK_BIN)/.installed  ## the Spark environment (.venv-spark): dbt-spark, pyspark, the runtime and dev tools

# Spark parity: the ci landing with faults built on Spark (dbt-spark's local session) in two increments - every
# month but the newest, then the newest month's files - and on DuckDB at once, then every mart, export, staging and
# intermediate table compared (orchestration.spark_parity). Everything lives under data/spark-test/.
SPARK_TEST_DIR := $(CURDIR)/data/spark-test
# What dbt runs on Spark over the whole landing: models, seeds and data tests (the first increment's build runs the
# unit tests, but for the one tagged fails_on_spark, a Spark bug).
SPARK_DBT_COMMAND ?= build --exclude test_type:unit
SPARK_TEST_ENV := RAW_DATA_DIR=$(SPARK_TEST_DIR)/raw SPARK_WAREHOUSE_DIR=$(SPARK_TEST_DIR)/spark SPARK_LOCAL_IP=127.0.0.1 \
	WAREHOUSE_PATH=$(SPARK_TEST_DIR)/duckdb.duckdb
SPARK_TEST_DBT := $(SPARK_TEST_ENV) DBT_TARGET=spark $(SPARK_BIN)/dbt
SPARK_TEST_PATHS := --target-path $(SPARK_TEST_DIR)/target-spark --log-path $(SPARK_TEST_DIR)/logs-spark

test-spark: env-spark  ## build the ci landing (faults) on Spark, in two increments, and on DuckDB; prove every table equal
	rm -rf $(SPARK_TEST_DIR)
	$(SPARK_BIN)/python -m simulator --profile ci --seed $(SEED) --faults --out $(SPARK_TEST_DIR)/simulated --no-progress
	$(SPARK_BIN)/python -m orchestration.spark_parity land $(SPARK_TEST_DIR)/simulated/raw $(SPARK_TEST_DIR)/raw \
		--hold-back-last-month
	$(SPARK_TEST_DBT) build --exclude test_type:data tag:fails_on_spark $(SPARK_TEST_PATHS)
	$(SPARK_BIN)/python -m orchestration.spark_parity land $(SPARK_TEST_DIR)/simulated/raw $(SPARK_TEST_DIR)/raw
	$(SPARK_TEST_ENV) $(SPARK_BIN)/python -m orchestration.landing check
	$(SPARK_TEST_ENV) DBT_TARGET=duckdb $(SPARK_BIN)/dbt build --exclude test_type:unit \
		--target-path $(SPARK_TEST_DIR)/target-duckdb --log-path $(SPARK_TEST_DIR)/logs-duckdb
	$(SPARK_TEST_DBT) $(SPARK_DBT_COMMAND) $(SPARK_TEST_PATHS)
	$(SPARK_BIN)/python -m orchestration.spark_parity --duckdb $(SPARK_TEST_DIR)/duckdb.duckdb \
		--spark-warehouse $(SPARK_TEST_DIR)/spark/warehouse --manifest $(SPARK_TEST_DIR)/target-duckdb/manifest.json

simulate: env  ## simulate the source systems (PROFILE=ci|demo|large, SEED=N, FAULTS=1, SYSTEMS=shop,mdm,reference)
	$(LOCKED) $(BIN)/python -m simulator --profile $(PROFILE) --seed $(SEED) --out data $(if $(FAULTS),--faults,) \
		$(if $(SYSTEMS),--systems $(SYSTEMS),)

check-landing: env  ## list every problem of the landing (RAW_DATA_DIR) in one report; exit 1 if any
	$(BIN)/python -m orchestration.landing check

# Check the landing, restart the build warehouse unless the landing appends to the one it was built from
# (one line says which), build, and record the landing as built — all under the data directory's lock.
define dbt_build
	$(LOCKED) $(SHELL) $(.SHELLFLAGS) '$(BIN)/python -m orchestration.landing prepare && $(DBT) build --fail-fast \
		&& $(BIN)/python -m orchestration.landing record'
endef

build: env  ## check the landing, then build the warehouse from data/raw into data/warehouse.duckdb
	$(dbt_build)
	$(BIN)/python -m orchestration.summary

export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

run: env  ## the whole job through Dagster: simulate demo → dbt build → GX audit → publish → dealer extracts (WAIT=N)
	$(BIN)/python -m orchestration.run --simulate demo --seed $(SEED) --wait $(WAIT)

metrics: env  ## headline metrics (MetricFlow) from a copy of the serving file (`make run` first if none); MF='query …'
	@test -e "$${SERVING_DIR:-data/serving}/current.duckdb" || { echo "Nothing published yet: make run first."; \
		$(MAKE) run; }
	$(BIN)/python -m orchestration.metrics $(MF)

dev: env  ## start the Dagster UI (dagster dev) on http://127.0.0.1:3000
	$(BIN)/python -m orchestration.run --instance-only
	$(BIN)/dagster dev -h 127.0.0.1 -p 3000

test: env-dev  ## simulate ci with faults, then dbt build (models, seeds, data and unit tests), pytest, sqlfluff, ruff
	$(MAKE) simulate PROFILE=ci FAULTS=1
	$(dbt_build)
	$(BIN)/pytest -q -n 2 --dist loadfile --no-loadscope-reorder --durations=10
	$(MAKE) lint

FAST_DIR := $(CURDIR)/data/fast
SQL_DIRS := models tests/singular macros
# The SQL files that differ from main (committed on this branch, changed or new in the work tree; from
# origin/main in a clone, or from HEAD when neither exists): what `make test-fast` lints.
LINT_BASE = $(shell git merge-base HEAD main 2>/dev/null || git merge-base HEAD origin/main 2>/dev/null || echo HEAD)
CHANGED_SQL = $(sort $(filter %.sql,$(shell git diff --name-only --diff-filter=d $(LINT_BASE) -- $(SQL_DIRS); \
	git ls-files --others --exclude-standard -- $(SQL_DIRS))))

test-fast: env-dev  ## inner loop (a few minutes): dbt unit tests on an empty-schema build, pytest without builds, lint of what changed
	rm -rf $(FAST_DIR)
	$(BIN)/python -m simulator --profile ci --seed $(SEED) --out $(FAST_DIR) > /dev/null
	RAW_DATA_DIR=$(FAST_DIR)/raw WAREHOUSE_PATH=$(FAST_DIR)/warehouse.duckdb \
		$(DBT) build --empty --exclude test_type:data --quiet
	# with the build's profile, so the tests that parse the project re-use its parse (partial parsing)
	RAW_DATA_DIR=$(FAST_DIR)/raw WAREHOUSE_PATH=$(FAST_DIR)/warehouse.duckdb $(BIN)/pytest -q -n 2 -m "not build"
	$(MAKE) lint SQL="$(or $(CHANGED_SQL),none)"

# SQL=<files> lints only those (SQL=none: none); `make test` and `make lint` lint every SQL file.
SQL ?= $(SQL_DIRS)

lint: env-dev  ## sqlfluff (dbt templater) and ruff
	$(BIN)/ruff check simulator orchestration tests/python bi
	$(if $(filter none,$(SQL)),@echo "sqlfluff: no SQL file differs from main",\
		$(BIN)/sqlfluff lint $(SQL) --disable-progress-bar --processes 2)

bench: env  ## full and new-day incremental builds of large against the floor script (slow; BENCH='--profile demo')
	$(BIN)/python -m orchestration.bench $(BENCH)

docs: env  ## generate dbt docs into target/
	$(DBT) docs generate

clean:  ## remove generated data and build artefacts (keeps the environment)
	rm -rf data target logs

# --- BI: Apache Superset in its own virtualenv (.venv-bi, from bi/requirements.lock), over the serving file ---
BI_VENV := .venv-bi
BI_BIN  := $(BI_VENV)/bin
BI_PORT ?= 8088
SERVING := data/serving/current.duckdb
SUDO    := $(if $(filter 0,$(shell id -u)),,sudo)

$(BI_BIN)/.installed: bi/requirements.lock
	$(PYTHON_BOOT) -m venv $(BI_VENV)
	$(BI_BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BI_BIN)/uv pip install --quiet --python $(BI_BIN)/python -r bi/requirements.lock
	touch $@

bi-env: $(BI_BIN)/.installed  ## create Superset's virtualenv (.venv-bi) from bi/requirements.lock

bi: env bi-env  ## Superset on http://127.0.0.1:8088 (BI_PORT): dashboards per domain over the serving file (runs `make run` first if nothing is published)
	@if [ ! -e $(SERVING) ]; then echo "Nothing published yet: running the whole job first (make run)."; $(MAKE) run; fi
	$(BI_BIN)/python bi/provision.py --serving $(SERVING)
	$(BI_BIN)/python bi/server.py --port $(BI_PORT)

chromium:  # Debian's chromium and chromedriver for the browser test, installed when missing
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
			chromium chromium-driver >/dev/null; fi

test-bi: env bi-env chromium  ## browser test: Superset's dashboards and a dealer page in headless Chromium (screenshots in data/bi/screenshots)
	@if [ ! -e $(WAREHOUSE_PATH) ]; then $(MAKE) simulate PROFILE=ci FAULTS=1 && $(MAKE) build; fi
	$(BIN)/python bi/publish_built.py --warehouse $(WAREHOUSE_PATH)
	$(BI_BIN)/python bi/provision.py --serving $(SERVING)
	$(BI_BIN)/pytest -q -p no:cacheprovider bi/tests
