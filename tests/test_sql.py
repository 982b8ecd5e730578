"""common.sql: the statements written out for the payment path read and write what the ORM would."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from common import sql
from notifications.models import Event, Notification, NotificationPreference
from notifications.services import notify
from orders.models import Order, OrderEvent
from tests.factories import OrderFactory, UserFactory
from tests.races import in_thread

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_the_locked_row_and_its_shopper_are_what_the_orm_reads(shopper, django_assert_num_queries):
    order = OrderFactory(
        shopper=shopper,
        unit_price=Decimal("129.50"),
        decision_deadline=timezone.now() + timedelta(hours=5),
        option_text="M / sage",
    )
    shopper.time_zone, shopper.display_name = "Asia/Shanghai", "Wang Fang"
    shopper.save()
    orm = Order.objects.select_for_update(of=("self",)).select_related("shopper").get(pk=order.pk)

    with transaction.atomic(), django_assert_num_queries(1):
        locked = sql.locked_with(Order, order.pk, related="shopper")
        assert _fields(locked) == _fields(orm)
        assert _fields(locked.shopper) == _fields(orm.shopper)  # no query: read with the row
        assert locked._loaded_values == orm._loaded_values  # what `changed_fields` compares with
    assert not locked._state.adding and locked.get_status_display() == orm.get_status_display()
    with transaction.atomic():
        assert sql.locked_with(Order, order.pk + 1000, related="shopper") is None


def _try_lock(table: str, pk: int) -> bool:
    """Whether another connection can lock this row now (NOWAIT: it never waits)."""

    def attempt() -> bool:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE NOWAIT", [pk])  # noqa: S608
        return True

    outcome = in_thread(attempt)()
    if isinstance(outcome, OperationalError):
        return False
    return outcome


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_row_is_locked_until_the_transaction_ends_and_only_that_row(shopper):
    order, other = OrderFactory(shopper=shopper), OrderFactory(shopper=shopper)
    with transaction.atomic():
        sql.locked_with(Order, order.pk, related="shopper")
        assert not _try_lock("orders_order", order.pk)
        assert _try_lock("orders_order", other.pk) and _try_lock("accounts_user", shopper.pk)
    assert _try_lock("orders_order", order.pk)


def test_an_inserted_row_is_the_one_save_writes(shopper, support):
    order = OrderFactory(shopper=shopper)
    written = sql.insert(OrderEvent(order=order, transition="purchase", actor=support, note="Bought"))
    assert written.pk and not written._state.adding
    saved = OrderEvent.objects.create(order=order, transition="purchase", actor=support, note="Bought")
    read = OrderEvent.objects.get(pk=written.pk)
    fields = set(_fields(read)) - {"id", "created_at"}
    assert {name: _fields(read)[name] for name in fields} == {name: _fields(saved)[name] for name in fields}
    assert abs(read.created_at - saved.created_at) < timedelta(minutes=1)  # the default was applied
    assert read.shopper_visible is True and read.from_status == ""


def test_a_notification_wants_email_unless_that_user_turned_that_event_off(shopper):
    other = UserFactory()
    NotificationPreference.objects.create(user=other, event=Event.ORDER_PAID, email=False)
    NotificationPreference.objects.create(user=shopper, event=Event.QC_PASSED, email=False)
    NotificationPreference.objects.create(user=shopper, event=Event.QC_FAILED, email=True)
    with transaction.atomic():
        facts = {"facts": [{"label": "A", "text": "1"}]}
        paid = notify(user=shopper, event=Event.ORDER_PAID, title="Paid", details=facts)
        passed = notify(user=shopper, event=Event.QC_PASSED, title="Passed")
        failed = notify(user=shopper, event=Event.QC_FAILED, title="Failed")
    assert (paid.email_wanted, passed.email_wanted, failed.email_wanted) == (True, False, True)
    stored = Notification.objects.get(pk=paid.pk)
    assert stored.details == {"facts": [{"label": "A", "text": "1"}]} and stored.title == "Paid"
    assert stored.email_wanted is True and stored.read_at is None and stored.emailed_at is None
    assert Notification.objects.get(pk=passed.pk).email_wanted is False


def test_an_update_writes_those_fields_only_while_the_row_holds_the_status_read(shopper):
    order = OrderFactory(shopper=shopper, product_title="Linen shirt")
    with transaction.atomic():
        locked = sql.locked_with(Order, order.pk, related="shopper")
        Order.objects.filter(pk=order.pk).update(product_title="Changed elsewhere")
        locked.option_text, locked.domestic_tracking = "L / navy", "SF123"
        assert sql.update(locked, ["option_text", "domestic_tracking"], where={"status": Order.Status.PENDING_PAYMENT})
        assert locked.changed_fields() == []  # what was read now includes what was written
        assert not sql.update(locked, ["option_text"], where={"status": Order.Status.PAID})  # not its status
    stored = Order.objects.get(pk=order.pk)
    assert (stored.option_text, stored.domestic_tracking) == ("L / navy", "SF123")
    assert stored.product_title == "Changed elsewhere"  # a field not named is left as it is
