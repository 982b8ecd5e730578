"""HTML kept in the cache for a signed-in person, and given back with this response's CSRF token.

A page part rendered for one person can be reused until what it shows changes, except for the
CSRF token in its forms: each response must carry a token of the session it goes to. Such parts
are rendered with CSRF_PLACEHOLDER as their `csrf_token` and `with_csrf_token` puts the
response's own token in its place.
"""

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.crypto import salted_hmac
from django.utils.safestring import SafeString, mark_safe

# Derived from SECRET_KEY: the same in every process, and not something a shopper could type
# into a field that a kept part shows.
CSRF_PLACEHOLDER = "csrf-" + salted_hmac("common.kept_html", "csrf placeholder").hexdigest()[:32]


def with_csrf_token(html: str, request: HttpRequest) -> SafeString:
    """Kept HTML (our own rendering) with this response's CSRF token in the placeholder's place."""
    token = getattr(request, "_kept_html_csrf_token", None)
    if token is None:  # one masked token for all the kept parts of a response (masking is not free)
        token = request._kept_html_csrf_token = get_token(request)
    return mark_safe(html.replace(CSRF_PLACEHOLDER, token))  # noqa: S308 - our own rendering
