"""/metrics: refused without the token or an allowed address; requests, queries and the site's
own gauges for those allowed."""

from datetime import timedelta

import pytest
from celery import current_app
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from ledger.models import Account
from notifications.models import Event, Notification
from ops.broker import queue_names
from ops.checks import metrics_allowed_ips_check
from ops.collectors import SiteCollector
from ops.tasks import check_ledger
from orders.models import Order
from qc.models import QCPhoto
from tests.factories import OrderFactory, paid_order
from tests.qc.conftest import add_photos
from tests.tickets.conftest import TicketFactory

TOKEN = "scrape-token-0123456789abcdef"
SCRAPER = {"HTTP_HOST": "10.0.3.7:8000", "REMOTE_ADDR": "10.0.9.9"}


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = ["10.0.8.0/24", "192.0.2.10"]


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **{**SCRAPER, **headers})
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_metrics_are_off_unless_configured(client):
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **SCRAPER).status_code == 404


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_AUTHORIZATION": "Bearer wrong-token"},
        {"HTTP_AUTHORIZATION": f"Basic {TOKEN}"},
        {"HTTP_AUTHORIZATION": "Bearer "},
        # The proxy's word about the client is not the peer's address.
        {"HTTP_X_FORWARDED_FOR": "10.0.8.5"},
    ],
)
def test_metrics_refuse_anyone_else(client, metrics_on, headers):
    response = client.get("/metrics", **{**SCRAPER, **headers})
    assert response.status_code == 403
    assert b"cssbuy" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "credentials",
    [{"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}, {"REMOTE_ADDR": "10.0.8.77"}, {"REMOTE_ADDR": "192.0.2.10"}],
)
def test_metrics_answer_the_token_or_an_allowed_address(client, metrics_on, credentials):
    assert ("cssbuy_qc_backlog_orders", ()) in scrape(client, **credentials)


@pytest.mark.django_db
def test_requests_and_their_queries_are_counted(client, metrics_on, shopper):
    labels = {"method": "GET", "route": "orders/", "status": "200"}
    before = REGISTRY.get_sample_value("cssbuy_http_requests_total", labels) or 0
    queries_before = REGISTRY.get_sample_value("cssbuy_db_queries_total") or 0
    client.force_login(shopper)
    assert client.get("/orders/").status_code == 200
    assert REGISTRY.get_sample_value("cssbuy_http_requests_total", labels) == before + 1
    assert REGISTRY.get_sample_value("cssbuy_db_queries_total") > queries_before
    samples = scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert samples[("cssbuy_http_requests_total", tuple(sorted(labels.items())))] == before + 1
    assert samples[("cssbuy_http_request_duration_seconds_count", (("method", "GET"), ("route", "orders/")))] >= 1


def _site_gauges() -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in SiteCollector().collect()
        for sample in family.samples
    }


@pytest.mark.django_db
def test_backlogs_are_counted_with_their_oldest_age(client, metrics_on, inspector, shopper):
    now = timezone.now()
    OrderFactory(status=Order.Status.AWAITING_QC, status_changed_at=now - timedelta(hours=2))
    OrderFactory(status=Order.Status.AWAITING_QC, status_changed_at=now - timedelta(minutes=5))
    OrderFactory(status=Order.Status.STORED, status_changed_at=now - timedelta(days=9))
    inspection = _open_round(inspector)
    waiting, ready = add_photos(inspection, 2, by=inspector, ready=False)
    QCPhoto.objects.filter(pk=waiting.pk).update(created_at=now - timedelta(minutes=30))
    from qc.services import photo_make_renditions

    photo_make_renditions(photo_id=ready.pk)
    Notification.objects.create(user=shopper, event=Event.QC_FAILED, title="a", created_at=now - timedelta(minutes=20))
    Notification.objects.create(user=shopper, event=Event.QC_FAILED, title="b", emailed_at=now)
    Notification.objects.create(user=shopper, event=Event.QC_FAILED, title="c", email_wanted=False)
    TicketFactory(shopper=shopper, first_response_due=now - timedelta(hours=1))
    TicketFactory(shopper=shopper, first_response_due=now + timedelta(hours=1))

    samples = scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert samples[("cssbuy_qc_backlog_orders", ())] == 3  # the two above and the inspected one
    assert 2 * 3600 <= samples[("cssbuy_qc_backlog_orders_oldest_age_seconds", ())] < 2 * 3600 + 60
    assert samples[("cssbuy_renditions_pending_photos", ())] == 1
    assert 30 * 60 <= samples[("cssbuy_renditions_pending_photos_oldest_age_seconds", ())] < 31 * 60
    assert samples[("cssbuy_notifications_unsent", ())] == 1
    assert 20 * 60 <= samples[("cssbuy_notifications_unsent_oldest_age_seconds", ())] < 21 * 60
    assert samples[("cssbuy_tickets_first_response_overdue", ())] == 1
    # The in-memory broker of the tests is not measured; the ledger check has not run yet.
    assert not any(name == "cssbuy_celery_queue_length" for name, _labels in samples)
    assert not any(name.startswith("cssbuy_ledger_check") for name, _labels in samples)
    assert samples[("cssbuy_metrics_group_up", (("group", "celery_queues"),))] == 1


