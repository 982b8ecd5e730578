"""Order changes reach the shopper's mailbox through a real Redis broker and a real worker."""

import statistics
import time

import pytest
from django.urls import reverse

from notifications.models import Notification
from notifications.tasks import sweep_unsent_notifications
from orders import services
from orders.models import Order
from tests.factories import OrderFactory
from tests.integration.conftest import mail_count, wait_for_mail
from tests.services import _free_port, use_broker

pytestmark = pytest.mark.integration
S = Order.Status


def test_a_status_change_is_emailed_by_the_worker_within_seconds(celery_worker, mail_dir, support, shopper):
    """Also the figure for the closing note: the median from commit to the email file."""
    orders = OrderFactory.create_batch(10, shopper=shopper, status=S.PAID)
    latencies = []

    for i, order in enumerate(orders, start=1):
        committed = time.time()
        services.order_purchase(order=order, by=support)  # commits: no transaction around the test
        arrived = wait_for_mail(mail_dir, i)
        latencies.append(time.time() - committed)  # seen by polling: an upper bound
        assert arrived == i, f"email {i} did not arrive"

    median = statistics.median(latencies)
    print(f"\nMedian commit -> email file over 10 status changes: {median * 1000:.0f} ms")
    assert median < 3
    text = "".join(path.read_text() for path in mail_dir.glob("*.log"))
    assert "To: shopper@example.com" in text
    assert "We bought" in text
    time.sleep(0.5)  # the last `emailed_at` commits just after its file is written
    assert Notification.objects.filter(user=shopper, emailed_at__isnull=False).count() == 10


def test_with_the_broker_down_the_request_succeeds_fast_and_the_sweep_delivers_later(
    celery_worker, redis_broker, mail_dir, client, support, shopper
):
    order = OrderFactory(shopper=shopper, status=S.PAID)
    client.force_login(support)
    use_broker(f"redis://127.0.0.1:{_free_port()}/0")  # nothing listens there

    started = time.monotonic()
    response = client.post(
        reverse("admin:orders_order_transition", args=[order.pk, "purchase"]), {"expected_status": S.PAID}
    )
    elapsed = time.monotonic() - started

    print(f"\nRequest with the broker down: {elapsed * 1000:.0f} ms")
    assert response.status_code == 302
    assert elapsed < 2, f"the request took {elapsed:.2f} s with the broker down"
    assert Order.objects.get(pk=order.pk).status == S.PURCHASED
    notification = Notification.objects.get(user=shopper)
    assert notification.emailed_at is None
    assert mail_count(mail_dir) == 0

    use_broker(redis_broker)  # the broker is back; beat would run the sweep every minute
    sweep_unsent_notifications.delay()

    assert wait_for_mail(mail_dir, 1) == 1
    deadline = time.monotonic() + 5  # the worker commits `emailed_at` just after writing the file
    while notification.emailed_at is None and time.monotonic() < deadline:
        time.sleep(0.05)
        notification.refresh_from_db()
    assert notification.emailed_at is not None
    sweep_unsent_notifications.delay()  # a second sweep sends nothing more
    time.sleep(1)
    assert mail_count(mail_dir) == 1
