import logging
import time

from django.db import connection
from django.http import HttpRequest

from . import metrics, request_id, views

access_logger = logging.getLogger("cssbuy.request")

# Answered before any other middleware (see ProbeMiddleware).
PROBES = {"/healthz": views.healthz, "/readyz": views.readyz, "/metrics": views.metrics}


class ProbeMiddleware:
    """Health probes and the metrics scrape, answered first of all.

    Load balancers and Prometheus call a node by its own address, over plain HTTP, without a
    session: answered here, these paths are never refused by ALLOWED_HOSTS (the answers hold no
    host-dependent URL), never redirected to HTTPS, and touch no session, CSRF or login. Nor do
    they count as traffic in the request metrics or the access log.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        probe = PROBES.get(request.path_info)
        if probe is None:
            return self.get_response(request)
        return probe(request)


class RequestContextMiddleware:
    """Give the request its id (echoed in `X-Request-ID`), count its queries, then write its
    access log line and its request metrics."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        rid = request_id.sane(request.headers.get(request_id.HEADER)) or request_id.new()
        request.request_id = rid
        token = request_id.activate(rid)
        started = time.perf_counter()
        queries = metrics.QueryCounter()
        try:
            with connection.execute_wrapper(queries):
                response = self.get_response(request)
            duration = time.perf_counter() - started
            response[request_id.HEADER] = rid
            match = getattr(request, "resolver_match", None)
            route = match.route if match is not None else "<unmatched>"
            metrics.observe_request(
                method=request.method, route=route, status=response.status_code, seconds=duration, queries=queries
            )
            access_logger.info(
                "%s %s %s %sms",
                request.method,
                request.path,
                response.status_code,
                round(duration * 1000, 1),
                extra={
                    "method": request.method,
                    "path": request.path,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(duration * 1000, 1),
                    "db_queries": queries.count,
                    "user_id": _user_id(request),
                },
            )
            return response
        finally:
            request_id.deactivate(token)


def _user_id(request: HttpRequest) -> int | None:
    # Only a user the request already loaded: looking one up here would cost a session query
    # on pages that never needed it. AuthenticationMiddleware caches it in `_cached_user`.
    user = getattr(request, "_cached_user", None)
    return user.pk if user is not None and user.is_authenticated else None
