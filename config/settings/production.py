"""Production: DEBUG off, secrets required, cookies secure, HSTS. `check --deploy` must be clean here."""

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env, env_bool, env_list

# The key base.py falls back to when the environment gives none: it is in the source code, so not a secret.
_DEVELOPMENT_FIELD_KEY = "cGxlYXNlLWNoYW5nZS1tZS1pbi1wcm9kdWN0aW9uLTE="

DEBUG = False
DEMO_MODE = False
OPENPRACTICE_PRODUCTION = True

SECRET_KEY = env("DJANGO_SECRET_KEY") or ""
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("insecure"):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) must be set to 50+ random characters.")
if not env("OPENPRACTICE_FIELD_KEYS"):
    raise ImproperlyConfigured("OPENPRACTICE_FIELD_KEYS (or _FILE) must be set: it encrypts SSNs, bank details, salaries.")
OPENPRACTICE_FIELD_KEYS = env_list("OPENPRACTICE_FIELD_KEYS")
# Fail at start-up, not at the first encrypted save; and never run on the development key published in base.py.
for _position, _key in enumerate(OPENPRACTICE_FIELD_KEYS, start=1):
    try:
        Fernet(_key)
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            f"OPENPRACTICE_FIELD_KEYS key #{_position} is not a Fernet key; make one with `openpractice crypto generate-key`."
        ) from None
    if _key == _DEVELOPMENT_FIELD_KEY:
        raise ImproperlyConfigured("OPENPRACTICE_FIELD_KEYS holds the public development key; generate a real one.")
if not env("DATABASE_URL"):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL in production.")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
# Load balancers probe the app server directly over plain HTTP; these two answer without a redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# Set here, not inherited: base.py chose its mail backend while OPENPRACTICE_DEMO was still on, and demo
# mode's Outbox would keep patients' and staff's mail inside the app instead of sending it.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
