# `make run` and `make test` work on a fresh clone: they create .venv and install requirements.lock first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench messages demo totp clean

$(STAMP): requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py regions_load --if-empty
	$(PY) manage.py demo_seed
	bash scripts/run.sh

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(PY) manage.py makemigrations --check --dry-run --settings=config.settings.test
	$(BIN)/pytest -n $${PYTEST_WORKERS:-2} --dist loadgroup

bench: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bpu_bench} $(PY) bench/run.py

messages: $(STAMP)
	$(PY) manage.py makemessages -l id -l en --ignore=.venv --ignore=tests --ignore=bench
	$(PY) manage.py compilemessages --ignore=.venv

states: $(STAMP)
	$(PY) scripts/states_doc.py
	$(PY) scripts/rules_doc.py

totp: $(STAMP)
	$(PY) manage.py demo_totp_code $(or $(USER_NAME),admin)

clean:
	rm -rf $(VENV) var staticfiles
