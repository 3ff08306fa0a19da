"""Settings for every environment. Everything that differs between machines comes from the environment
(a variable, or the same name with ``_FILE`` holding a path whose contents are the value)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    """Read ``NAME`` or the contents of the file named by ``NAME_FILE`` (for container secrets)."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


DATA_DIR = Path(env("OPENPRACTICE_DATA_DIR", str(BASE_DIR / "var")) or BASE_DIR / "var")

DEBUG = env_bool("DJANGO_DEBUG", False)
# Demo mode: the demo practice may be created and an Outbox page shows the mail the app sent.
DEMO_MODE = env_bool("OPENPRACTICE_DEMO", False)
SECRET_KEY = env("DJANGO_SECRET_KEY", "insecure-development-key-change-me-0123456789abcdef")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "huey.contrib.djhuey",
    "ninja",
    "openpractice.audit",
    "openpractice.core",
    "openpractice.accounts",
    "openpractice.patients",
    "openpractice.scheduling",
    "openpractice.billing",
    "openpractice.workforce",
    "openpractice.compliance",
    "openpractice.vendors",
    "openpractice.inventory",
    "openpractice.facilities",
    "openpractice.cases",
    "openpractice.frontdesk",
    "openpractice.reporting",
    "openpractice.integrations",
    "openpractice.api",
]

MIDDLEWARE = [
    "openpractice.core.proxy.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "openpractice.audit.middleware.AuditContextMiddleware",
    "openpractice.accounts.middleware.SessionLimitsMiddleware",
    "openpractice.accounts.middleware.MFARequiredMiddleware",
    "openpractice.core.middleware.PracticeTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Reverse proxies (addresses or networks) whose X-Forwarded-For is believed, e.g. "127.0.0.1,10.0.0.0/24".
OPENPRACTICE_TRUSTED_PROXIES = env_list("OPENPRACTICE_TRUSTED_PROXIES")

ROOT_URLCONF = "config.urls"
# Every form renders with labels, help text and inline errors wired for screen readers.
FORM_RENDERER = "openpractice.core.forms.OpenPracticeFormRenderer"
WSGI_APPLICATION = "config.wsgi.application"

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
                "openpractice.core.context_processors.shell",
            ],
        },
    }
]

