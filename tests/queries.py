"""Pinned query counts: every page runs an exact number of queries, so a constant regression
(five more queries on every visit) fails a test, besides the "same for 1 and N rows" checks."""

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache


def get_in_queries(client, url: str, queries: int, django_assert_num_queries) -> str:
    """GET `url` in exactly `queries` queries, as a first visit (the in-process caches of
    content types and rendered fragments cold), expect a 200, and return the body."""
    ContentType.objects.clear_cache()
    cache.clear()
    with django_assert_num_queries(queries):
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200, (url, response.status_code)
    return body.decode()
