"""Who a login attempt comes from, as django-axes counts it (AXES_CLIENT_IP_CALLABLE and
AXES_USERNAME_CALLABLE).

Failures lock one user name from one client address, so the client address must be the real
one: behind AXES_IPWARE_PROXY_COUNT proxies, each of which appends the address it was reached
from to X-Forwarded-For, the client is that many entries from the right. Entries further left
were sent by the client itself and prove nothing.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    proxies = settings.AXES_IPWARE_PROXY_COUNT or 0
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            try:
                return str(ipaddress.ip_address(forwarded[-proxies]))
            except ValueError:
                pass  # not an address (the column is an inet); count it as the proxy's
    # No proxy configured, or a request that did not come through all of them.
    return request.META.get("REMOTE_ADDR", "")


def login_username(request: HttpRequest, credentials: dict | None) -> str:
    """The user name as the login form matches it: emails are compared without case."""
    username = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD) or request.POST.get(
        settings.AXES_USERNAME_FORM_FIELD, ""
    )
    return username.strip().lower()
