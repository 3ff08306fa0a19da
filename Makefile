# OpenPractice: `make run` for the demo practice, `make test` for everything. Both set themselves up.
VENV ?= .venv
PY := $(VENV)/bin/python
OP := $(VENV)/bin/openpractice
UV_VERSION := 0.13.9
PYTHON ?= python3
TEST_ENV := DJANGO_SETTINGS_MODULE=config.settings.test
# pytest-xdist workers: one per core by default; PYTEST_WORKERS=0 runs in one process (easier to debug).
PYTEST_WORKERS ?= auto

.PHONY: install run test lint typecheck migrations-check contracts pytest browser-deps mail-deps bench clean

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv pip sync --quiet --python $(PY) requirements.lock
	$(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps -e .
	@touch $@

install: $(VENV)/.installed

run: install
	OPENPRACTICE_DEMO=1 DJANGO_DEBUG=1 $(OP) migrate --noinput
	OPENPRACTICE_DEMO=1 DJANGO_DEBUG=1 $(OP) demo --if-empty
	OPENPRACTICE_DEMO=1 DJANGO_DEBUG=1 $(OP) serve

lint: install
	$(VENV)/bin/ruff check .

typecheck: install
	$(TEST_ENV) $(VENV)/bin/mypy openpractice config

migrations-check: install
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run

contracts: install
	$(VENV)/bin/lint-imports

browser-deps:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Browser tests need Debian's chromium at /usr/bin/chromium: sudo apt-get install chromium" >&2; exit 1; fi; }

# The IMAP tests run against a real dovecot (started by the tests in a temporary directory, never as a service).
mail-deps:
	@test -x /usr/sbin/dovecot || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null; \
	  else echo "IMAP tests need Debian's dovecot at /usr/sbin/dovecot: sudo apt-get install dovecot-imapd" >&2; exit 1; fi; }

pytest: install browser-deps mail-deps
	$(TEST_ENV) $(VENV)/bin/pytest -q -n $(PYTEST_WORKERS) --dist loadgroup

test: lint typecheck migrations-check contracts pytest

bench: install
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) var test-artifacts
