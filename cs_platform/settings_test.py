"""Test settings: the real settings, with the environment a test run needs set first.

Plain http (the live server of the browser tests), fast password hashing, and the dev secret
allowed. Everything else, PostgreSQL and the broker included, is exactly what runs in production.
"""

import os

os.environ.setdefault("CS_ALLOW_DEV_SECRET", "1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

from cs_platform.settings import *  # noqa: E402,F403

DATABASE_APP_MAY_TRUNCATE = True  # pytest-django flushes transactional tests' data with TRUNCATE
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
