"""Settings for the collections case management system, all read from the environment."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import zoneinfo
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from kombu import Queue
from pythonjsonlogger.core import RESERVED_ATTRS as JSON_LOG_RESERVED_ATTRS

from .env import ImproperlyConfiguredEnv, env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfiguredEnv("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-insecure-secret-key-only-for-local-debug-runs"  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Key for national ids at rest. Falls back to one derived from SECRET_KEY so that a newcomer's
# machine works; production sets its own so that rotating SECRET_KEY does not lose the data.
FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY", "") or ""

INSTALLED_APPS = [
    "accounts.apps.AdminConfig",  # django.contrib.admin behind the role matrix
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_htmx",
    "django_celery_beat",
    "axes",
    "csp",
    "core",
    "accounts",
    "borrowers",
    "cases",
    "contacts",
    "compliance",
    "repayment_plans",
    "portal",
    "outreach",
    "webhooks",
    "supervision",
    "operations",
    "workspace",
    "demo",
]

MIDDLEWARE = [
    # First and (almost) last, as django-prometheus asks: requests, responses and latencies for /metrics.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Before anything that may log: every log line of a request carries its id (core.request_id).
    "core.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.CSPMiddleware",  # django-csp's, the settings' policy built once
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Session, user, messages and htmx: Django's and django-htmx's, skipped by a call of the platform API
    # that carries no session cookie (it authenticates by key in the view: core.middleware, "short path").
    "core.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "core.middleware.AuthenticationMiddleware",
    "core.middleware.UserLanguageMiddleware",
    "core.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.HtmxMiddleware",
    "core.middleware.HistoryRequestMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "accounts.roles.role_permissions",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
_default_db = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", _default_db) or _default_db)}
except ValueError as exc:
    raise ImproperlyConfiguredEnv(f"DATABASE_URL is not a database URL: {exc}") from exc
# Persistent connections in every process (docs/operations.md, "Database connections"): a gunicorn worker,
# a Celery child or beat keeps its connection for CONN_MAX_AGE seconds instead of opening one per request or
# task (a new PostgreSQL connection cost a third of an API ping); the health check at the start of each
# request or task replaces a connection the server dropped instead of failing on it. Not psycopg's pool:
# every process serves one request or task at a time, so a pool would be a pool of one with a checkout cost.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("CONN_HEALTH_CHECKS", True)
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web app, the worker and beat share one file in the newcomer setup: IMMEDIATE
    # transactions and WAL avoid "database is locked" under that light concurrency.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")
if IS_POSTGRES:
    # A database that does not answer fails a request (and /readyz) within seconds instead of hanging it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT_S", 5)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# outreach.Strategy's "one default per platform/product/segment" constraint needs NULLS NOT DISTINCT,
# which only PostgreSQL has; on the newcomer's SQLite the service layer's check stands alone.
SILENCED_SYSTEM_CHECKS = ["models.W047"]

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The lockout backend goes first: a locked-out username and address is refused before any password
# is checked (accounts.lockout).
AUTHENTICATION_BACKENDS = [
    "accounts.lockout.SignInLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Languages and time ------------------------------------------------------------------------
LANGUAGE_CODE = env_choice("LANGUAGE_CODE", "en", {"en", "zh-hans"})
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Number formats that differ from Django's (zh-hans amounts grouped by thousands: config/formats/zh_Hans).
# Templates print money with floatformat:"2g", which groups with the active language's separator.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env_str("TIME_ZONE", "UTC") or "UTC"
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
    raise ImproperlyConfiguredEnv(f"TIME_ZONE={TIME_ZONE!r} is not an IANA time zone") from exc
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT: Path | None = BASE_DIR / "staticfiles"  # None in the tests (config.test_settings)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# --- REST API ---------------------------------------------------------------------------------
# Requests per platform key (or staff user) and period, s|min|hour|day; generous by default so that
# benchmarks and tests never trip it. accounts.throttling answers 429 with Retry-After beyond it.
API_THROTTLE_RATE = env_str("API_THROTTLE_RATE", "6000/min") or "6000/min"
if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", API_THROTTLE_RATE):
    raise ImproperlyConfiguredEnv(f"API_THROTTLE_RATE={API_THROTTLE_RATE!r} is not like 6000/min")
# How long a process trusts an API key it looked up (accounts.authentication): a revoked key or a
# deactivated platform is refused within this many seconds everywhere, at once in the process that saved it.
API_KEY_CACHE_S = env_int("API_KEY_CACHE_S", 30)
if API_KEY_CACHE_S < 0:
    raise ImproperlyConfiguredEnv(f"API_KEY_CACHE_S={API_KEY_CACHE_S} is negative")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.PlatformTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsPlatformOrStaff"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON in (API.md), with a nesting limit (a body nested 1,000 deep was a RecursionError, a 500); any other
    # media type is a 415. (Form bodies cannot say null, true or a list, and nothing sent them.)
    "DEFAULT_PARSER_CLASSES": ["core.api.JsonParser"],
    "DEFAULT_PAGINATION_CLASS": "core.api.ApiPagination",
    "PAGE_SIZE": 50,
    # drf-spectacular's, with the error statuses (400, 401, 403, 404, 409, 413, 415, 429) each operation may give.
    "DEFAULT_SCHEMA_CLASS": "core.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "accounts.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttling.PlatformRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"platform": API_THROTTLE_RATE},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Collections case management API",
    "DESCRIPTION": "Platform integration API: borrowers, loans, payments, cases and the compliance gate.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets whose field names repeat (kind, channel, status): each named once, not by a hash.
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "borrowers.models.Channel",
        "OptOutChannelEnum": "borrowers.models.OptOut.OPT_OUT_CHANNELS",
        "PhoneKindEnum": "borrowers.models.PhoneKind",
        "EmailKindEnum": "borrowers.models.EmailKind",
        "HoldKindEnum": "borrowers.models.HoldKind",
        "PlanKindEnum": "repayment_plans.models.PlanKind",
        "WebhookEventStatusEnum": "webhooks.models.EventStatus",
    },
    # Swagger UI from drf-spectacular-sidecar's copy in our static files: /api/docs/ works without a
    # network and loads nothing from another origin.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# --- Celery ------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "") or ""
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
else:
    # Embedded broker: kombu's filesystem transport, so a newcomer's worker and beat really run.
    # The host name means nothing to this transport, but without one kombu warns on every connection.
    CELERY_BROKER_URL = "filesystem://localhost/"
    _queue = VAR_DIR / "celery" / "queue"
    # The transport lists these folders on every publish; any process may be the first to send.
    for _folder in (_queue, VAR_DIR / "celery" / "processed", VAR_DIR / "celery" / "control"):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Broadcast (worker control) bindings; kombu's default is the current directory.
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "store_processed": False,
    }
# The cache holds the API throttle counters, which every web process must share: Redis when there is one.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cache",
            # A Redis that stops answering must not hold a request for long: the throttle then lets
            # requests through (accounts.throttling) instead of waiting on it.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# Queues per kind of work, so each scales on workers of its own (docs/operations.md, "Scaling"): reminder
# sends, webhook deliveries and the book-wide refresh/planning runs; everything else (payment follow-ups,
# purges) on Celery's default queue. Every queue is declared, so a worker started without -Q (make run, the
# tests' workers) consumes them all; a production worker picks its group with -Q.
CELERY_TASK_DEFAULT_QUEUE = QUEUE_DEFAULT = "celery"
QUEUE_DISPATCH, QUEUE_WEBHOOKS, QUEUE_REFRESH = "dispatch", "webhooks", "refresh"
CELERY_TASK_QUEUES = [
    Queue(name, routing_key=name) for name in (QUEUE_DEFAULT, QUEUE_DISPATCH, QUEUE_WEBHOOKS, QUEUE_REFRESH)
]
CELERY_TASK_ROUTES = {
    **{
        name: {"queue": QUEUE_DISPATCH, "routing_key": QUEUE_DISPATCH}
        for name in (
            "outreach.reminders_dispatch",
            "outreach.send_reminders",
            "outreach.send_reminder",
            "outreach.validation_notices_send",
        )
    },
    **{
        name: {"queue": QUEUE_WEBHOOKS, "routing_key": QUEUE_WEBHOOKS}
        for name in ("webhooks.deliver_event", "webhooks.sweep")
    },
    **{
        name: {"queue": QUEUE_REFRESH, "routing_key": QUEUE_REFRESH}
        for name in (
            "outreach.refresh_and_plan",
            "cases.refresh_delinquency",
            "outreach.reminders_plan",
            "outreach.escalate",
            "repayment_plans.promises_and_plans_check",
        )
    },
}
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Beat copies these into django-celery-beat's tables, where an administrator can change them.
CELERY_BEAT_SCHEDULE = {
    "delinquency-refresh-daily": {
        # The refresh, then reminder planning and assignment on the fresh stages (outreach.tasks).
        "task": "outreach.refresh_and_plan",
        "schedule": crontab(minute=5, hour=0),
    },
    "reminders-plan-hourly": {
        "task": "outreach.reminders_plan",
        "schedule": crontab(minute=35),
    },
    "reminders-dispatch": {
        "task": "outreach.reminders_dispatch",
        "schedule": float(env_int("REMINDER_DISPATCH_INTERVAL_S", 30)),
    },
    "outreach-escalation": {
        "task": "outreach.escalate",
        "schedule": crontab(minute="*/15"),
    },
    # After the delinquency refresh: promises past their grace period, plans with a missed installment.
    "repayment-plans-check-daily": {
        "task": "repayment_plans.promises_and_plans_check",
        "schedule": crontab(minute=20, hour=0),
    },
    # Webhook retries and deliveries whose task was lost (webhooks.services).
    "webhooks-sweep": {
        "task": "webhooks.sweep",
        "schedule": 60.0,
    },
    # Idempotency-Key records older than IDEMPOTENCY_KEY_TTL_HOURS (default 48, at least 24): accounts.tasks.
    "idempotency-keys-purge-daily": {
        "task": "accounts.purge_idempotency_keys",
        "schedule": crontab(minute=45, hour=3),
    },
    # Regulation F validation notices scheduled by a US case's first communication (outreach.services).
    "validation-notices-send": {
        "task": "outreach.validation_notices_send",
        "schedule": crontab(minute="*/5"),
    },
    # Personal data of borrowers past their pack's retention period pseudonymised (compliance.lifecycle).
    "records-purge-daily": {
        "task": "compliance.records_purge",
        "schedule": crontab(minute=15, hour=4),
    },
}

# --- Evidence checkpoints (compliance.checkpoint, docs/evidence-checkpoints.md) -------------------
# The operator's Ed25519 private key (PKCS#8 PEM) that signs checkpoints of the evidence chains: the PEM
# itself, or with EVIDENCE_SIGNING_KEY_FILE the path of a file holding it. `manage.py evidence_keygen`.
EVIDENCE_SIGNING_KEY = env_str("EVIDENCE_SIGNING_KEY", "") or ""

# --- Repayment plans ---------------------------------------------------------------------------
# Days after a promise's date (or a plan installment's due date) before a missing payment counts as broken.
PROMISE_GRACE_DAYS = env_int("PROMISE_GRACE_DAYS", 2)
PLAN_GRACE_DAYS = env_int("PLAN_GRACE_DAYS", 5)

# --- Outreach: channel gateways and the reminder pipeline -------------------------------------
# The debt collector named in Regulation F validation notices (12 CFR 1006.34(c)(1)): this system's
# operator, its name and the mailing address where consumers write to dispute.
DEBT_COLLECTOR_NAME = env_str("DEBT_COLLECTOR_NAME", "Collections Department") or "Collections Department"
DEBT_COLLECTOR_ADDRESS = env_str("DEBT_COLLECTOR_ADDRESS", "") or ""
SMS_GATEWAY = env_choice("SMS_GATEWAY", "file", {"file", "http"})
SMS_GATEWAY_URL = env_str("SMS_GATEWAY_URL", "") or ""
SMS_GATEWAY_TOKEN = env_str("SMS_GATEWAY_TOKEN", "") or ""
VOICE_GATEWAY = env_choice("VOICE_GATEWAY", "file", {"file", "http"})
VOICE_GATEWAY_URL = env_str("VOICE_GATEWAY_URL", "") or ""
VOICE_GATEWAY_TOKEN = env_str("VOICE_GATEWAY_TOKEN", "") or ""
if SMS_GATEWAY == "http" and not SMS_GATEWAY_URL:
    raise ImproperlyConfiguredEnv("SMS_GATEWAY=http needs SMS_GATEWAY_URL")
if VOICE_GATEWAY == "http" and not VOICE_GATEWAY_URL:
    raise ImproperlyConfiguredEnv("VOICE_GATEWAY=http needs VOICE_GATEWAY_URL")
GATEWAY_TIMEOUT_S = env_int("GATEWAY_TIMEOUT_S", 10)
# Each provider's secret or key for its signed callbacks (delivery receipts, bounces, replies: docs/api.md,
# "Provider callbacks"), in its own scheme (outreach.signatures); a provider without one has its callbacks
# refused (401). App push receipts are signed with each platform's own webhook secret instead.
PROVIDER_CALLBACK_SECRETS = {
    "generic": env_str("GENERIC_CALLBACK_SECRET", "") or "",
    "aliyun": env_str("ALIYUN_CALLBACK_SECRET", "") or "",
    "twilio": env_str("TWILIO_AUTH_TOKEN", "") or "",  # X-Twilio-Signature's HMAC-SHA1 key
    "sendgrid": env_str("SENDGRID_WEBHOOK_PUBLIC_KEY", "") or "",  # the signed event webhook's key (base64 DER)
}
if DEBUG and not PROVIDER_CALLBACK_SECRETS["generic"]:
    # A local run (`make run`) takes the generic provider's callbacks signed with a published development
    # secret, so that `manage.py simulate_provider` can play the provider against it (docs/demo.md).
    PROVIDER_CALLBACK_SECRETS["generic"] = "dev-insecure-generic-callback-secret"  # noqa: S105
# The file gateway's outbox (development and tests): one JSON line per message.
OUTBOX_DIR = Path(env_str("OUTBOX_DIR", "") or VAR_DIR / "outbox")
# Simulated provider latency of the file gateway; only tests set it.
REMINDER_TEST_SEND_DELAY_MS = env_int("REMINDER_TEST_SEND_DELAY_MS", 0)
# A claimed reminder whose task has not finished after this long is queued again (its worker died).
REMINDER_CLAIM_TIMEOUT_S = env_int("REMINDER_CLAIM_TIMEOUT_S", 300)
# An allowed decision older than this is not used for an interrupted send: the reminder is given up.
REMINDER_DECISION_TTL_S = env_int("REMINDER_DECISION_TTL_S", 900)
REMINDER_MAX_SEND_ATTEMPTS = env_int("REMINDER_MAX_SEND_ATTEMPTS", 5)
# Claimed reminders per send task: a task of its own per reminder cost Celery more than the send.
REMINDER_SEND_BATCH = env_int("REMINDER_SEND_BATCH", 25)
# Automated reminders with no answer before a collector call task is created.
REMINDER_ESCALATE_AFTER = env_int("REMINDER_ESCALATE_AFTER", 3)
# Refusals within 30 days that flag a borrower lost-contact.
LOST_CONTACT_REFUSALS = env_int("LOST_CONTACT_REFUSALS", 2)
# Open cases at or beyond this DPD go to a collector's queue (earlier ones are left to reminders).
ASSIGN_MIN_DPD = env_int("ASSIGN_MIN_DPD", 1)

# --- Email -------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "collections@example.com")

# --- Security ----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# HTTPS only, unless DEBUG: HTTP is redirected, cookies are Secure, browsers are told to come back over
# HTTPS for a year (HSTS, subdomains included, preload-ready). HTTPS=false turns all of it off (a local
# docker compose on plain http); each setting may also be set on its own.
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
# The container health check calls http://localhost:8000/healthz from inside.
# So do /readyz (an orchestrator's readiness probe) and /metrics (Prometheus, inside the network).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", SESSION_COOKIE_SECURE)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
# Behind a proxy that ends TLS, Django sees http: trust the proxy's X-Forwarded-Proto only when told
# that there is one (a client could send the header itself otherwise).
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): scripts, styles, images and fonts from our own static files
# only; no inline script or style anywhere (per-page JS lives in static/js/), the API docs included
# (templates/api/swagger_ui.html: Swagger UI from drf-spectacular-sidecar's static copy).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Sign-in lockout (django-axes), on the sign-in page and the admin's: after LOGIN_FAILURE_LIMIT failed
# attempts for one username from one address, that pair is refused, even with the right password,
# until LOGIN_COOLOFF_MINUTES have passed since the last failure. A success clears the count.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
_cooloff_minutes = env_int("LOGIN_COOLOFF_MINUTES", 15)
if AXES_FAILURE_LIMIT < 1 or _cooloff_minutes < 1:
    raise ImproperlyConfiguredEnv("LOGIN_FAILURE_LIMIT and LOGIN_COOLOFF_MINUTES must be at least 1")
AXES_COOLOFF_TIME = dt.timedelta(minutes=_cooloff_minutes)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# Log lines name a keyed hash of the username and address, never the username or the address.
AXES_CLIENT_STR_CALLABLE = "accounts.lockout.client_str"

# --- Logs and metrics ----------------------------------------------------------------------------
# One JSON object per line in production (LOG_FORMAT=json, the default with DEBUG off), plain lines on a
# developer's machine. Every line carries the request id (core.request_id, "-" outside a request).
# Records never name a borrower: messages carry ids, and the request object Django attaches to its
# request logs (its query string may hold a searched name or phone number) is left out of the JSON.
LOG_FORMAT = env_choice("LOG_FORMAT", "plain" if DEBUG else "json", {"json", "plain"})
_LOG_LEVEL = env_str("LOG_LEVEL", "INFO") or "INFO"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "core.request_id.RequestIdFilter"},
        "expected_client_errors": {"()": "core.request_id.ExpectedClientErrorFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "reserved_attrs": [*JSON_LOG_RESERVED_ATTRS, "request", "server_time", "taskName", "color_message"],
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "loggers": {
        # Django's own console handler (DEBUG only) would print its records a second time beside ours.
        "django": {"handlers": [], "level": _LOG_LEVEL},
        "django.request": {"filters": ["expected_client_errors"]},
        # At DEBUG these two write template contexts and SQL parameters, borrowers' details among them:
        # never below INFO, whatever LOG_LEVEL says.
        "django.template": {"level": "INFO"},
        "django.db.backends": {"level": "INFO"},
    },
    "root": {"handlers": ["console"], "level": _LOG_LEVEL},
}
# Celery keeps these handlers (and so the JSON and the request id field) instead of installing its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# /metrics (Prometheus) answers only these addresses or networks; anyone else gets 403. Behind a proxy,
# the address is the proxy's: scrape the application directly, from inside the network.
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])
try:
    METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network(item, strict=False) for item in METRICS_ALLOWED_IPS]
except ValueError as exc:
    raise ImproperlyConfiguredEnv(f"METRICS_ALLOWED_IPS: {exc}") from exc

# How long an Idempotency-Key is remembered (API.md promises at least a day; accounts.tasks purges).
IDEMPOTENCY_KEY_TTL_HOURS = env_int("IDEMPOTENCY_KEY_TTL_HOURS", 48)

# The borrower portal (portal app): links are absolute URLs under PORTAL_BASE_URL (e.g.
# https://collect.example.com; empty: a path only, for development), valid PORTAL_LINK_DAYS days. The
# second factor is refused after PORTAL_LINK_FAILURES wrong answers on one link or PORTAL_IP_FAILURES from
# one address within PORTAL_FAILURE_WINDOW_MINUTES.
PORTAL_BASE_URL = (env_str("PORTAL_BASE_URL", "") or "").rstrip("/")
PORTAL_LINK_DAYS = env_int("PORTAL_LINK_DAYS", 14)
PORTAL_LINK_FAILURES = env_int("PORTAL_LINK_FAILURES", 5)
PORTAL_IP_FAILURES = env_int("PORTAL_IP_FAILURES", 20)
PORTAL_FAILURE_WINDOW_MINUTES = env_int("PORTAL_FAILURE_WINDOW_MINUTES", 30)
