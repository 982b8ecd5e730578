"""The site's own gauges, computed when Prometheus scrapes: a handful of aggregate queries and
one broker round trip per queue, whatever the amount of data.

Each group is one function yielding its metric families; a group that fails (the broker is
down) is reported by `cssbuy_metrics_group_up` = 0 instead of failing the whole scrape.
"""

import logging
from collections.abc import Callable, Iterator
from datetime import datetime

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from . import broker, selectors
from .ledger import ledger_check_last

logger = logging.getLogger(__name__)


def _age_seconds(since: datetime | None, now: datetime) -> float:
    return max((now - since).total_seconds(), 0.0) if since is not None else 0.0


def _backlog_gauges(name: str, what: str, backlog: selectors.Backlog, now: datetime) -> Iterator[Metric]:
    """`cssbuy_<name>` (how many `what`) and `cssbuy_<name>_oldest_age_seconds` (0 when none)."""
    yield GaugeMetricFamily(f"cssbuy_{name}", f"How many {what}.", value=backlog.count)
    yield GaugeMetricFamily(
        f"cssbuy_{name}_oldest_age_seconds",
        f"Seconds the oldest of the {what} has waited; 0 when there is none.",
        value=_age_seconds(backlog.oldest, now),
    )


def qc_metrics(now: datetime) -> Iterator[Metric]:
    yield from _backlog_gauges("qc_backlog_orders", "orders awaiting QC", selectors.qc_backlog(), now)


def renditions_metrics(now: datetime) -> Iterator[Metric]:
    """Photos waiting for their renditions. (Photos whose renditions failed for good get their
    own gauge here once QCPhoto records that state.)"""
    yield from _backlog_gauges(
        "renditions_pending_photos", "photos whose renditions are not made yet", selectors.renditions_pending(), now
    )


def notifications_metrics(now: datetime) -> Iterator[Metric]:
    unsent = selectors.notifications_unsent()
    yield from _backlog_gauges("notifications_unsent", "notifications with a wanted email not sent", unsent, now)


def tickets_metrics(now: datetime) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "cssbuy_tickets_first_response_overdue",
        "Open tickets past their first-response deadline without an answer.",
        value=selectors.tickets_first_response_overdue(now=now),
    )


def queue_metrics(now: datetime) -> Iterator[Metric]:
    lengths = broker.queue_lengths()
    if lengths is None:
        return
    family = GaugeMetricFamily("cssbuy_celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"])
    for name, length in lengths.items():
        family.add_metric([name], length)
    yield family


def ledger_metrics(now: datetime) -> Iterator[Metric]:
    last = ledger_check_last()
    if last is None:
        return  # never run (or the cache was emptied): alert on the metric's absence
    yield GaugeMetricFamily(
        "cssbuy_ledger_check_violations",
        "Violations found by the last periodic ledger check.",
        value=last["violations"],
    )
    yield GaugeMetricFamily(
        "cssbuy_ledger_check_last_run_timestamp_seconds",
        "When the last periodic ledger check ran (Unix time).",
        value=last["ran_at"],
    )


GROUPS: dict[str, Callable[[datetime], Iterator[Metric]]] = {
    "qc": qc_metrics,
    "renditions": renditions_metrics,
    "notifications": notifications_metrics,
    "tickets": tickets_metrics,
    "celery_queues": queue_metrics,
    "ledger": ledger_metrics,
}


class SiteCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        up = GaugeMetricFamily(
            "cssbuy_metrics_group_up", "Whether a group of the site's metrics could be read.", labels=["group"]
        )
        for name, group in GROUPS.items():
            try:
                families = list(group(now))
            except Exception:  # one unreadable source must not hide the others
                logger.warning("Metrics group %s could not be read", name, exc_info=True)
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            yield from families
        yield up
