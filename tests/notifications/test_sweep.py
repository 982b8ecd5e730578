"""The unsent-email sweep publishes each email once per delivery lifetime, never a pile."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from notifications.models import Event, Notification
from notifications.services import notification_sweep_unsent
from notifications.tasks import EMAIL_DELIVERY_LIFETIME

pytestmark = pytest.mark.django_db


def test_a_delivery_in_flight_is_left_alone_until_its_lifetime_has_passed(shopper):
    start = timezone.now()
    notification = Notification.objects.create(
        user=shopper, event=Event.QC_PASSED, title="Stuck", created_at=start - timedelta(minutes=10)
    )

    with time_machine.travel(start, tick=False):
        assert notification_sweep_unsent() == 1  # never handed to the broker
        assert notification_sweep_unsent() == 0  # now in flight
    with time_machine.travel(start + EMAIL_DELIVERY_LIFETIME - timedelta(seconds=1), tick=False):
        assert notification_sweep_unsent() == 0
    with time_machine.travel(start + EMAIL_DELIVERY_LIFETIME + timedelta(seconds=1), tick=False):
        assert notification_sweep_unsent() == 1  # its delivery is over without sending: again

    notification.refresh_from_db()
    assert notification.email_queued_at == start + EMAIL_DELIVERY_LIFETIME + timedelta(seconds=1)
    assert mail.outbox == []  # the memory broker has no worker: nothing was sent meanwhile


def test_the_delivery_lifetime_covers_every_retry_at_its_longest():
    # 8 retries waiting 5, 10, ..., 600 s (1235 s), 9 attempts of at most 150 s (1350 s).
    assert timedelta(seconds=1235 + 1350) == EMAIL_DELIVERY_LIFETIME
