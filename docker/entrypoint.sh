#!/bin/sh
# Entrypoint for the Coherence image: one image, three roles.
#   web     apply migrations, then serve with gunicorn on :8000
#   worker  Celery worker (scale with `docker compose up --scale worker=N`)
#   beat    Celery beat (run exactly one)
# Anything else is executed as given, e.g. `python manage.py createsuperuser`.
# Extra arguments after a role are passed on, e.g. `web --timeout 60`.
set -eu

if [ "$#" -eq 0 ]; then
    set -- web
fi

role="$1"
case "$role" in
    web)
        shift
        python manage.py migrate --noinput
        exec gunicorn coherence_site.wsgi:application \
            --bind 0.0.0.0:8000 \
            --workers "${WEB_CONCURRENCY:-3}" \
            --access-logfile - \
            --logger-class coherence_site.gunicorn_logging.PrivateAccessLogger \
            "$@"
        ;;
    worker)
        shift
        exec celery -A coherence_site worker -l info \
            --concurrency "${CELERY_CONCURRENCY:-2}" \
            "$@"
        ;;
    beat)
        shift
        exec celery -A coherence_site beat -l info \
            --schedule /tmp/celerybeat-schedule \
            "$@"
        ;;
    *)
        exec "$@"
        ;;
esac
