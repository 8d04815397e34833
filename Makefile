# Coherence: `make run` starts the app in the embedded mode; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Test processes (pytest-xdist): one per core; then the tests that start real processes, one after another.
TEST_WORKERS ?= auto
# Babel compiles the message catalogues (pure Python: no GNU gettext needed); like msgfmt, it leaves
# out fuzzy and untranslated entries, and it fails on a translation whose placeholders differ.
COMPILE_MESSAGES := $(VENV)/bin/pybabel compile -d locale -D django

.PHONY: run setup test lint bench worker messages clean backup restore

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

var:
	mkdir -p var/media var/staticfiles

setup: $(STAMP) var
	$(COMPILE_MESSAGES)
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_catalogue
	$(PY) manage.py seed_demo

run: setup
	@echo
	@echo "Coherence is starting at http://127.0.0.1:8000/  (admin: http://127.0.0.1:8000/admin/)"
	@echo "Embedded mode: SQLite in var/, background tasks run in-process (set REDIS_URL for Celery workers)."
	@echo
	$(PY) manage.py runserver 127.0.0.1:8000

test: $(STAMP) var
	./scripts/system-deps.sh
	$(COMPILE_MESSAGES)
	$(PY) manage.py makemigrations --check --dry-run -v0
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadgroup -m "not processes" --durations=10
	$(VENV)/bin/pytest -m processes --durations=10

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Benchmarks print figures and never fail for being slow; further benches are added here.
bench: setup
	./scripts/bench.sh

# Gather the interface strings into the French and Spanish catalogues (the tests' own strings stay out).
messages: $(STAMP)
	$(PY) manage.py makemessages -l fr -l es -l ar --no-obsolete --ignore=tests --ignore=.venv --ignore=var -v0
	$(COMPILE_MESSAGES)

worker: $(STAMP)
	$(VENV)/bin/celery -A coherence_site worker -l info

# One dated archive of the database and every stored file (operations/backup.py); `make restore ARCHIVE=...` brings it
# back into an empty database and an empty storage, and checks row counts and checksums against its manifest.
backup: $(STAMP)
	$(PY) manage.py backup --output var/backups

restore: $(STAMP)
	@test -n "$(ARCHIVE)" || { echo "usage: make restore ARCHIVE=var/backups/coherence-backup-<date>.tar.gz" >&2; exit 2; }
	$(PY) manage.py restore "$(ARCHIVE)"

clean:
	rm -rf $(VENV) var