DATABASE_URL = env("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'openpractice.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(env("DB_CONN_MAX_AGE", "60") or 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so two writers queue
    # instead of failing half-way; the busy timeout is how long they queue.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT: this app's queries are short, and compiling one whose estimate crossed the JIT threshold cost
    # 500-800 ms on the A/R KPIs (docs/benchmarks.md).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "reporting:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour

# Sessions live in the database so that deactivating a user can delete every one of them at once.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_NAME = "op_session"
CSRF_COOKIE_NAME = "op_csrftoken"
# Scripts never read the CSRF cookie (pages hand the token to htmx and fetch() in the body's hx-headers), so
# it is HttpOnly everywhere: development behaves like production, where check --deploy expects it.
CSRF_COOKIE_HTTPONLY = True
# Defaults; the practice's own settings page overrides both.
OPENPRACTICE_IDLE_TIMEOUT_MINUTES = int(env("OPENPRACTICE_IDLE_TIMEOUT_MINUTES", "15") or 15)
OPENPRACTICE_ABSOLUTE_SESSION_HOURS = int(env("OPENPRACTICE_ABSOLUTE_SESSION_HOURS", "12") or 12)
OPENPRACTICE_INVITATION_DAYS = 7
OPENPRACTICE_PRODUCTION = False

# Login throttling: five wrong passwords for one username from one address pause that pair for
# fifteen minutes. The real user at another address is not locked out, and the pause always ends.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "openpractice.accounts.views.auth.login_throttled"
AXES_VERBOSE = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

OTP_TOTP_ISSUER = "OpenPractice"
OTP_TOTP_THROTTLE_FACTOR = 1

# Field encryption keys (Fernet, urlsafe base64). The first key encrypts; all of them decrypt, which is how
# keys are rotated: put the new key first, run `openpractice crypto rotate`, then drop the old one.
OPENPRACTICE_FIELD_KEYS = env_list(
    "OPENPRACTICE_FIELD_KEYS", "cGxlYXNlLWNoYW5nZS1tZS1pbi1wcm9kdWN0aW9uLTE="
)

LANGUAGE_CODE = "en-us"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploads live outside the web root and are only served through permission-checked views.
MEDIA_ROOT = Path(env("OPENPRACTICE_MEDIA_ROOT", str(DATA_DIR / "uploads")) or DATA_DIR / "uploads")
# Further ICD-10-CM releases: CMS order files (icd10cm-order-YYYY.txt) dropped here are loaded beside the
# packaged release, each for dates of service from its fiscal year's 1 October.
OPENPRACTICE_ICD10_DIR = Path(env("OPENPRACTICE_ICD10_DIR", str(DATA_DIR / "icd10")) or DATA_DIR / "icd10")
# Where billing settings may point the 837P drop directory (the clearinghouse client's pick-up folder), besides
# <data dir>/x12: comma-separated absolute paths chosen by whoever runs the server, so a web user cannot make
# the server write files anywhere else.
OPENPRACTICE_X12_DROP_ROOTS = [Path(path) for path in env_list("OPENPRACTICE_X12_DROP_ROOTS")]

# Demo mode without a mail server: mail goes to the Outbox page (OutboxMessage) so its links can be clicked.
EMAIL_BACKEND = env("EMAIL_BACKEND") or (
    "openpractice.core.mail.OutboxEmailBackend" if DEMO_MODE and not env("EMAIL_HOST")
    else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = env("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(env("EMAIL_PORT", "25") or 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "OpenPractice <no-reply@openpractice.local>")
OPENPRACTICE_BASE_URL = env("OPENPRACTICE_BASE_URL", "http://127.0.0.1:8000")
# REST API rate limits (openpractice/api/throttling.py): per API token, or per user for browser sessions; writes
# (POST/PUT/PATCH/DELETE) also count against the lower write limit. "off" turns one off.
OPENPRACTICE_API_RATE_LIMIT = env("OPENPRACTICE_API_RATE_LIMIT", "600/min")
OPENPRACTICE_API_WRITE_RATE_LIMIT = env("OPENPRACTICE_API_WRITE_RATE_LIMIT", "120/min")
# Webhooks go to https URLs on public addresses only (no requests into the practice's own network: SSRF). True
# allows http and private/loopback addresses, for a receiver on the same machine or network (and the tests).
OPENPRACTICE_WEBHOOKS_ALLOW_PRIVATE = env_bool("OPENPRACTICE_WEBHOOKS_ALLOW_PRIVATE", False)

HUEY = {
    "huey_class": "huey.SqliteHuey",
    "name": "openpractice",
    "filename": str(DATA_DIR / "tasks.sqlite3"),
    "immediate": env_bool("OPENPRACTICE_TASKS_IMMEDIATE", False),
    # Poll the queue at least every 2 s: a demo invitation should not wait for the 10 s default back-off.
    "consumer": {"workers": 2, "worker_type": "thread", "max_delay": 2.0},
}
if env("REDIS_URL"):
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "openpractice",
        "url": env("REDIS_URL"),
        "immediate": env_bool("OPENPRACTICE_TASKS_IMMEDIATE", False),
        "consumer": {"workers": 4, "worker_type": "thread"},
    }

# One cache shared by the web processes and the task worker (the dashboards' KPI figures are warmed by a task and
# read by the pages): Redis where there is one, else files on this machine (the embedded, one-machine default).
CACHES: dict[str, dict[str, Any]] = {"default": {
    "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
    "LOCATION": str(DATA_DIR / "cache"), "OPTIONS": {"MAX_ENTRIES": 20_000}}}
if env("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env("REDIS_URL")}}

# Content Security Policy: no inline script anywhere, nothing from other origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # pyx12 logs every validation finding at ERROR; billing.x12.validate returns them in its result instead.
    # WeasyPrint logs each rendering step at INFO and every unsupported CSS property at WARNING.
    "loggers": {"axes": {"level": "WARNING"}, "pyx12": {"level": "CRITICAL"}, "weasyprint": {"level": "ERROR"},
                "fontTools": {"level": "ERROR"}},
}
