# syntax=docker/dockerfile:1
# Coherence: one image for the web, worker and beat roles (see docker/entrypoint.sh).
#   docker build -t coherence .
#   docker run --rm -e SECRET_KEY=... -e ALLOWED_HOSTS=... -p 8000:8000 coherence [web|worker|beat]
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# System libraries:
# - WeasyPrint 70: Pango (+ FreeType backend), HarfBuzz subsetting, fonts, MIME database
# - chromium: headless browser that kaleido drives to export Plotly charts as SVG
# - postgresql-client: pg_dump and pg_restore (15) for `manage.py backup` / `restore`
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
        fonts-dejavu-core \
        shared-mime-info \
        chromium \
        postgresql-client \
    && rm -rf /var/lib/apt/lists/*

# Unprivileged runtime user with a writable home (fontconfig and Chromium keep caches there).
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /home/app --create-home \
        --shell /usr/sbin/nologin app

WORKDIR /app

# Runtime dependencies only (no requirements-dev.txt); a separate layer so code edits reuse it.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .
COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/coherence-entrypoint

# Static files and message catalogues are built into the image. Settings refuse DEBUG=0 without
# SECRET_KEY and ALLOWED_HOSTS, so this RUN line alone gets throwaway values; they are not kept
# in the image.
ENV DEBUG=0 \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/data/media
RUN SECRET_KEY=build-time-only-dummy-secret-key-not-used-at-runtime-0123456789 \
    ALLOWED_HOSTS=localhost \
    sh -c 'python manage.py collectstatic --noinput -v1 \
        && pybabel compile -d locale -D django' \
    && mkdir -p /app/var /data/media \
    && chown app:app /app/var /data/media

USER app

EXPOSE 8000

# Host header: the first ALLOWED_HOSTS entry (Django rejects 127.0.0.1 unless listed).
# X-Forwarded-Proto: https, so SECURE_SSL_REDIRECT does not answer the probe with a redirect.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; h = (os.environ.get('ALLOWED_HOSTS') or 'localhost').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; r = u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h, 'X-Forwarded-Proto': 'https'}), timeout=4); raise SystemExit(0 if r.status == 200 else 1)"]

ENTRYPOINT ["coherence-entrypoint"]
CMD ["web"]
