"""Probes and the metrics scrape (routed by ops.middleware.ProbeMiddleware, not by urls.py)."""

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseNotFound, JsonResponse

from . import health
from .metrics import CONTENT_TYPE, exposition

SAFE_METHODS = ("GET", "HEAD")


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    """The process is alive and answers; nothing else is checked (no database)."""
    if request.method not in SAFE_METHODS:
        return HttpResponseNotAllowed(SAFE_METHODS)
    return _private(HttpResponse("ok\n", content_type="text/plain; charset=utf-8"))


def readyz(request: HttpRequest) -> HttpResponse:
    """200 when this node can serve (database, migrations, broker, storage), else 503."""
    if request.method not in SAFE_METHODS:
        return HttpResponseNotAllowed(SAFE_METHODS)
    checks = health.readiness()
    ready = all(status == health.OK for status in checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    return _private(JsonResponse(body, status=200 if ready else 503))


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, for a scraper holding METRICS_TOKEN (as a bearer token) or
    connecting from an address in METRICS_ALLOWED_IPS. Off (404) when neither is set; 403 to
    anyone else."""
    if not (settings.METRICS_TOKEN or settings.METRICS_ALLOWED_IPS):
        return HttpResponseNotFound()
    if request.method not in SAFE_METHODS:
        return HttpResponseNotAllowed(SAFE_METHODS)
    if not (_has_token(request) or _from_allowed_address(request)):
        return _private(HttpResponse("forbidden\n", status=403, content_type="text/plain; charset=utf-8"))
    return _private(HttpResponse(exposition(), content_type=CONTENT_TYPE))


def _has_token(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(token.encode(), expected.encode())


def _from_allowed_address(request: HttpRequest) -> bool:
    # The direct peer only: a forwarded-for header is the client's word, and the proxy's own
    # address must never be on this list (the proxy should not pass /metrics at all).
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(peer in ipaddress.ip_network(allowed, strict=False) for allowed in settings.METRICS_ALLOWED_IPS)
