"""The decision window's reminder and expiry, with time travel."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from notifications.models import Event, Notification
from orders.models import Order
from orders.services import order_fail_qc
from orders.tasks import expire_due_decisions, remind_due_decisions
from tests.factories import OrderFactory

S = Order.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_order(inspector, settings):
    settings.QC_DECISION_HOURS = 120
    settings.QC_REMINDER_HOURS = 24
    order = OrderFactory(status=S.AWAITING_QC)
    order_fail_qc(order=order, by=inspector)
    order.refresh_from_db()
    return order


def test_one_reminder_24_hours_before_the_deadline(failed_order):
    start = timezone.now()
    with time_machine.travel(start + timedelta(hours=95), tick=False):
        assert remind_due_decisions.apply().get() == 0
    with time_machine.travel(start + timedelta(hours=97), tick=False):
        assert remind_due_decisions.apply().get() == 1
        assert remind_due_decisions.apply().get() == 0  # running it again changes nothing

    reminders = Notification.objects.filter(user=failed_order.shopper, event=Event.DECISION_REMINDER)
    assert reminders.count() == 1
    assert "Reminder: decide on" in reminders.get().title


def test_when_the_deadline_passes_the_item_is_stored_with_a_reason(failed_order):
    start = timezone.now()
    with time_machine.travel(start + timedelta(hours=119), tick=False):
        assert expire_due_decisions.apply().get() == 0
    with time_machine.travel(start + timedelta(hours=121), tick=False):
        assert expire_due_decisions.apply().get() == 1
        assert expire_due_decisions.apply().get() == 0

    failed_order.refresh_from_db()
    assert failed_order.status == S.STORED
    last = failed_order.events.latest("id")
    assert (last.transition, last.actor) == ("expire_decision", None)
    assert "closed without a choice" in last.note
    assert Notification.objects.filter(user=failed_order.shopper, event=Event.DECISION_CLOSED).count() == 1


def test_a_decided_order_is_neither_reminded_nor_expired(failed_order, shopper):
    from orders.services import order_keep

    order_keep(order=failed_order, by=failed_order.shopper)
    with time_machine.travel(timezone.now() + timedelta(hours=200), tick=False):
        assert remind_due_decisions.apply().get() == 0
        assert expire_due_decisions.apply().get() == 0


def test_one_failing_order_does_not_stop_the_others(inspector, monkeypatch, caplog):
    from orders import services

    orders = [OrderFactory(status=S.AWAITING_QC) for _ in range(3)]
    for order in orders:
        order_fail_qc(order=order, by=inspector)
    real = services.order_expire_due_decision

    def flaky(*, order_id):
        if order_id == orders[1].pk:
            raise RuntimeError("database hiccup")
        return real(order_id=order_id)

    monkeypatch.setattr(services, "order_expire_due_decision", flaky)
    with time_machine.travel(timezone.now() + timedelta(hours=200), tick=False):
        assert expire_due_decisions.apply().get() == 2

    statuses = [Order.objects.get(pk=o.pk).status for o in orders]
    assert statuses == [S.STORED, S.QC_FAILED, S.STORED]
    assert "database hiccup" in caplog.text
