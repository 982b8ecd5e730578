"""Outages of the broker and of the mail server, with a real Redis and real workers: requests
never wait on the broker, a hung SMTP server stalls only email, and nothing piles up."""

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import redis
from django.urls import reverse
from django.utils import timezone

from bulkjobs.models import BulkJob
from bulkjobs.services import bulk_jobs_sweep
from common import publishing
from cssbuy_qc.celery import app as celery_app
from notifications.models import Notification
from notifications.services import notification_sweep_unsent
from orders import services
from orders.models import Order
from orders.tasks import expire_due_decisions
from tests.factories import OrderFactory
from tests.hung import HungServer
from tests.integration.conftest import use_broker, wait_for_mail, worker

pytestmark = pytest.mark.integration
S = Order.Status
EMAIL_TASK = "notifications.tasks.send_notification_email"


def wait_until(condition, timeout: float = 30.0, every: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def deliveries_in_flight(broker_url: str, task: str) -> int:
    """Deliveries of `task` in the broker: messages waiting in a queue or taken by a worker and
    not yet acknowledged (running, or held until a retry's countdown ends), a task and its
    retries counting as one delivery (they share a root id)."""
    client = redis.Redis.from_url(broker_url)
    payloads = [json.loads(raw)[0] for raw in client.hvals("unacked")]
    for key in client.scan_iter():
        if client.type(key) == b"list" and not key.startswith(b"_kombu"):
            payloads += [json.loads(raw) for raw in client.lrange(key, 0, -1)]
    headers = [payload.get("headers", {}) for payload in payloads]
    return len({header["root_id"] for header in headers if header.get("task") == task})


@contextmanager
def broker_client_without_timeouts() -> Iterator[None]:
    options = celery_app.conf.broker_transport_options
    celery_app.conf.broker_transport_options = {**options, "socket_timeout": None}
    try:
        yield
    finally:
        celery_app.conf.broker_transport_options = options


def test_with_a_hung_broker_a_status_change_returns_at_once_and_the_email_follows(
    celery_worker, fresh_broker, mail_dir, client, support, shopper
):
    order = OrderFactory(shopper=shopper, status=S.PAID)
    client.force_login(support)

    with HungServer() as broker, broker_client_without_timeouts():
        use_broker(f"redis://127.0.0.1:{broker.port}/0")
        started = time.monotonic()
        # The broker client would wait forever: if the request returns at all, it did not wait.
        response = client.post(
            reverse("admin:orders_order_transition", args=[order.pk, "purchase"]), {"expected_status": S.PAID}
        )
        elapsed = time.monotonic() - started
        print(f"\nStatus change with a hung broker: answered in {elapsed * 1000:.0f} ms")
        assert response.status_code == 302
        assert Order.objects.get(pk=order.pk).status == S.PURCHASED
    publishing.wait_idle()  # the hung broker closed: the background publish failed

    use_broker(fresh_broker)  # the broker is back; beat runs the sweep every minute
    assert notification_sweep_unsent(older_than=timedelta(0)) == 1

    assert wait_for_mail(mail_dir, 1) == 1


def test_with_a_hung_broker_a_bulk_action_answers_with_its_progress_page_and_runs_when_the_broker_is_back(
    celery_worker, fresh_broker, client, support
):
    orders = OrderFactory.create_batch(16, status=S.PAID)
    client.force_login(support)

    with HungServer() as broker, broker_client_without_timeouts():
        use_broker(f"redis://127.0.0.1:{broker.port}/0")
        started = time.monotonic()
        response = client.post(
            reverse("admin:orders_order_changelist"),
            {"action": "purchase_selected", "_selected_action": [order.pk for order in orders]},
        )
        elapsed = time.monotonic() - started
        print(f"\nBulk purchase of 16 orders with a hung broker: answered in {elapsed * 1000:.0f} ms")
        job = BulkJob.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:orders_order_bulk_job", args=[job.pk])
    publishing.wait_idle()

    use_broker(fresh_broker)  # the broker is back; beat runs the sweep every minute
    assert bulk_jobs_sweep() == 1
    assert wait_until(lambda: BulkJob.objects.get(pk=job.pk).is_finished)

    job.refresh_from_db()
    assert (job.done, job.changed, job.problems) == (16, 16, [])
    assert set(Order.objects.values_list("status", flat=True)) == {S.PURCHASED}


def test_a_hung_mail_server_stalls_only_email_and_sweeps_do_not_pile_up_deliveries(
    fresh_broker, tmp_path, support, shopper, inspector
):
    """The workers of bin/run-all: one for `default` (deadlines, sweeps), one for `email`."""
    with HungServer() as smtp:
        env = {
            "CELERY_BROKER_URL": fresh_broker,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
            "EMAIL_TIMEOUT": "2",
        }
        with (
            # Stopped at once: what is checked after the block was settled inside it.
            worker(queues="email", log=tmp_path / "email.log", env=env, graceful=False),
            worker(queues="default", log=tmp_path / "default.log", env=env, graceful=False),
        ):
            for order in OrderFactory.create_batch(3, shopper=shopper, status=S.PAID):
                services.order_purchase(order=order, by=support)
            publishing.wait_idle()
            assert wait_until(lambda: smtp.accepted >= 1), "the email worker never tried the mail server"

            for _ in range(3):  # beat would run it every minute
                notification_sweep_unsent(older_than=timedelta(0))
            # A message the worker is fetching (a retry's, every EMAIL_TIMEOUT) is briefly in
            # neither the queue nor the unacked set, so one read can come out one short; a pile-up
            # only ever adds, so the largest of a few reads is the count.
            deliveries = max(deliveries_in_flight(fresh_broker, EMAIL_TASK) for _ in range(5))

            late = OrderFactory(shopper=shopper, status=S.AWAITING_QC)
            services.order_fail_qc(order=late, by=inspector)
            Order.objects.filter(pk=late.pk).update(decision_deadline=timezone.now() - timedelta(minutes=1))
            started = time.monotonic()
            expire_due_decisions.delay()
            expired = wait_until(lambda: Order.objects.get(pk=late.pk).status == S.STORED)
            waited = time.monotonic() - started

    print(f"\nHung SMTP: {deliveries} email deliveries in flight for 3 emails after 3 sweeps;")
    print(f"a due deadline job ran {waited * 1000:.0f} ms after it was sent")
    assert not Notification.objects.filter(emailed_at__isnull=False).exists()
    assert deliveries == 3
    assert expired, "the deadline job did not run while the mail server hung"
