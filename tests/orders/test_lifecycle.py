"""The order status machine, driven through its services as every caller drives it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ledger.selectors import ledger_violations
from orders import services
from orders.models import Order, OrderEvent
from refunds import services as refunds
from refunds.models import ReturnRequest
from tests.factories import (
    DiscountRequestFactory,
    OrderFactory,
    ReturnRequestFactory,
    SupportFactory,
    fund,
    paid_order,
)

S = Order.Status

# transition name -> (service, who acts, extra arguments). Steps that move money or run a
# return live in refunds; the rest in orders.
SERVICES = {
    "pay": (services.order_pay, "shopper", {}),
    "cancel": (services.order_cancel, "shopper", {}),
    "mark_out_of_stock": (services.order_mark_out_of_stock, "support", {}),
    "purchase": (services.order_purchase, "support", {}),
    "ship_to_warehouse": (services.order_ship_to_warehouse, "support", {"tracking": "YT1234567890"}),
    "receive": (services.order_receive, "inspector", {}),
    "pass_qc": (services.order_pass_qc, "inspector", {}),
    "fail_qc": (services.order_fail_qc, "inspector", {}),
    "keep": (services.order_keep, "shopper", {}),
    "request_refund": (refunds.order_request_refund, "shopper", {}),
    "request_exchange": (refunds.order_request_exchange, "shopper", {"new_option": "L"}),
    "expire_decision": (services.order_expire_decision, "system", {}),
    "ship_return": (refunds.return_ship, "support", {"tracking": "SF1234567890"}),
    "seller_received": (refunds.return_seller_received, "support", {}),
    "seller_refused": (refunds.return_seller_refused, "support", {"note": "Seller says it was fine."}),
    "confirm_refund": (refunds.refund_confirm, "support", {}),
    "replacement_shipped": (refunds.exchange_replacement_shipped, "support", {"tracking": "ZT1234567890"}),
    "compensate": (refunds.refusal_compensate, "support", {}),
    "restock": (refunds.refusal_restock, "support", {}),
    "request_discount": (refunds.order_request_discount, "shopper", {"amount": Decimal("20.00")}),
    "counter_discount": (refunds.discount_counter, "support", {"amount": Decimal("10.00")}),
    "accept_discount": (refunds.discount_accept, "support", {}),
    "refuse_discount": (refunds.discount_refuse, "support", {"note": "The seller says no."}),
    "accept_counter_offer": (refunds.order_accept_counter_offer, "shopper", {}),
    "withdraw_discount": (refunds.order_withdraw_discount, "shopper", {}),
}
RETURN_FLOW = {S.RETURN_REQUESTED, S.RETURNING, S.SELLER_REFUNDING, S.RETURN_REFUSED}
EXCHANGE_FLOW = {S.EXCHANGE_REQUESTED, S.EXCHANGE_RETURNING}
DISCOUNT_FLOW = {S.DISCOUNT_REQUESTED, S.DISCOUNT_OFFERED}

ALL_TRANSITIONS = sorted(
    {(t.name, t.source, t.target) for t in Order._meta.get_field("status").get_all_transitions(Order)}
)
EXPECTED_EDGES = {
    ("pay", S.PENDING_PAYMENT, S.PAID),
    ("cancel", S.PENDING_PAYMENT, S.CANCELLED),
    ("cancel", S.PAID, S.CANCELLED),
    ("mark_out_of_stock", S.PAID, S.CANCELLED),
    ("purchase", S.PAID, S.PURCHASED),
    ("ship_to_warehouse", S.PURCHASED, S.SHIPPED_TO_WAREHOUSE),
    ("receive", S.SHIPPED_TO_WAREHOUSE, S.AWAITING_QC),
    ("receive", S.AWAITING_REPLACEMENT, S.AWAITING_QC),
    ("pass_qc", S.AWAITING_QC, S.STORED),
    ("fail_qc", S.AWAITING_QC, S.QC_FAILED),
    ("keep", S.QC_FAILED, S.STORED),
    ("request_refund", S.QC_FAILED, S.RETURN_REQUESTED),
    ("request_refund", S.STORED, S.RETURN_REQUESTED),
    ("request_exchange", S.QC_FAILED, S.EXCHANGE_REQUESTED),
    ("request_exchange", S.STORED, S.EXCHANGE_REQUESTED),
    ("expire_decision", S.QC_FAILED, S.STORED),
    ("ship_return", S.RETURN_REQUESTED, S.RETURNING),
    ("ship_return", S.EXCHANGE_REQUESTED, S.EXCHANGE_RETURNING),
    ("seller_received", S.RETURNING, S.SELLER_REFUNDING),
    ("seller_refused", S.RETURNING, S.RETURN_REFUSED),
    ("seller_refused", S.SELLER_REFUNDING, S.RETURN_REFUSED),
    ("seller_refused", S.EXCHANGE_RETURNING, S.RETURN_REFUSED),
    ("confirm_refund", S.SELLER_REFUNDING, S.REFUNDED),
    ("replacement_shipped", S.EXCHANGE_RETURNING, S.AWAITING_REPLACEMENT),
    ("compensate", S.RETURN_REFUSED, S.REFUNDED),
    ("restock", S.RETURN_REFUSED, S.STORED),
    ("request_discount", S.QC_FAILED, S.DISCOUNT_REQUESTED),
    ("counter_discount", S.DISCOUNT_REQUESTED, S.DISCOUNT_OFFERED),
    ("accept_discount", S.DISCOUNT_REQUESTED, S.STORED),
    ("refuse_discount", S.DISCOUNT_REQUESTED, S.QC_FAILED),
    ("accept_counter_offer", S.DISCOUNT_OFFERED, S.STORED),
    ("withdraw_discount", S.DISCOUNT_REQUESTED, S.QC_FAILED),
    ("withdraw_discount", S.DISCOUNT_OFFERED, S.QC_FAILED),
}


def test_the_machine_is_the_designed_one():
    assert set(ALL_TRANSITIONS) == EXPECTED_EDGES
    assert {name for name, _, _ in ALL_TRANSITIONS} == set(SERVICES)


def _order_in(status: str, shopper) -> Order:
    """An order in `status` with what that status implies: a payment once paid, a return request
    during a return, and money on the balance for paying."""
    deadline = timezone.now() + timedelta(hours=5)
    if status == S.PENDING_PAYMENT:
        order = OrderFactory(shopper=shopper, status=status, decision_deadline=deadline)
        fund(shopper, order.total)
        return order
    order = paid_order(shopper=shopper, status=status, decision_deadline=deadline)
    fund(shopper, "100.00")  # fees and price differences
    if status in RETURN_FLOW | EXCHANGE_FLOW:
        kind = ReturnRequest.Kind.EXCHANGE if status in EXCHANGE_FLOW else ReturnRequest.Kind.REFUND
        ReturnRequestFactory(order=order, kind=kind)
    if status in DISCOUNT_FLOW:
        Order.objects.filter(pk=order.pk).update(decision_pauses=1, decision_paused_at=timezone.now())
        order = Order.objects.get(pk=order.pk)
        DiscountRequestFactory(order=order, countered=status == S.DISCOUNT_OFFERED)
    return order


def _call(name: str, order: Order, users: dict):
    service, role, extra = SERVICES[name]
    if role == "system":
        return service(order=order, **extra)
    return service(order=order, by=users[role], **extra)


@pytest.fixture
def users(shopper, support, inspector):
    return {"shopper": shopper, "support": support, "inspector": inspector}


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "source", "target"), ALL_TRANSITIONS)
def test_every_allowed_transition_moves_the_order_and_writes_its_event(name, source, target, users):
    order = _order_in(source, users["shopper"])

    _call(name, order, users)

    order = Order.objects.get(pk=order.pk)
    event = OrderEvent.objects.get(order=order)
    assert order.status == target
    assert (event.from_status, event.to_status, event.transition) == (source, target, name)
    expected_actor = None if SERVICES[name][1] == "system" else users[SERVICES[name][1]]
    assert event.actor == expected_actor
    assert ledger_violations() == []


REFUSED = [
    (name, status)
    for name in sorted(SERVICES)
    for status in S.values
    if (name, status) not in {(n, s) for n, s, _ in ALL_TRANSITIONS}
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "status"), REFUSED)
def test_a_transition_from_any_other_status_is_refused_with_a_message(name, status, users):
    order = _order_in(status, users["shopper"])

    with pytest.raises(services.OrderActionError, match="not possible while the order is"):
        _call(name, order, users)

    order.refresh_from_db()
    assert order.status == status
    assert not OrderEvent.objects.filter(order=order).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "status", "role"),
    [
        ("purchase", S.PAID, "shopper"),
        ("purchase", S.PAID, "inspector"),
        ("receive", S.SHIPPED_TO_WAREHOUSE, "shopper"),
        ("fail_qc", S.AWAITING_QC, "support"),
        ("pass_qc", S.AWAITING_QC, "shopper"),
        ("ship_return", S.RETURN_REQUESTED, "inspector"),
        ("confirm_refund", S.SELLER_REFUNDING, "shopper"),
        ("compensate", S.RETURN_REFUSED, "inspector"),
        ("pay", S.PENDING_PAYMENT, "support"),
        ("request_refund", S.QC_FAILED, "support"),
        ("keep", S.QC_FAILED, "inspector"),
        ("request_discount", S.QC_FAILED, "support"),
        ("counter_discount", S.DISCOUNT_REQUESTED, "shopper"),
        ("accept_discount", S.DISCOUNT_REQUESTED, "shopper"),
        ("refuse_discount", S.DISCOUNT_REQUESTED, "inspector"),
        ("accept_counter_offer", S.DISCOUNT_OFFERED, "support"),
        ("withdraw_discount", S.DISCOUNT_OFFERED, "support"),
    ],
)
def test_permissions_are_enforced(name, status, role, users):
    order = _order_in(status, users["shopper"])
    service, _, extra = SERVICES[name]

    with pytest.raises(services.OrderActionError, match="not allowed"):
        service(order=order, by=users[role], **extra)

    order.refresh_from_db()
    assert order.status == status


@pytest.mark.django_db
def test_another_shopper_cannot_act_on_my_order(shopper, other_shopper):
    order = OrderFactory(shopper=shopper)

    with pytest.raises(services.OrderActionError, match="not allowed"):
        services.order_cancel(order=order, by=other_shopper)

    order.refresh_from_db()
    assert order.status == S.PENDING_PAYMENT


@pytest.mark.django_db
def test_a_decision_after_the_deadline_is_refused(shopper):
    order = OrderFactory(shopper=shopper, status=S.QC_FAILED, decision_deadline=timezone.now() - timedelta(minutes=1))

    for service, extra in [
        (services.order_keep, {}),
        (refunds.order_request_refund, {}),
        (refunds.order_request_exchange, {"new_option": "L"}),
        (refunds.order_request_discount, {"amount": Decimal("10.00")}),
    ]:
        with pytest.raises(services.OrderActionError, match="decision window closed"):
            service(order=order, by=shopper, **extra)

    order.refresh_from_db()
    assert order.status == S.QC_FAILED


@pytest.mark.django_db
def test_fail_qc_opens_the_decision_window(inspector, settings):
    settings.QC_DECISION_HOURS = 120
    order = OrderFactory(status=S.AWAITING_QC)

    services.order_fail_qc(order=order, by=inspector)

    order.refresh_from_db()
    assert timedelta(hours=119, minutes=59) < order.decision_deadline - timezone.now() <= timedelta(hours=120)


@pytest.mark.django_db
def test_a_stale_copy_of_the_order_is_refused_as_changed_meanwhile(support):
    order = OrderFactory(status=S.PAID)
    first, second = Order.objects.get(pk=order.pk), Order.objects.get(pk=order.pk)

    services.order_purchase(order=first, by=SupportFactory())
    with pytest.raises(services.OrderChangedMeanwhile, match="changed by someone else"):
        services.order_mark_out_of_stock(order=second, by=support)

    order.refresh_from_db()
    assert order.status == S.PURCHASED
    assert OrderEvent.objects.filter(order=order).count() == 1


@pytest.mark.django_db
def test_a_form_for_an_old_status_is_refused_as_changed_meanwhile(support):
    order = OrderFactory(status=S.PURCHASED)

    with pytest.raises(services.OrderChangedMeanwhile):
        services.order_mark_out_of_stock(order=order, by=support, expected_status=S.PAID)

    assert Order.objects.get(pk=order.pk).status == S.PURCHASED


@pytest.mark.django_db
@pytest.mark.parametrize("tracking", ["", "  ", "ab", "<script>", "x" * 65])
def test_a_bad_tracking_number_is_refused_and_changes_nothing(support, tracking):
    order = OrderFactory(status=S.PURCHASED)

    with pytest.raises(services.OrderActionError, match="tracking number"):
        services.order_ship_to_warehouse(order=order, by=support, tracking=tracking)

    order.refresh_from_db()
    assert (order.status, order.domestic_tracking) == (S.PURCHASED, "")


@pytest.mark.django_db
def test_seller_refusal_needs_the_sellers_answer(support):
    order = OrderFactory(status=S.RETURNING)

    ReturnRequestFactory(order=order)
    with pytest.raises(services.OrderActionError, match="seller answered"):
        refunds.return_seller_refused(order=order, by=support, note=" ")

    assert Order.objects.get(pk=order.pk).status == S.RETURNING


@pytest.mark.django_db
def test_the_services_return_the_fresh_order_and_never_refresh_from_db(shopper, support, inspector, monkeypatch):
    def not_thread_safe(self, *args, **kwargs):
        raise AssertionError("django-fsm's refresh_from_db flips the status field's class-wide `protected` flag")

    monkeypatch.setattr(Order, "refresh_from_db", not_thread_safe)
    order = OrderFactory(shopper=shopper)
    fund(shopper, order.total)

    order = services.order_pay(order=order, by=shopper)
    order = services.order_purchase(order=order, by=support)
    order = services.order_ship_to_warehouse(order=order, by=support, tracking="YT1234567890")
    order = services.order_receive(order=order, by=inspector)
    order = services.order_fail_qc(order=order, by=inspector)
    order, _ = refunds.order_request_refund(order=order, by=shopper)
    order, _ = refunds.return_ship(order=order, by=support, tracking="SF1234567890")
    order, _ = refunds.return_seller_received(order=order, by=support)
    order, txn = refunds.refund_confirm(order=order, by=support)

    assert (order.status, order.return_tracking, txn.kind) == (S.REFUNDED, "SF1234567890", "refund")
    fresh = Order.objects.get(pk=order.pk)
    assert all(getattr(order, f.attname) == getattr(fresh, f.attname) for f in Order._meta.concrete_fields)
    assert Order._meta.get_field("status").protected
    order.seller_name = "Renamed"
    order.save()  # the returned row's FSM state matches the database: no ConcurrentTransition
    assert Order.objects.get(pk=order.pk).seller_name == "Renamed"
