"""Pinned query counts: every page runs an exact number of queries, so a constant regression
(five more queries on every visit) fails a test, besides the "same for 1 and N rows" checks."""

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext


def cold() -> None:
    """As on a first visit: the in-process cache of content types and the cache of rendered
    fragments empty. A count taken after this does not depend on the tests that ran before in
    this process (which would otherwise have warmed them, or not)."""
    ContentType.objects.clear_cache()
    cache.clear()


def get_in_queries(client, url: str, queries: int, django_assert_num_queries) -> str:
    """GET `url` in exactly `queries` queries, as a first visit (see `cold`), expect a 200, and
    return the body."""
    cold()
    with django_assert_num_queries(queries):
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200, (url, response.status_code)
    return body.decode()


def queries_of(client, url: str) -> int:
    """How many queries a first visit to `url` runs (see `cold`); it must answer 200. For the
    checks that a page costs the same at one row as at many."""
    cold()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)
