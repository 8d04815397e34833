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
