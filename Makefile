# Roadmap Portal: `make run` serves the demo, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
SCALE ?= small

.PHONY: run test lint install vendor demo worker beat bench clean messages openapi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet ".[dev]"
	touch $@

install: $(VENV)/.installed

static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	rm -rf static/vendor && mkdir -p static/vendor/bootstrap static/vendor/bootstrap-icons
	cp -r node_modules/bootstrap/dist/css node_modules/bootstrap/dist/js static/vendor/bootstrap/
	cp -r node_modules/bootstrap-icons/font/. static/vendor/bootstrap-icons/
	touch $@

vendor: static/vendor/.installed

messages: install
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules -v 0

run: install vendor messages
	$(MANAGE) migrate --noinput -v 0
	$(MANAGE) load_demo
	$(MANAGE) runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run

test: install vendor messages lint
	$(BIN)/pytest $(PYTEST_ARGS)

worker: install
	$(BIN)/celery -A roadmap_portal worker -l info

beat: install
	$(BIN)/celery -A roadmap_portal beat -l info

openapi: install
	DATABASE_URL=postgres://schema@127.0.0.1:5432/schema $(MANAGE) spectacular --lang en --file openapi.yaml --validate

bench: install vendor
	$(BIN)/python benchmarks/run.py --scale $(SCALE)

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles
