# Roadmap Portal: `make run` serves the demo, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Python's bytecode caches are written even where the environment switches them off
# (PYTHONDONTWRITEBYTECODE): without them every process the suite starts (its workers,
# Celery workers, gunicorn, schemathesis) compiles Django and the test modules again.
unexport PYTHONDONTWRITEBYTECODE
# uv installs the Python packages (the same ones pip would, from PyPI, several times faster).
UV := $(BIN)/uv
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
SCALE ?= small
# pytest-xdist workers, each with its own test database; the suite waits on browsers,
# servers and workers often enough that twice the cores keeps them busy.
TEST_WORKERS ?= 4
# The checks of `make lint`.
LINT := lint-style lint-django lint-migrations lint-layers lint-types

# System packages: "command:Debian package" pairs, checked before anything is installed.
RUN_TOOLS := npm:npm msgfmt:gettext
TEST_TOOLS := $(RUN_TOOLS) chromium:chromium pdftotext:poppler-utils fc-list:fontconfig \
	docker-compose:docker-compose

define require_tools
	@missing=""; for pair in $(1); do command -v "$${pair%%:*}" >/dev/null 2>&1 \
	  || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Missing system packages. Install them with: sudo apt-get install -y$$missing" >&2; \
	  exit 1; fi
endef

.PHONY: run test serial-tests lint $(LINT) install install-dev vendor demo worker beat bench clean messages openapi \
	run-tools test-tools

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv

# What the portal needs to run, and apart from it the test and lint tools.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(UV) pip install --quiet --python $(BIN)/python .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(UV) pip install --quiet --python $(BIN)/python ".[dev]"
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

run-tools:
	$(call require_tools,$(RUN_TOOLS))

test-tools:
	$(call require_tools,$(TEST_TOOLS))
	@test -n "$$(fc-list :lang=ru 2>/dev/null)" || { echo "No font with Cyrillic letters for the PDF reports. Install one with: sudo apt-get install -y fonts-dejavu-core" >&2; exit 1; }
	@tests/services.sh true

static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	rm -rf static/vendor && mkdir -p static/vendor/bootstrap static/vendor/bootstrap-icons
	cp -r node_modules/bootstrap/dist/css node_modules/bootstrap/dist/js static/vendor/bootstrap/
	cp -r node_modules/bootstrap-icons/font/. static/vendor/bootstrap-icons/
	touch $@

vendor: static/vendor/.installed

messages: install
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules -v 0

run: run-tools install vendor messages
	$(MANAGE) migrate --noinput -v 0
	HOST=$(HOST) PORT=$(PORT) $(MANAGE) load_demo
	HOST=$(HOST) PORT=$(PORT) $(MANAGE) runserver $(HOST):$(PORT)

# The checks are independent of each other: `make -j lint` runs them side by side.
lint: $(LINT)

lint-style: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

lint-django: install-dev
	$(MANAGE) check

lint-migrations: install-dev
	$(MANAGE) makemigrations --check --dry-run

lint-layers: install-dev
	$(BIN)/lint-imports

lint-types: install-dev
	$(BIN)/mypy

# PostgreSQL and Redis from DATABASE_URL / CELERY_BROKER_URL, or the local ones (started
# when down, with a role and database of their own): see tests/services.sh.
# The checks and the few tests marked serial (in a process of their own; exit 5: none
# selected) run side by side with the rest of the suite on the xdist workers, which run at
# the lowest CPU priority: the serial tests time worker leases in tenths of a second, and
# the scheduler gives their processes the cores whenever they want them. Their output
# (each target's whole) is printed after the suite's, which ends with the slowest tests.
CHECKS_LOG := test-results/checks.log

test: test-tools install-dev vendor messages
	@mkdir -p test-results
	@echo "make test: the checks and the serial tests run beside the suite; their output follows it ($(CHECKS_LOG))"
	@$(MAKE) --no-print-directory -j 3 --output-sync=target $(LINT) serial-tests \
	  > $(CHECKS_LOG) 2>&1 & checks=$$!; \
	nice -n 19 tests/services.sh $(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup \
	  -m "not serial" --durations=15 $(PYTEST_ARGS); suite=$$?; \
	wait $$checks; checked=$$?; \
	echo; echo "== the checks and the serial tests ($(LINT) serial-tests)"; cat $(CHECKS_LOG); \
	echo "make test: suite exit $$suite, checks and serial tests exit $$checked"; \
	[ $$suite -eq 0 ] && [ $$checked -eq 0 ]

# Only the tests marked serial, once what they need is installed (make test does that first).
serial-tests:
	tests/services.sh sh -c '$(BIN)/pytest -m serial -p no:cacheprovider $(PYTEST_ARGS); \
	  status=$$?; [ $$status -eq 0 ] || [ $$status -eq 5 ] || exit $$status'

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
