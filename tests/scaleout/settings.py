"""The settings of the scale-out test's nodes: production's, read from the environment, with the
two test conveniences every test process has (tests/conftest.py): static files from their
sources (no collectstatic) and the fast password hasher the test users were made with."""

from cssbuy_qc.settings import *  # noqa: F403

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
