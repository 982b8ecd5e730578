"""Prometheus metrics: each web process counts its requests and database queries; the scrape
adds the site's own gauges, computed from the database and the broker at scrape time.

With several gunicorn worker processes, set PROMETHEUS_MULTIPROC_DIR (an empty directory,
emptied whenever the web starts) in the web's environment: each process then writes its counters
there and a scrape, whichever process answers it, adds them all up. The gauges need no such
help: they are read afresh from PostgreSQL and Redis by the process answering the scrape.
"""

import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

from .collectors import SiteCollector

# No `*_created` series beside every counter and histogram: they double the scrape for nothing here.
disable_created_metrics()

CONTENT_TYPE = CONTENT_TYPE_LATEST
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "cssbuy_http_requests_total",
    "HTTP requests answered, by method, URL route and status.",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "cssbuy_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and URL route.",
    ["method", "route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
REQUEST_QUERIES = Histogram(
    "cssbuy_http_request_db_queries",
    "Database queries run by one HTTP request, by URL route.",
    ["route"],
    buckets=(0, 1, 2, 5, 10, 20, 50, 100, 200),
)
DB_QUERIES = Counter("cssbuy_db_queries_total", "Database queries run by web requests.")
DB_QUERY_SECONDS = Histogram(
    "cssbuy_db_query_duration_seconds",
    "Time of one database query run by a web request.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
)


class QueryCounter:
    """A `connection.execute_wrapper`: counts and times the queries of one request."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            DB_QUERIES.inc()
            DB_QUERY_SECONDS.observe(time.perf_counter() - started)


def observe_request(*, method: str, route: str, status: int, seconds: float, queries: QueryCounter) -> None:
    method = method if method in METHODS else "other"  # the label set stays bounded
    REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    REQUEST_SECONDS.labels(method=method, route=route).observe(seconds)
    REQUEST_QUERIES.labels(route=route).observe(queries.count)


def exposition() -> bytes:
    """The text a scrape gets: the web processes' counters, then the site's gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
    else:
        processes = REGISTRY
    site = CollectorRegistry(auto_describe=False)
    site.register(SiteCollector())
    return generate_latest(processes) + generate_latest(site)
