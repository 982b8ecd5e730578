"""`{% site_header %}`: the header of every page, from the cache for a signed-in person.

Everything the header shows is in the key: who it is for (name, address, staff or not), the
language, the page (its address, for the language switch, and which link is current), the
balance and the unread count (the two queries it would run anyway). So it is never stale; it
is only not rendered again. Its forms (log out, language) get this response's CSRF token, or
keep the placeholder when the page around it is rendered to be kept itself (its `csrf_token` is
the placeholder; orders.page_cache).
"""

import hashlib

from django import template
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from common.kept_html import CSRF_PLACEHOLDER, with_csrf_token

register = template.Library()
KEEP_SECONDS = 600
TEMPLATE = "components/site_header.html"


@register.simple_tag(takes_context=True)
def site_header(context) -> str:
    request = context["request"]
    user = request.user
    if not user.is_authenticated:
        return render_to_string(TEMPLATE, context.flatten(), request=request)
    match = request.resolver_match
    balance, unread = context.get("wallet_balance"), context.get("unread_notifications")
    shown = [
        user.pk, user.display_name, user.email, user.is_staff, get_language(), request.get_full_path(),
        match.app_name if match else "", match.url_name if match else "",
        balance() if callable(balance) else balance, None if unread is None else str(unread),
    ]  # fmt: skip
    key = "site-header:" + hashlib.sha256(repr(shown).encode()).hexdigest()
    html = cache.get(key)
    if html is None:
        html = render_to_string(TEMPLATE, {**context.flatten(), "csrf_token": CSRF_PLACEHOLDER}, request=request)
        cache.set(key, html, KEEP_SECONDS)
    if context.get("csrf_token") == CSRF_PLACEHOLDER:
        return mark_safe(html)  # noqa: S308 - a page kept whole (orders.page_cache) gets its token when served
    return with_csrf_token(html, request)