def _open_round(inspector):
    from qc.services import inspection_open

    return inspection_open(order=OrderFactory(status=Order.Status.AWAITING_QC), by=inspector)


@pytest.mark.django_db
def test_empty_backlogs_read_zero(db):
    gauges = _site_gauges()
    assert gauges[("cssbuy_qc_backlog_orders", ())] == 0
    assert gauges[("cssbuy_qc_backlog_orders_oldest_age_seconds", ())] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 30])
def test_the_gauges_cost_four_queries_whatever_the_rows(django_assert_num_queries, inspector, shopper, rows):
    for _ in range(rows):
        OrderFactory(status=Order.Status.AWAITING_QC)
        Notification.objects.create(user=shopper, event=Event.QC_FAILED, title="x")
        TicketFactory(shopper=shopper, first_response_due=timezone.now() - timedelta(hours=1))
    add_photos(_open_round(inspector), rows, by=inspector, ready=False)
    with django_assert_num_queries(4):
        _site_gauges()


@pytest.mark.django_db
def test_queue_lengths_are_read_from_redis(redis_broker):
    for photo_id in range(3):
        check_ledger.apply_async(kwargs={}, priority=photo_id * 4)  # the priority sub-queues count too
    gauges = _site_gauges()
    assert gauges[("cssbuy_celery_queue_length", (("queue", "default"),))] == 3


@pytest.mark.django_db
def test_an_unreachable_broker_hides_only_the_queue_lengths(broker_at):
    broker_at("redis://127.0.0.1:9/0")  # the discard port: nothing answers
    gauges = _site_gauges()
    assert gauges[("cssbuy_metrics_group_up", (("group", "celery_queues"),))] == 0
    assert gauges[("cssbuy_metrics_group_up", (("group", "qc"),))] == 1
    assert ("cssbuy_qc_backlog_orders", ()) in gauges


@pytest.mark.django_db
def test_the_periodic_ledger_check_feeds_the_metrics(caplog, shopper):
    order = paid_order(shopper=shopper)
    assert check_ledger() == 0
    gauges = _site_gauges()
    assert gauges[("cssbuy_ledger_check_violations", ())] == 0
    ran_at = gauges[("cssbuy_ledger_check_last_run_timestamp_seconds", ())]
    assert abs(ran_at - timezone.now().timestamp()) < 60

    # A cached balance that no longer matches its entries is found, logged and counted.
    Account.objects.filter(user=order.shopper).update(balance=12345)
    assert check_ledger() == 1
    assert _site_gauges()[("cssbuy_ledger_check_violations", ())] == 1
    assert any(r.levelname == "ERROR" and "caches 12345" in r.getMessage() for r in caplog.records)


def test_every_queue_tasks_go_to_is_measured():
    previous = current_app.conf.task_routes
    current_app.conf.task_routes = {"notifications.tasks.*": {"queue": "email"}}
    try:
        assert queue_names() == ["default", "email"]
    finally:
        current_app.conf.task_routes = previous


def test_a_mistyped_allowed_address_stops_the_start(settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8", "10.0.0.300"]
    assert [error.id for error in metrics_allowed_ips_check(None)] == ["ops.E001"]
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8", "::1"]
    assert metrics_allowed_ips_check(None) == []
