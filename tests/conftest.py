import os

# The environment of the test run, set before Django reads its settings.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cssbuy_qc.settings")
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

from tests.services import start_embedded_postgres

if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = start_embedded_postgres()

import django
import pytest

django.setup()

from django.conf import settings as django_settings  # noqa: E402

# Tests serve static files from their sources (no collectstatic), so WhiteNoise looks them up live.
django_settings.WHITENOISE_AUTOREFRESH = True

from tests.factories import InspectorFactory, SupportFactory, UserFactory  # noqa: E402
from tests.s3 import s3_storage, seaweedfs  # noqa: E402, F401 - fixtures shared by the storage tests


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; not for production
    settings.MEDIA_ROOT = str(tmp_path / "media")  # uploads and demo photos never land in var/
    # Tests render templates without running collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def shopper(db):
    return UserFactory(email="shopper@example.com")


@pytest.fixture
def other_shopper(db):
    return UserFactory(email="other@example.com")


@pytest.fixture
def inspector(db):
    return InspectorFactory(email="inspector@example.com")


@pytest.fixture
def support(db):
    return SupportFactory(email="support@example.com")


@pytest.fixture
def shopper_client(client, shopper):
    client.force_login(shopper)
    return client


@pytest.fixture
def support_client(client, support):
    client.force_login(support)
    return client
