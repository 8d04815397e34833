"""Settings for Coherence, read from the environment.

Every value that differs between machines is an environment variable. The defaults are the
embedded mode that ``make run`` uses: DEBUG on, SQLite under ``var/``, tasks run in-process.
Production (``DEBUG=0``) refuses to start without ``SECRET_KEY`` and ``ALLOWED_HOSTS``.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from coherence_site.storage import s3_storage

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated environment variable."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if DEBUG:
    SECRET_KEY = SECRET_KEY or "django-insecure-embedded-mode-only"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]"]
else:
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be set (50+ characters) when DEBUG is off.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# A refused form gets a page in the visitor's language (the survey's own layout under /survey/).
CSRF_FAILURE_VIEW = "coherence_site.errors.csrf_failure"

INSTALLED_APPS = [
    "modeltranslation",  # must precede admin so translated fields show there
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "axes",
    "csp",
    "indicators",
    "assessments",
    "plans",
    "participation",
    "territories",
    "collaboration",
    "programme",
    "notifications",
    "reports",
    "dashboard",
    "outbox",
    "operations",
]

MIDDLEWARE = [
    "coherence_site.middleware.RequestIdMiddleware",  # first: every log record of a request carries its id
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "coherence_site.middleware.ResponseHeadersMiddleware",  # after WhiteNoise: static files stay cacheable
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "coherence_site.middleware.RequestSizeLimitMiddleware",  # before CsrfViewMiddleware reads the body
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "assessments.middleware.RolesMiddleware",  # every role of the user in one query when first asked for
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "coherence_site.urls"
WSGI_APPLICATION = "coherence_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "assessments.context_processors.menu",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'coherence.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded mode serves several requests at once: WAL lets readers run beside the writer,
    # IMMEDIATE takes the write lock when a transaction starts (a deferred one that later writes
    # fails at once with "database is locked"), and the timeout makes writers queue for it.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # The same timeouts as the broker's: a hung Redis must not hold a web worker.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_timeout": 1.5, "socket_connect_timeout": 1.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: a Redis broker when REDIS_URL is set; otherwise tasks run in-process (embedded mode).
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "300"))
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
# A broker that is down or hung costs a request a few seconds, never a web worker: connect and
# socket timeouts, and one retry of a publish (which also reconnects after a broker restart); a
# hung broker costs about three timeouts. A publish that still fails leaves its row queued, and
# beat or the next request sends it again.
CELERY_BROKER_CONNECTION_TIMEOUT = float(os.environ.get("CELERY_BROKER_TIMEOUT", "1.5"))
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_TASK_TIME_LIMIT * 2,
    "socket_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_keepalive": True,
}
CELERY_TASK_PUBLISH_RETRY = True
# After a refused publish, a process sends nothing to the broker for this long (see celery.publish).
CELERY_PUBLISH_PAUSE_SECONDS = float(os.environ.get("CELERY_PUBLISH_PAUSE_SECONDS", "30"))
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BEAT_SCHEDULE = {
    "sweep-stale-report-jobs": {"task": "reports.tasks.sweep_stale_reports", "schedule": 60.0},
    "send-unsent-mails": {"task": "outbox.tasks.send_unsent_mails", "schedule": 60.0},
    # Idempotent (one reminder per round, threshold and due date): running it often only makes it timely.
    "send-reminders": {"task": "notifications.tasks.send_reminders", "schedule": 3600.0},
    "send-daily-digests": {"task": "notifications.tasks.send_digests", "schedule": crontab(hour=6, minute=0)},
}
# A report job pending (sent, not taken up) or running after this many seconds is marked failed.
REPORT_STALE_SECONDS = int(os.environ.get("REPORT_STALE_SECONDS", str(CELERY_TASK_TIME_LIMIT * 3)))
# While it renders, the worker writes a heartbeat on its job this often; a running job whose
# heartbeat is older than REPORT_HEARTBEAT_TIMEOUT lost its worker and is failed, to be asked again.
REPORT_HEARTBEAT_SECONDS = float(os.environ.get("REPORT_HEARTBEAT_SECONDS", "15"))
REPORT_HEARTBEAT_TIMEOUT = float(os.environ.get("REPORT_HEARTBEAT_TIMEOUT", "90"))

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "methodology"

# Login throttling: lock a username+address pair after five failures for one hour.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Behind a TLS proxy every request comes from the proxy's address: with TRUSTED_PROXY_COUNT set to
# the number of proxies in front of the app, the client's address is read from X-Forwarded-For
# (see coherence_site.http.client_ip). 0 (the default) uses REMOTE_ADDR and ignores the header.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "coherence_site.http.client_ip"
# Password reset requests allowed per client address and per e-mail address in an hour.
PASSWORD_RESET_LIMIT_PER_HOUR = int(os.environ.get("PASSWORD_RESET_LIMIT_PER_HOUR", "5"))
# Answers a perception survey takes in a minute: from all its respondents, and from one respondent
# session (counted in the cache, by survey and by session, never by address).
SURVEY_RATE_LIMIT = int(os.environ.get("SURVEY_RATE_LIMIT", "120"))
SURVEY_SESSION_RATE_LIMIT = int(os.environ.get("SURVEY_SESSION_RATE_LIMIT", "10"))

LANGUAGE_CODE = "en"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("es", _("Spanish")), ("ar", _("Arabic"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"  # never served directly: files go through permission-checked views
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Object storage: with AWS_STORAGE_BUCKET_NAME set, evidence, reports and every other stored file go to that
# S3-compatible bucket (private; downloads stream through the permission-checked views), so that web hosts and
# workers share nothing but the bucket. Without it, files stay under MEDIA_ROOT.
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = s3_storage(os.environ)

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")  # for links in mails
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Coherence <noreply@localhost>")

# Evidence uploads: size limit in bytes (10 MB).
EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_BYTES", str(10 * 1024 * 1024)))
# Invitations (programme/invitations.py): how long a link to set one's password works (14 days).
INVITATION_TIMEOUT = int(os.environ.get("INVITATION_TIMEOUT", str(14 * 24 * 3600)))
# Offline workbooks (collaboration/workbook.py): refused above this size before they are opened (5 MB;
# EVIDENCE_MAX_BYTES above caps every upload anyway).
WORKBOOK_MAX_BYTES = int(os.environ.get("WORKBOOK_MAX_BYTES", str(5 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6 behaviour now: a link typed without a scheme is https
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# A body larger than EVIDENCE_MAX_BYTES (plus its form fields) is refused with a 413 from its
# Content-Length before it is read; files are not read past EVIDENCE_MAX_BYTES whatever it said.
FILE_UPLOAD_HANDLERS = [
    "coherence_site.http.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# JSON API (/api/v1/): read-only, session or token authentication, paginated.
REST_FRAMEWORK = {
    # Token first: DRF answers a request without credentials with the first class's challenge, so
    # it gets 401 with "WWW-Authenticate: Token"; Session first would give 403, with no challenge.
    # 403 stays for credentials without the right (a session's write without its CSRF token).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "coherence_site.pagination.ApiPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Coherence API",
    "DESCRIPTION": "Read-only access to the indicator catalogue and to the assessments you may see.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Content-Security-Policy: everything comes from this site; nothing from a CDN.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],  # plotly.js sets inline styles on its SVG
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # A load balancer or orchestrator probes the hosts over plain HTTP: the probes answer, not redirect.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# LOG_FORMAT=json: one JSON object a line with the request's id (coherence_site/logs.py), for a log collector;
# gunicorn's own and access logs follow (coherence_site/gunicorn_logging.py). "text", the default, is plain text.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower() or "text"
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be text or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A survey's token is the key to its link: Django logs each 4xx and refused request with its
    # path, so these loggers (and the console, for any other) show /survey/… instead.
    "filters": {
        "survey_tokens": {"()": "coherence_site.logs.SurveyTokenFilter"},
        "request_id": {"()": "coherence_site.logs.RequestIdFilter"},
    },
    "formatters": {"json": {"()": "coherence_site.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id", "survey_tokens"],
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"filters": ["survey_tokens"]},
        "django.security": {"filters": ["survey_tokens"]},
        "django.security.csrf": {"filters": ["survey_tokens"]},
        "axes": {"level": "WARNING"},
        # WeasyPrint reports every SVG property it ignores; kaleido narrates each export.
        "weasyprint": {"level": "ERROR"},
        "kaleido": {"level": "WARNING"},
        "choreographer": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
