"""Settings, all read from the environment (see README "Configuration").

One module on purpose: the differences between development and production are the environment
variables themselves, and ``manage.py check --deploy`` passes once ``DEBUG`` is off and the usual
production variables (``SECRET_KEY``, ``ALLOWED_HOSTS``, ``DATABASE_URL``, ``CELERY_BROKER_URL``,
``CACHE_URL``) are set.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CS_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
_DEV_SECRET = "dev-only-insecure-secret-key-set-SECRET_KEY-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY") or _DEV_SECRET  # an empty value (SECRET_KEY=) counts as unset
if not DEBUG and SECRET_KEY == _DEV_SECRET and os.environ.get("CS_ALLOW_DEV_SECRET") != "1":
    # Tests and `make run` set CS_ALLOW_DEV_SECRET; a production start without a key must fail loudly.
    raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# Where customers reach this site, e.g. https://cs.example.com: links in messages sent to them (help-
# center articles) are absolute with it; a tenant may override it with settings["public_base_url"].
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "accounts",
    "support",
    "surveys",
    "learning",
    "health",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "cs_platform.middleware.BoundedInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.TenantFromUrlMiddleware",
    "accounts.middleware.AdminAcrossTenantsMiddleware",
    # Last, as axes asks: it turns the lockout signalled by its backend into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cs_platform.urls"
WSGI_APPLICATION = "cs_platform.wsgi.application"

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
                "accounts.context_processors.tenancy",
            ],
        },
    }
]


def database_from_env() -> dict:
    """``DATABASE_URL`` is the application's role, ``DATABASE_OWNER_URL`` (same server and database) the
    schema owner's, used by ``migrate`` and the test database's setup (README "Database roles"). Neither
    set: the embedded server's ``cs_app`` and ``cs_owner`` roles."""
    url = os.environ.get("DATABASE_URL")
    owner_url = os.environ.get("DATABASE_OWNER_URL")
    if not url:
        from cs_platform.embedded_db import embedded_database_urls

        url, owner_url = embedded_database_urls(VAR_DIR)
    config = dj_database_url.parse(url, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")))
    # Django's PostgreSQL backend plus the tenant scope carried into each transaction (row-level security).
    config["ENGINE"] = "cs_platform.db"
    if owner_url:
        owner = dj_database_url.parse(owner_url)
        config["OWNER"] = {"USER": owner.get("USER") or "", "PASSWORD": owner.get("PASSWORD") or ""}
    if not config.get("HOST"):
        # The embedded server answers on a Unix socket given as ?host=/path in its URI.
        socket_dir = parse_qs(urlparse(url).query).get("host")
        if socket_dir:
            config["HOST"] = socket_dir[0]
    config.setdefault("OPTIONS", {})
    # JIT compilation cost 0.1-0.2 s per report query (bench/support_reports.py) and never paid back on
    # queries that run well under a second; DB_JIT=on restores PostgreSQL's default.
    if os.environ.get("DB_JIT", "off") == "off":
        config["OPTIONS"].setdefault("options", "-c jit=off")
    config["CONN_HEALTH_CHECKS"] = True
    config["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME", "test_cs_platform")}
    return config


# Independent report queries run this many at a time, each on its own connection (cs_platform.parallel_reads);
# 1 = one after another on the request's connection.
READ_THREADS = max(1, int(os.environ.get("READ_THREADS", "2")))


DATABASES = {"default": database_from_env()}
# TRUNCATE for the app role: only the test database needs it (transactional tests are flushed with it).
DATABASE_APP_MAY_TRUNCATE = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Axes first: it refuses a locked-out username or address before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "login"

# --- Login throttling (django-axes, its attempts in its own tables: shared by every process) ---
# LOGIN_FAILURE_LIMIT wrong passwords for one username, or from one address, lock that username or that
# address out for LOGIN_COOLOFF_MINUTES; a successful login before the limit clears the count. A username
# counts whether or not the account exists, so the answers never tell which accounts exist.
AXES_FAILURE_LIMIT = max(1, int(os.environ.get("LOGIN_FAILURE_LIMIT", "5")))
AXES_COOLOFF_TIME = timedelta(minutes=max(1, int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15"))))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks: one account from many addresses, or
AXES_RESET_ON_SUCCESS = True                           # one address trying many accounts
AXES_LOCKOUT_CALLABLE = "accounts.views.auth.login_locked_out"  # our login page's look, also for /admin/
AXES_USERNAME_CALLABLE = "cs_platform.client.login_username"
AXES_CLIENT_IP_CALLABLE = "cs_platform.client.client_ip"
AXES_VERBOSE = False

# --- Password-reset throttling (django-ratelimit, counters in the default cache) ---
# Per submitted email and per client address; over either the form answers its usual "if an account uses
# that address, a link is on its way" page and sends nothing. The address gets more: offices share one.
PASSWORD_RESET_RATE_PER_EMAIL = os.environ.get("PASSWORD_RESET_RATE_PER_EMAIL", "3/h")
PASSWORD_RESET_RATE_PER_IP = os.environ.get("PASSWORD_RESET_RATE_PER_IP", "20/h")
RATELIMIT_USE_CACHE = "default"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Email (password reset, later survey invitations) ---
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "cs-platform@localhost")

# --- Security: strict by default, relaxed only by DEBUG (plain http on localhost) ---
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- REST API (see API.md) ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["cs_platform.api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["cs_platform.api.auth.HasTenantApiKey"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Bounded in bytes and nesting depth; DRF's JSONParser reads any size and recurses on deep nesting.
    "DEFAULT_PARSER_CLASSES": ["cs_platform.api.parsers.BoundedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "cs_platform.api.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["cs_platform.api.throttle.ApiKeyRateThrottle"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Customer-success platform API",
    "DESCRIPTION": "Integration API: see API.md. Authenticate with `Authorization: Bearer <key>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # No CDN: Swagger UI's assets come from drf-spectacular-sidecar, served as our own static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # A string field that refuses "" says so (minLength 1), so the schema's valid inputs are the accepted ones.
    "ENFORCE_NON_BLANK_FIELDS": True,
    # Several models have a "kind"; the surveys' one is named for itself.
    "ENUM_NAME_OVERRIDES": {"SurveyKindEnum": "surveys.scales.Kind"},
}

# Requests per API key and window (s, min or hour); over it the API answers 429 with Retry-After.
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "12000/min")

# --- Cache: the API rate limit's and the password-reset limit's counters. Per process by default; Redis to
# share them (``check --deploy`` warns without it: cs_platform/checks.py). ---
_CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_URL}
        if _CACHE_URL.startswith(("redis://", "rediss://"))
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Celery ---
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = VAR_DIR / "broker"
    for sub in ("in", "processed", "control"):
        (_queue_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "in"),
        "data_folder_out": str(_queue_dir / "in"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),  # kombu's default is ./control in the cwd
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = None  # job state lives in our own Job rows, which pages and the API read
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
