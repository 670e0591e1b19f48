# fanbot: `make run` to start the bot, `make test` for the whole suite. See README.md.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: install run migrate test lint format bench bench-ab chaos locales sandbox clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

run: install  ## migrate the database, then run the bot (needs BOT_TOKEN)
	$(VENV)/bin/fanbot run

migrate: install
	$(VENV)/bin/fanbot migrate

test: install  ## the suite on SQLite and PostgreSQL, with Redis; installs both when missing
	bash scripts/test.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -p no:cacheprovider tests/unit/test_layers.py

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install  ## every hot-path workload against bare aiogram; DB=<postgres url> for PostgreSQL
	$(PY) -m bench.all $(DB)

bench-ab: install  ## the same workloads on this checkout and OLD=<commit>, alternated in one run
	$(PY) -m bench.ab $(OLD) $(or $(ROUNDS),2) $(DB)

chaos: install  ## 1, 2, 3 webhook workers behind nginx under load and faults (starts PostgreSQL and Redis)
	bash scripts/chaos.sh

locales: install  ## re-extract messages into the zh and en catalogues
	$(VENV)/bin/pybabel extract -F babel.cfg -k _ -k __ -k gettext -k lazy_gettext \
		--no-location --omit-header -o locales/messages.pot bot infrastructure handlers services scheduler views workflows web
	$(VENV)/bin/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching \
		--ignore-obsolete --width 100
	@rm -f locales/messages.pot

sandbox: install  ## try the bot offline: a local Bot API and a terminal to talk in
	$(VENV)/bin/fanbot sandbox

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
