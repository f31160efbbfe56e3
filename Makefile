# MemberHub: `make demo` and `make test` are the whole setup. Both go through `make install`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

# Local services: used when reachable, otherwise the embedded defaults (SQLite, in-process tasks).
PG_URL := postgres://postgres@127.0.0.1:5432
PG_UP := $(shell pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && echo yes)
REDIS_UP := $(shell (redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG) && echo yes)

.PHONY: install demo serve test browser-deps lint clean

install: $(STAMP)

# Re-runs only when pyproject.toml changes; torch is pinned there (2.13.0, CPU build on this disk).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

ifeq ($(PG_UP),yes)
test: export DATABASE_URL ?= $(PG_URL)/memberhub
endif
ifeq ($(REDIS_UP),yes)
test: export REDIS_URL ?= redis://127.0.0.1:6379/0
endif

# scripts/demo.sh picks the services itself (environment, else .env, else the local Postgres and
# Redis), creates the database when missing and writes its choice to .env for manage.py run by hand.
# `make demo LANG=zh` loads the Chinese food-delivery shop (load_demo --lang zh, prices in CNY).
# LANG is also the shell's locale variable (en_US.UTF-8 ...): only LANG given on make's command
# line chooses the shop, and the locale handed to the script is then C.UTF-8, not "zh".
ifeq ($(origin LANG),command line)
DEMO_LANG := $(LANG)
demo: override LANG := C.UTF-8
else
DEMO_LANG ?= en
endif
demo: install
	DEMO_LANG=$(DEMO_LANG) bash scripts/demo.sh $(HOST) $(PORT)

# Chromium for the browser tests comes from Debian's packages (never a downloaded browser).
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	      || echo "browser-deps: could not install chromium; browser tests will be skipped"; \
	  else echo "browser-deps: install Debian's chromium and chromium-driver to run browser tests"; fi; \
	fi

# Tests run tasks in-process unless a test starts its own worker (the worker tests do).
test: install browser-deps
	CELERY_TASK_ALWAYS_EAGER=1 $(BIN)/python -m pytest $(PYTEST_ARGS); code=$$?; \
	  if [ $$code = 5 ]; then echo "make test: pytest collected no tests - that is a failure, not a pass"; exit 1; fi; \
	  exit $$code

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
