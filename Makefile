# The two commands a newcomer needs are `make run` and `make test`; both set up everything first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCALES := kk ru en
MO := $(foreach l,$(LOCALES),locales/$(l)/LC_MESSAGES/messages.mo)

.PHONY: run test check lint format typecheck contracts catalogs catalogs-check extract bench clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

locales/%/LC_MESSAGES/messages.mo: locales/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --statistics -d locales -D messages -l $* 2>&1 | grep -v '^compiling' || true
	@test -f $@

catalogs: $(MO)

# `make run`: migrate the embedded SQLite database and serve the web chat on
# http://127.0.0.1:8080 (KOMEK_* variables configure it; see the README).
run: $(STAMP) catalogs
	$(BIN)/komek params check
	$(BIN)/komek db upgrade
	$(BIN)/komek offices import examples/offices.example.yaml --if-empty
	$(BIN)/komek run

# Hypothesis would load the plugin that trio (Selenium's) registers, which warns at import time
# now and then; warnings are errors in the tests.
test: $(STAMP) catalogs
	HYPOTHESIS_NO_PLUGINS=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

extract: $(STAMP)
	$(BIN)/pybabel extract --no-location --sort-output --omit-header -F babel.cfg -k N_ -k msg -k nmsg:1,2 -k pmsg:1c,2 -o locales/messages.pot .
	$(BIN)/pybabel update --ignore-obsolete --no-fuzzy-matching -w 100 -d locales -D messages -i locales/messages.pot

catalogs-check: $(STAMP)
	$(BIN)/python -m bot.i18n.catalog_check

check: lint typecheck contracts catalogs-check
	$(MAKE) test PYTEST_ARGS="--cov --cov-report=term $(PYTEST_ARGS)"

bench: $(STAMP) catalogs
	$(BIN)/python benchmarks/assess.py
	$(BIN)/python benchmarks/sms_cost.py
	$(BIN)/python -m benchmarks.webhook_load
	$(BIN)/python -m benchmarks.campaign
	$(BIN)/python -m benchmarks.import_latency
	$(BIN)/python -m benchmarks.dashboard
	$(BIN)/python -m benchmarks.inbox
	$(BIN)/python -m benchmarks.stage_notices

clean:
	rm -rf $(VENV) $(MO) .pytest_cache .mypy_cache .ruff_cache .coverage
