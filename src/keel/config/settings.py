"""Keel settings: read once from the environment (12-factor).

Every knob is a ``KEEL_*`` variable or ``DATABASE_URL``; the defaults give the
embedded profile (SQLite under ``var/``, database task queue, everything in one ``keel serve``).
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = Path(os.environ.get("KEEL_HOME", Path.cwd()))
VAR_DIR = Path(os.environ.get("KEEL_VAR_DIR", PROJECT_DIR / "var"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = _env_bool("KEEL_DEBUG", False)
# The embedded profile runs on a laptop out of the box; production sets its own secret.
SECRET_KEY = os.environ.get("KEEL_SECRET_KEY", "keel-embedded-profile-insecure-secret-change-me")
ALLOWED_HOSTS = _env_list("KEEL_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = _env_list("KEEL_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "keel.config.admin_app.KeelAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    # Only for its static files: the API docs page then serves Swagger UI from Keel, not a CDN.
    "ninja",
    "keel.lib",
    "keel.audit",
    "keel.accounts",
    "keel.idempotency",
    "keel.cmdb",
    "keel.activity",
    "keel.sla",
    "keel.routing",
    "keel.escalation",
    "keel.notifications",
    "keel.oncall",
    "keel.incidents",
    "keel.scheduler",
    "keel.reporting",
    "keel.integrations",
    "keel.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "keel.lib.failures.FailureAnswersMiddleware",
    "keel.lib.middleware.RequestLimitsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "keel.lib.middleware.SessionActivityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "keel.lib.middleware.UserTimeZoneMiddleware",
    "keel.lib.middleware.DoorMiddleware",
]

ROOT_URLCONF = "keel.config.urls"
WSGI_APPLICATION = "keel.config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "incidents:queue"
LOGOUT_REDIRECT_URL = "accounts:sign-in"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


# PostgreSQL timeouts, in seconds (0: none). A statement of the web server runs at most
# KEEL_DB_STATEMENT_TIMEOUT (the server cancels it; a client-side watchdog closes the connection a
# few seconds later if a frozen server does not); a worker's, whose batches are larger, at most
# KEEL_DB_STATEMENT_TIMEOUT_WORKER.
KEEL_DB_CONNECT_TIMEOUT = int(os.environ.get("KEEL_DB_CONNECT_TIMEOUT", "5"))
KEEL_DB_STATEMENT_TIMEOUT = float(os.environ.get("KEEL_DB_STATEMENT_TIMEOUT", "30"))
KEEL_DB_STATEMENT_TIMEOUT_WORKER = float(os.environ.get("KEEL_DB_STATEMENT_TIMEOUT_WORKER", "300"))


def _database_config() -> dict[str, object]:
    url = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'keel.sqlite3'}")
    # Persistent connections: a new PostgreSQL connection per request costs ~9 ms. No health check
    # per request: its SELECT 1 was a fifth of a list request's time on the wire (py-spy, bench
    # list at 1M); after a database restart each stale connection fails one request and is replaced.
    config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=600, conn_health_checks=False))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # The embedded profile must start on a fresh clone: create var/ on first use.
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        config["OPTIONS"] = {
            # WAL lets readers work while one writer commits; IMMEDIATE takes the write lock at
            # BEGIN so two writers queue on busy_timeout instead of failing on lock upgrade.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        config["CONN_MAX_AGE"] = 0 if config["NAME"] == ":memory:" else 600
        # Tests use a file too: an in-memory shared-cache database ignores busy_timeout, so
        # concurrent-worker tests would fail on table locks the embedded profile never has.
        config["TEST"] = {"NAME": str(VAR_DIR / "test-keel.sqlite3")}
    else:
        # A server that does not answer (down, frozen, unreachable) fails a connection attempt
        # within seconds instead of the kernel's minutes; statement timeouts are set by the web
        # server and the worker (lib/database.py::limit_statements), not by migrations or scripts.
        given = config.get("OPTIONS")
        options: dict[str, object] = {
            "connect_timeout": KEEL_DB_CONNECT_TIMEOUT,
            **(given if isinstance(given, dict) else {}),
        }
        config["OPTIONS"] = options
        if _env_bool("KEEL_DB_PREPARED_STATEMENTS", True):
            # Parameters bound by the server and statements prepared on their fifth use: measured on
            # the list mix, a third less PostgreSQL CPU (no re-planning) and a quarter less web CPU (no
            # quoting of literals into the SQL text). Turn off behind a transaction-mode pooler that
            # cannot keep prepared statements (PgBouncer before 1.21).
            options.update(server_side_binding=True, prepare_threshold=5)
    return config


DATABASES = {"default": _database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Front-end assets come from npm at set-up time; they are served straight from node_modules.
STATICFILES_DIRS = [("vendor/htmx", PROJECT_DIR / "node_modules" / "htmx.org" / "dist")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = Path(os.environ.get("KEEL_MEDIA_ROOT", VAR_DIR / "media"))

# `keel serve` speaks HTTPS itself when given a certificate and its key (PEM files); PagerDuty's
# clients, for one, refuse plain HTTP. Behind a TLS-terminating proxy leave these empty.
KEEL_TLS_CERT = os.environ.get("KEEL_TLS_CERT", "")
KEEL_TLS_KEY = os.environ.get("KEEL_TLS_KEY", "")

SESSION_COOKIE_HTTPONLY = True
# A console session ends after this many minutes unused; each use extends it (lib/middleware.py).
KEEL_SESSION_IDLE_MINUTES = int(os.environ.get("KEEL_SESSION_IDLE_MINUTES", "120"))
SESSION_COOKIE_AGE = KEEL_SESSION_IDLE_MINUTES * 60
SESSION_COOKIE_SECURE = _env_bool("KEEL_SECURE_COOKIES", bool(KEEL_TLS_CERT))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
# Every page loads only Keel's own scripts, styles and images: no inline script, no other host, no
# framing. htmx's own indicator <style> is turned off (base.html), so styles need no 'unsafe-inline'
# either; data: is for images only (the empty favicon).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True

TASKS = {
    "default": {
        "BACKEND": os.environ.get("KEEL_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Every handler redacts secrets (lib/logs.py): inbound URLs carry a source's secret in their path,
# and refused requests are logged with it. Django's own handlers (its DEBUG console, mail to
# ADMINS) and granian's access log are replaced by this one, so no line escapes the filter.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"secrets": {"()": "keel.lib.logs.RedactSecrets"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["secrets"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("KEEL_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": [], "propagate": True},
        "granian.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# --- Keel domain settings -------------------------------------------------------------------
KEEL_SUBSCRIPTIONS = "keel.config.subscriptions.SUBSCRIPTIONS"
KEEL_SCHEDULE = "keel.config.schedule.SCHEDULE"
KEEL_PUMPS = "keel.config.pumps.PUMPS"
# Served without the browser middleware (sessions, CSRF, auth, messages): health probes and
# monitoring tools' inbound URLs.
KEEL_BARE_PATHS = [
    "/healthz",  # load balancers' and orchestrators' probes (lib/health.py)
    "/readyz",
    "/integrations/alertmanager",
    "/integrations/prometheus",
    "/integrations/generic",
    "/integrations/pagerduty",
]
# The REST API (bearer tokens, never a session or a form) runs only the middleware that sets
# security headers.
KEEL_API_PATHS = ["/api/"]
KEEL_API_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",  # the API docs page
    "keel.lib.failures.FailureAnswersMiddleware",
    "keel.lib.middleware.RequestLimitsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "keel.lib.middleware.DoorMiddleware",
]
KEEL_BARE_MIDDLEWARE = [
    "keel.lib.failures.FailureAnswersMiddleware",
    "keel.lib.middleware.RequestLimitsMiddleware",
    "keel.lib.middleware.DoorMiddleware",
]
# Panels drawn on the incident record by apps above incidents (lib/panels.py), e.g. its alerts.
KEEL_INCIDENT_PANELS = "keel.config.panels.INCIDENT_PANELS"
# Where people and monitoring tools reach this Keel: the start of every inbound URL Keel prints.
_SCHEME = "https" if KEEL_TLS_CERT else "http"
KEEL_BASE_URL = os.environ.get(
    "KEEL_BASE_URL", f"{_SCHEME}://{os.environ.get('KEEL_HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
).rstrip("/")
# Resolved incidents close by themselves when the caller has not answered within this many days.
KEEL_AUTO_CLOSE_DAYS = int(os.environ.get("KEEL_AUTO_CLOSE_DAYS", "7"))
KEEL_ATTACHMENT_MAX_BYTES = int(os.environ.get("KEEL_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
KEEL_ATTACHMENT_TYPES = _env_list(
    "KEEL_ATTACHMENT_TYPES",
    "text/plain,text/csv,application/pdf,image/png,image/jpeg,image/gif,image/webp,application/json,application/zip",
)
# How long the API keeps a create's answer under its Idempotency-Key (a retry within it gets that answer).
KEEL_IDEMPOTENCY_KEY_HOURS = float(os.environ.get("KEEL_IDEMPOTENCY_KEY_HOURS", "24"))
# The assignment group (slug) a new incident goes to when no routing rule matches; empty: none,
# it waits in the unassigned queue.
KEEL_ROUTING_DEFAULT_GROUP = os.environ.get("KEEL_ROUTING_DEFAULT_GROUP", "")
# The largest request body Keel reads at all (file uploads, streamed CSV imports): a larger declared
# Content-Length is refused with 413 before a byte is read, a chunked body is cut off there. Bodies
# read whole into memory (JSON, forms, monitoring payloads) stop at Django's
# DATA_UPLOAD_MAX_MEMORY_SIZE (KEEL_MAX_BODY_BYTES, 2.5 MB by default).
KEEL_UPLOAD_MAX_BYTES = int(os.environ.get("KEEL_UPLOAD_MAX_BYTES", str(64 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("KEEL_MAX_BODY_BYTES", str(2_621_440)))
FILE_UPLOAD_HANDLERS = [
    "keel.lib.middleware.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# What a 503 (the database is not answering) tells clients to wait before they retry.
KEEL_RETRY_AFTER_SECONDS = int(os.environ.get("KEEL_RETRY_AFTER_SECONDS", "5"))
# Sign-in throttling (accounts/throttling.py): failed sign-ins within a sliding window, counted for
# one username from one address, for one address, and for one username from anywhere; at a limit,
# sign-ins under that counter wait until failures slide out of the window.
KEEL_SIGN_IN_WINDOW_MINUTES = int(os.environ.get("KEEL_SIGN_IN_WINDOW_MINUTES", "15"))
KEEL_SIGN_IN_FAILURES_PER_USERNAME_AND_ADDRESS = int(
    os.environ.get("KEEL_SIGN_IN_FAILURES_PER_USERNAME_AND_ADDRESS", "5")
)
KEEL_SIGN_IN_FAILURES_PER_ADDRESS = int(os.environ.get("KEEL_SIGN_IN_FAILURES_PER_ADDRESS", "20"))
KEEL_SIGN_IN_FAILURES_PER_USERNAME = int(os.environ.get("KEEL_SIGN_IN_FAILURES_PER_USERNAME", "50"))
# How many proxies in front of Keel append to X-Forwarded-For: the client's address is read that
# far from its end. 0 (the default): the address the connection comes from.
KEEL_TRUSTED_PROXIES = int(os.environ.get("KEEL_TRUSTED_PROXIES", "0"))
KEEL_SCHEDULER_TICK_SECONDS = float(os.environ.get("KEEL_SCHEDULER_TICK_SECONDS", "15"))
# /readyz: ready while the database answers, some worker's heartbeat (written every scheduler tick)
# is at most KEEL_READY_WORKER_SECONDS old (0: not checked, for web-only hosts), and fewer than
# KEEL_READY_MAX_BACKLOG monitoring payloads wait to be processed (0: not checked).
KEEL_READY_CHECKS = "keel.config.readiness.CHECKS"
KEEL_READY_WORKER_SECONDS = float(os.environ.get("KEEL_READY_WORKER_SECONDS", "60"))
KEEL_READY_MAX_BACKLOG = int(os.environ.get("KEEL_READY_MAX_BACKLOG", "10000"))
