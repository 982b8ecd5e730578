"""Order changes reach the shopper's mailbox through a real Redis broker and a real worker.

Every wait here is for an event (an email file, a committed row); how long things took is
printed as a figure, never asserted: a busy machine must not fail the suite.
"""

import logging
import statistics
import time

import pytest
from django.urls import reverse

from common import publishing
from notifications.models import Notification
from notifications.tasks import send_notification_email, sweep_unsent_notifications
from orders import services
from orders.models import Order
from tests.factories import OrderFactory
from tests.integration.conftest import mail_count, mail_messages, wait_for_mail, wait_until
from tests.services import _free_port, use_broker

pytestmark = pytest.mark.integration
S = Order.Status


def _emailed(user) -> int:
    return Notification.objects.filter(user=user, emailed_at__isnull=False).count()


def test_each_status_change_is_emailed_once_by_the_worker(celery_worker, mail_dir, support, shopper):
    """Also the figure for the closing note: the median from commit to the email file."""
    orders = OrderFactory.create_batch(10, shopper=shopper, status=S.PAID)
    latencies = []

    for i, order in enumerate(orders, start=1):
        committed = time.monotonic()
        services.order_purchase(order=order, by=support)  # commits: no transaction around the test
        assert wait_for_mail(mail_dir, i) == i
        latencies.append(time.monotonic() - committed)  # seen by polling: an upper bound

    print(f"\nMedian commit -> email file over 10 status changes: {statistics.median(latencies) * 1000:.0f} ms")
    messages = mail_messages(mail_dir)
    assert all("To: shopper@example.com" in message and "We bought" in message for message in messages)
    assert {number for number in (o.number for o in orders) if any(number in m for m in messages)} == {
        o.number for o in orders
    }
    # The worker commits `emailed_at` just after it writes the file.
    wait_until(lambda: _emailed(shopper) == 10, "10 notifications marked emailed")


def test_with_the_broker_down_the_request_succeeds_and_the_sweep_delivers_later(
    celery_worker, redis_broker, mail_dir, client, support, shopper, caplog
):
    order, later = OrderFactory.create_batch(2, shopper=shopper, status=S.PAID)
    client.force_login(support)
    use_broker(f"redis://127.0.0.1:{_free_port()}/0")  # nothing listens there

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="common.publishing"):
        response = client.post(
            reverse("admin:orders_order_transition", args=[order.pk, "purchase"]), {"expected_status": S.PAID}
        )
        print(f"\nRequest with the broker down: {(time.monotonic() - started) * 1000:.0f} ms")
        assert publishing.wait_idle(timeout=60)

    assert response.status_code == 302
    assert "left to the sweep" in caplog.text  # the background publish failed once and gave up
    assert Order.objects.get(pk=order.pk).status == S.PURCHASED
    notification = Notification.objects.get(user=shopper)
    assert notification.emailed_at is None
    assert notification.email_queued_at is None  # never reached the broker: the sweep's to send
    assert mail_count(mail_dir) == 0

    use_broker(redis_broker)  # the broker is back; beat would run the sweep every minute
    sweep_unsent_notifications.delay()
    assert wait_for_mail(mail_dir, 1) == 1
    wait_until(lambda: _emailed(shopper) == 1, "the notification marked emailed")

    # Sent at most once: a second sweep and a duplicate task send nothing more. The solo worker
    # takes tasks in order, so once the email of a later change arrives, both have run.
    sweep_unsent_notifications.delay()
    send_notification_email.delay(notification_id=notification.pk)
    services.order_purchase(order=later, by=support)
    assert wait_for_mail(mail_dir, 2) == 2
    messages = mail_messages(mail_dir)
    assert [order.number in m for m in messages].count(True) == 1
    assert [later.number in m for m in messages].count(True) == 1
