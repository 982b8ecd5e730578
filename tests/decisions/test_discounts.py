"""Keeping a QC-failed item at a discount: what may be asked, the seller's answers, the credit
(once, with its own key, never more than what is left of the payment) and the deadline."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from ledger.models import LedgerTransaction
from ledger.selectors import ledger_violations, order_refundable, statement_entries, wallet_balance
from ledger.services import ledger_post, platform_account, wallet_for
from notifications.models import Event, Notification
from orders.models import Order
from orders.services import OrderActionError, OrderChangedMeanwhile, QuoteChanged
from orders.tasks import expire_due_decisions
from qc.tasks import expire_unanswered_photo_requests
from refunds import services as refunds
from refunds.models import DiscountRequest
from refunds.selectors import order_quote_refund
from tests.decisions.conftest import ask, failed_order

D = Decimal
S = Order.Status
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _ledger_stays_consistent(db):
    yield
    assert ledger_violations() == []


def fresh(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def request_discount(order, amount, **kwargs):
    return refunds.order_request_discount(order=fresh(order), by=order.shopper, amount=D(amount), **kwargs)


def partial_credit(order, amount: str, key: str) -> None:
    """Part of the payment back by another way (a correction support posted for the order)."""
    ledger_post(
        key=key,
        kind="adjustment",
        legs=[(wallet_for(user=order.shopper), D(amount)), (platform_account("order_payments"), -D(amount))],
        description="partial refund",
        order_id=order.pk,
    )


# --- Asking -----------------------------------------------------------------------------------


def test_asking_stops_the_clock_and_waits_for_the_seller(failed, shopper):
    order, discount = request_discount(failed, "20.00", reason="  The stain is small.  ")

    assert order.status == S.DISCOUNT_REQUESTED
    assert order.decision_paused
    assert (discount.number, discount.status, discount.asked_amount) == (1, "asked", D("20.00"))
    assert discount.reason == "The stain is small."
    event = order.events.latest("id")
    assert (event.transition, event.to_status) == ("request_discount", S.DISCOUNT_REQUESTED)
    assert "Asked the seller for ¥20.00 back" in event.note
    assert not Notification.objects.filter(user=shopper, event=Event.DISCOUNT_UPDATE).exists()  # they did it
    with time_machine.travel(timezone.now() + timedelta(hours=200), tick=False):
        assert expire_due_decisions.apply().get() == 0


@pytest.mark.parametrize("amount", ["0.00", "-5.00"])
def test_an_amount_of_nothing_is_refused(failed, amount):
    with pytest.raises(OrderActionError, match="Enter the amount"):
        request_discount(failed, amount)
    assert fresh(failed).status == S.QC_FAILED


def test_at_most_the_item_price_paid_can_be_asked(shopper, inspector, settings_for_decisions):
    order = failed_order(shopper, inspector, quantity=2)  # 2 x 129.00 + 8.00 shipping

    with pytest.raises(OrderActionError, match=r"At most ¥258.00: the item price you paid."):
        request_discount(order, "258.01")

    _order, discount = request_discount(order, "258.00")
    assert discount.asked_amount == D("258.00")


def test_never_more_than_what_is_left_of_the_payment_after_an_earlier_partial_credit(failed):
    partial_credit(failed, "100.00", key="earlier")
    assert order_refundable(order_id=failed.pk) == D("37.00")

    with pytest.raises(OrderActionError, match=r"At most ¥37.00 can come back"):
        request_discount(failed, "37.01")

    _order, discount = request_discount(failed, "37.00")
    assert discount.asked_amount == D("37.00")


def test_a_credit_is_checked_again_when_it_is_made(failed, support, shopper):
    order, _discount = request_discount(failed, "30.00")
    partial_credit(failed, "120.00", key="meanwhile")  # only 17.00 is left now
    before = wallet_balance(user=shopper)

    with pytest.raises(OrderActionError, match=r"At most ¥17.00 can come back"):
        refunds.discount_accept(order=order, by=support)

    assert fresh(failed).status == S.DISCOUNT_REQUESTED
    assert wallet_balance(user=shopper) == before
    assert not LedgerTransaction.objects.filter(kind="discount").exists()


def test_only_a_qc_failed_item_in_its_window_can_be_kept_at_a_discount(failed, shopper, inspector):
    Order.objects.filter(pk=failed.pk).update(decision_deadline=timezone.now() - timedelta(minutes=1))
    with pytest.raises(OrderActionError, match="decision window closed"):
        request_discount(failed, "10.00")

    stored = failed_order(shopper, inspector)
    Order.objects.filter(pk=stored.pk).update(status=S.STORED)
    with pytest.raises(OrderActionError, match="not possible while the order is “In warehouse”"):
        request_discount(stored, "10.00")


def test_a_double_click_asks_once(failed):
    order = fresh(failed)
    request_discount(order, "20.00", expected_status=S.QC_FAILED)

    with pytest.raises(OrderChangedMeanwhile):
        request_discount(order, "20.00", expected_status=S.QC_FAILED)

    assert DiscountRequest.objects.filter(order=failed).count() == 1


# --- The seller's answers ---------------------------------------------------------------------


def test_the_seller_accepts_the_amount_asked(failed, support, shopper):
    order, _discount = request_discount(failed, "25.00")
    before = wallet_balance(user=shopper)

    order, txn = refunds.discount_accept(order=order, by=support)

    assert order.status == S.STORED
    assert order.decision_deadline is None  # kept for a discount: no change-of-mind return after
    assert not order.decision_paused
    assert (txn.idempotency_key, txn.kind) == (f"discount:{order.pk}:1", "discount")
    assert wallet_balance(user=shopper) == before + D("25.00")
    assert order_refundable(order_id=order.pk) == order.total - D("25.00")
    discount = DiscountRequest.objects.get(order=order)
    assert (discount.status, discount.credited_amount) == ("accepted", D("25.00"))
    assert order.events.latest("id").note == "Kept at a discount: ¥25.00 of the price refunded to the balance."
    notice = Notification.objects.filter(user=shopper, event=Event.REFUND_CREDITED).get()
    assert "The seller accepted your discount" in notice.title
    assert f"¥25.00 was credited; your balance is now ¥{before + D('25.00')}." in notice.body
    line = statement_entries(user=shopper).first()
    assert (line.amount, line.transaction.order_id) == (D("25.00"), order.pk)
    assert "Discount on order" in line.transaction.description
    with pytest.raises(OrderActionError):
        refunds.order_request_refund(order=order, by=shopper)


def test_a_counter_offer_is_less_than_asked_and_waits_for_the_shopper(failed, support, shopper):
    order, _discount = request_discount(failed, "25.00")
    with pytest.raises(OrderActionError, match=r"less than the ¥25\.00 the shopper asked"):
        refunds.discount_counter(order=order, by=support, amount=D("25.00"))
    with pytest.raises(OrderActionError, match="Enter the amount"):
        refunds.discount_counter(order=order, by=support, amount=None)

    order, discount = refunds.discount_counter(order=order, by=support, amount=D("15.00"))

    assert order.status == S.DISCOUNT_OFFERED
    assert order.needs_action
    assert (discount.status, discount.counter_amount) == ("countered", D("15.00"))
    notice = Notification.objects.filter(user=shopper, event=Event.DISCOUNT_UPDATE).get()
    assert "counter-offer" in notice.title
    assert "The seller offers ¥15.00 back instead of the ¥25.00 you asked." in notice.body


def test_the_shopper_accepts_the_counter_offer_as_shown(failed, support, shopper):
    order, _discount = request_discount(failed, "25.00")
    order, _discount = refunds.discount_counter(order=order, by=support, amount=D("15.00"))
    before = wallet_balance(user=shopper)

    with pytest.raises(QuoteChanged):
        refunds.order_accept_counter_offer(order=order, by=shopper, expected_amount=D("25.00"))
    order, txn = refunds.order_accept_counter_offer(order=order, by=shopper, expected_amount=D("15.00"))

    assert order.status == S.STORED
    assert wallet_balance(user=shopper) == before + D("15.00")
    assert txn.idempotency_key == f"discount:{order.pk}:1"
    # The shopper acted, but money moved: they get the receipt.
    assert Notification.objects.filter(user=shopper, event=Event.REFUND_CREDITED).count() == 1


@pytest.mark.parametrize("how", ["refused", "withdrawn", "declined"])
def test_back_to_the_other_choices_with_the_time_spent_negotiating_added(failed, support, shopper, how):
    deadline = failed.decision_deadline
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        order, _discount = request_discount(failed, "25.00")
    with time_machine.travel(start + timedelta(hours=20), tick=False):
        if how == "declined":
            order, _discount = refunds.discount_counter(order=order, by=support, amount=D("10.00"))
    with time_machine.travel(start + timedelta(hours=50), tick=False):
        if how == "refused":
            order, discount = refunds.discount_refuse(order=order, by=support, note="  Only a full return.  ")
        else:
            order, discount = refunds.order_withdraw_discount(order=order, by=shopper)

    assert order.status == S.QC_FAILED
    assert order.decision_deadline == deadline + timedelta(hours=50)
    assert not order.decision_paused
    assert discount.status == how
    if how == "refused":
        assert discount.seller_response == "Only a full return."
        assert order.events.latest("id").note == "The seller refused the discount: “Only a full return.”"
        notice = Notification.objects.filter(user=shopper, event=Event.DISCOUNT_UPDATE).latest("id")
        assert "refused a discount" in notice.title
        assert "you have until" in notice.body
    assert wallet_balance(user=shopper) == D("0.00")  # nothing credited
    with time_machine.travel(deadline + timedelta(hours=49), tick=False):
        assert expire_due_decisions.apply().get() == 0
    with time_machine.travel(deadline + timedelta(hours=51), tick=False):
        assert expire_due_decisions.apply().get() == 1


def test_a_refusal_needs_the_sellers_words(failed, support):
    order, _discount = request_discount(failed, "25.00")
    with pytest.raises(OrderActionError, match="Say what the seller answered"):
        refunds.discount_refuse(order=order, by=support, note="  ")


def test_after_a_refusal_a_return_refunds_everything_and_a_second_ask_has_its_own_key(failed, support, shopper):
    order, _discount = request_discount(failed, "25.00")
    order, _discount = refunds.discount_refuse(order=order, by=support, note="No.")

    order, second = request_discount(order, "10.00")
    order, txn = refunds.discount_accept(order=order, by=support)

    assert second.number == 2
    assert txn.idempotency_key == f"discount:{order.pk}:2"
    assert LedgerTransaction.objects.filter(kind="discount").count() == 1


def test_a_refund_after_a_discount_never_exceeds_what_is_left(shopper, support, inspector, settings_for_decisions):
    """An exchange's replacement fails QC again after an earlier discount: the return quote is
    limited to what is left of the payment."""
    order = failed_order(shopper, inspector)
    order, _discount = request_discount(order, "100.00")
    order, _txn = refunds.discount_accept(order=order, by=support)
    Order.objects.filter(pk=order.pk).update(status=S.QC_FAILED, decision_deadline=timezone.now() + timedelta(hours=5))

    quote = order_quote_refund(order=fresh(order))

    assert quote.total == D("37.00")  # 137.00 paid, 100.00 back already
    with pytest.raises(OrderActionError, match=r"At most ¥37.00 can come back"):
        request_discount(order, "40.00")


def test_a_discount_asked_while_photos_are_awaited_keeps_the_clock_stopped_until_both_end(failed, support):
    deadline = failed.decision_deadline
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ask(failed)
    with time_machine.travel(start + timedelta(hours=10), tick=False):
        order, _discount = request_discount(failed, "20.00")
    with time_machine.travel(start + timedelta(hours=20), tick=False):
        order, _discount = refunds.discount_refuse(order=order, by=support, note="No.")
        assert order.decision_paused  # the photos are still awaited
        assert order.decision_deadline == deadline
    with time_machine.travel(start + timedelta(hours=49), tick=False):
        assert expire_unanswered_photo_requests.apply().get() == 1

    order = fresh(failed)
    assert not order.decision_paused
    assert order.decision_deadline == deadline + timedelta(hours=49)
