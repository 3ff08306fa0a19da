"""Tests: fast hashing, tasks run at once, mail kept in memory unless a test points it at a real SMTP server."""

import os

from .base import *  # noqa: F403
from .base import BASE_DIR, HUEY

DEBUG = False
DEMO_MODE = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
HUEY = {**HUEY, "huey_class": "huey.MemoryHuey", "immediate": True}
HUEY.pop("filename", None)
HUEY.pop("url", None)
OPENPRACTICE_FIELD_KEYS = ["dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktMDAwMDA=", "b2xkLWtleS1vbGQta2V5LW9sZC1rZXktb2xkLWtleS0="]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
OPENPRACTICE_ICD10_DIR = BASE_DIR / "var" / "test-icd10-none"  # only the packaged ICD-10-CM release in tests
# Each pytest-xdist worker writes its files (837P batches are named by interchange number, which starts at 1 in every
# worker's test database) under its own data directory, unless a test's subprocess names one.
if not os.environ.get("OPENPRACTICE_DATA_DIR"):
    DATA_DIR = BASE_DIR / "var" / f"test-data-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
# Each test process keeps its own cache (cleared before every test): a figure cached by one test's data must never
# answer another's, nor another worker's.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# API rate limits high enough that no test trips them (the throttling tests lower them with override_settings).
OPENPRACTICE_API_RATE_LIMIT = "100000/min"
OPENPRACTICE_API_WRITE_RATE_LIMIT = "100000/min"
# The webhook tests deliver to a receiver on 127.0.0.1 over http.
OPENPRACTICE_WEBHOOKS_ALLOW_PRIVATE = True
