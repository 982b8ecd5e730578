# The README's two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint format venv deps dev-deps migrate demo messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.deps

deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps

.env:
	cp .env.example .env

var:
	mkdir -p var/broker/processed var/broker/control var/mail var/media

migrate: deps .env var
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo

## Everything up: web on http://127.0.0.1:$(PORT), a Celery worker and the beat scheduler.
run: demo
	PORT=$(PORT) bin/run-all

## The whole suite: lint, migrations check, then pytest (PostgreSQL, Redis, worker, browser).
test: dev-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_READ_DOT_ENV=false DJANGO_DEBUG=true DJANGO_SECRET_KEY=makemigrations-check DATABASE_URL=sqlite:///:memory: \
		$(BIN)/python manage.py makemigrations --check --dry-run
	@# The suite starts many Python processes (xdist and Celery workers, gunicorn, manage.py): they
	@# share bytecode caches, and pytest keeps its rewritten test modules, even where the
	@# environment turns caches off (PYTHONDONTWRITEBYTECODE, set in some container images).
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n 2 --dist loadgroup --no-loadscope-reorder

lint: dev-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: dev-deps
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Refresh every language's catalogues from the source and compile them (both are committed).
MESSAGES_OPTS := --all --no-location --no-obsolete --ignore=.venv --ignore=var --ignore=staticfiles --ignore=tests --ignore=benchmarks --ignore=static/vendor
messages: deps .env
	$(BIN)/python manage.py makemessages $(MESSAGES_OPTS)
	$(BIN)/python manage.py makemessages -d djangojs $(MESSAGES_OPTS)
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=var

clean:
	rm -rf var .pytest_cache
