# Two commands do everything: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app

.PHONY: run test bench install install-test compile-catalogs catalogs lint system-deps clean

$(BIN)/python:
	PYTHON=$(PYTHON) scripts/system-deps.sh venv pdf
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The lock file pins every package, so an install is reproducible.
$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml requirements.lock
	$(BIN)/python -m pip install --quiet -c requirements.lock -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: system-deps $(VENV)/.installed-test node_modules/axe-core/axe.min.js

node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

# Chromium, the PostgreSQL server, npm and WeasyPrint's libraries, from Debian's packages
# when missing.
system-deps:
	scripts/system-deps.sh test pdf

compile-catalogs: install
	$(BIN)/pybabel compile --statistics -d translations 2>&1 | grep -v '^compiling' || true
	@test -f translations/es/LC_MESSAGES/messages.mo && test -f translations/en/LC_MESSAGES/messages.mo

# Re-extract marked strings and merge them into both catalogs (a developer's step).
catalogs: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -k lazy_ngettext:1,2 --no-location --sort-output \
		--project=cocrea -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/python scripts/fill_english.py translations/en/LC_MESSAGES/messages.po

instance/secret_key: | $(BIN)/python
	mkdir -p instance
	$(BIN)/python -c "import secrets; print(secrets.token_hex(32))" > $@
	chmod 600 $@

run: install compile-catalogs instance/secret_key
	$(BIN)/flask db upgrade
	$(BIN)/flask demo
	@echo "Serving on http://127.0.0.1:5000 (Ctrl+C stops it)"
	$(BIN)/flask run --host 127.0.0.1 --port 5000

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install-test compile-catalogs lint
	scripts/run-tests.sh

# Every main page under load beside bare Flask, on SQLite then PostgreSQL (docs/development.md).
# BENCH_ARGS="--contributions 20000 --participants 2000 --duration 3" for a quick look.
bench: install compile-catalogs
	scripts/system-deps.sh bench
	$(BIN)/python bench/pages.py $(BENCH_ARGS)
	scripts/with-postgres.sh $(BIN)/python bench/pages.py --engine postgresql $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	find translations -name '*.mo' -delete
