#!/usr/bin/env bash
# Run the benchmarks. They need PostgreSQL for figures that mean something: BENCH_DATABASE_URL
# (default: a coherence_bench database on the local server, created if missing). Without a
# reachable PostgreSQL they run on the embedded SQLite database and say so.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
url="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/coherence_bench}"
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  name="${url##*/}"
  psql "${url%/*}/postgres" -qtc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1 ||
    psql "${url%/*}/postgres" -qc "CREATE DATABASE $name"
  export DATABASE_URL="$url"
  $PY manage.py migrate --noinput -v0
  $PY manage.py load_catalogue -v0
else
  echo "PostgreSQL is not reachable: running on the embedded database; figures are indicative only."
fi
echo "== Reports (issue: scores and PDF reports) =="
$PY manage.py bench_reports
echo "== Dashboard and exports at 1,000 authorities =="
$PY manage.py bench_dashboard
echo "== Improvement plans at 1,000 authorities × 50 actions =="
$PY manage.py bench_plans
echo "== Campaigns: opening one for 1,000 authorities, and its board =="
$PY manage.py bench_campaigns
echo "== A city's data export: peak memory with 1,000 evidence files =="
$PY manage.py bench_export
echo "== The form: a dimension page of 8 indicators and the autosave POST, against their floors =="
$PY manage.py bench_form
echo "== The review queue and the API round list: one page at 100, 1,000 and 5,000 authorities =="
$PY manage.py bench_lists
echo "== Every page a person waits on, at 1,000 and 5,000 authorities (target: <= 300 ms each) =="
$PY manage.py bench_pages
echo "== In the browser: the pages with charts, cold cache, full against partial plotly.js (target: drawn <= 1 s) =="
DEBUG=1 $PY manage.py seed_demo -v0 >/dev/null  # the demo data the pages show (idempotent)
$PY manage.py bench_browser
echo "== Memory: a gunicorn worker's RSS over 10,000 requests; a Celery worker rendering the full report =="
$PY manage.py bench_memory
echo "== Load: 50 officials autosaving (2 s think time) and 5 reviewers browsing for 60 s, gunicorn 4 workers =="
# Exits non-zero when the final answers differ from the last ones the officials sent (a correctness failure).
$PY manage.py bench_load
