# The two commands of the README: `make run` and `make test`. Both need only Python >= 3.11.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint install

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# .env (written once, cs_platform/localenv.py): DEBUG=1, a SECRET_KEY and the database of this run, so the
# README's later `.venv/bin/python manage.py ...` commands work as typed. PORT= and HOST= choose the address.
run: $(STAMP)
	$(PY) -m cs_platform.localenv
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo
	DEBUG=$${DEBUG:-1} $(PY) manage.py run_all --port $${PORT:-8000} --host $${HOST:-127.0.0.1}

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# Given the DATABASE_URL of a server administrator and no DATABASE_OWNER_URL (CI, a developer's server),
# the tests first create the two roles of row-level security there and run as them (README "Database roles").
test: $(STAMP) lint
	@if [ -n "$$DATABASE_URL" ] && [ -z "$$DATABASE_OWNER_URL" ]; then \
	  eval "$$($(PY) -m cs_platform.db.roles "$$DATABASE_URL")" && $(VENV)/bin/pytest $(PYTEST_ARGS); \
	else \
	  $(VENV)/bin/pytest $(PYTEST_ARGS); \
	fi
