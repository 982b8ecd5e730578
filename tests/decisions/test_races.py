"""Races on the new money paths, with real threads on PostgreSQL: a photo fee is charged once
per request, refunded once, a discount is credited once, whatever arrives together."""

from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from ledger.models import LedgerTransaction
from ledger.selectors import ledger_violations, wallet_balance
from ledger.services import InsufficientBalance
from orders.models import Order
from orders.services import OrderActionError
from qc import services as qc
from qc.exceptions import QCError
from qc.models import Inspection, PhotoRequest
from refunds import services as refunds
from refunds.models import DiscountRequest
from tests.decisions.conftest import failed_order
from tests.factories import InspectorFactory, SupportFactory, UserFactory, fund, paid_order
from tests.refunds.test_concurrency import race

D = Decimal
S = Order.Status
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def people(settings):
    settings.EXTRA_PHOTO_FEE = D("2.00")
    settings.EXTRA_PHOTO_HOURS = 48
    return UserFactory(), InspectorFactory(), SupportFactory()


def answered_before(order: Order) -> None:
    """The order's free request was used (answered) already: the next one is paid."""
    PhotoRequest.objects.create(
        order=order,
        inspection=order.inspections.get(),
        note="earlier",
        photos_asked=1,
        token="earlier",
        requested_by=order.shopper,
        status=PhotoRequest.Status.ANSWERED,
        answered_at=timezone.now(),
    )


def paid_request(order: Order, shopper) -> PhotoRequest:
    answered_before(order)
    _order, request, _created = qc.photo_request_create(order=order, by=shopper, note="Label", photos=3, token="b")
    return request


def test_20_requests_at_once_on_one_order_make_one_and_charge_once(people):
    assert connection.vendor == "postgresql"
    shopper, inspector, _support = people
    order = failed_order(shopper, inspector)
    answered_before(order)
    fund(shopper, "100.00")
    before = wallet_balance(user=shopper)
    copies = [Order.objects.get(pk=order.pk) for _ in range(20)]

    results = race(
        20, lambda i: qc.photo_request_create(order=copies[i], by=shopper, note="Label", photos=2, token=f"tab{i}")
    )

    made = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, QCError)]
    assert (len(made), len(refused)) == (1, 19), results
    assert PhotoRequest.objects.open().count() == 1
    assert wallet_balance(user=shopper) == before - D("4.00")
    assert LedgerTransaction.objects.filter(kind="photo_fee").count() == 1
    assert ledger_violations() == []


def test_one_form_sent_20_times_at_once_makes_one_request(people):
    shopper, inspector, _support = people
    order = failed_order(shopper, inspector)
    answered_before(order)
    fund(shopper, "100.00")

    results = race(20, lambda i: qc.photo_request_create(order=order, by=shopper, note="L", photos=1, token="same"))

    assert all(isinstance(r, tuple) for r in results), results
    assert {r[1].pk for r in results} == {PhotoRequest.objects.open().get().pk}
    assert sum(r[2] for r in results) == 1  # one call made it, the others found it
    assert wallet_balance(user=shopper) == D("98.00")
    assert ledger_violations() == []


def test_a_balance_for_3_paid_requests_and_20_at_once_charges_exactly_3(people):
    shopper, _inspector, _support = people
    orders = [paid_order(shopper=shopper, qc_failed=True) for _ in range(20)]
    for order in orders:  # a completed round each, its evidence left out: only the request matters here
        Inspection.objects.create(order=order, round_number=1, result="failed", completed_at=timezone.now())
    for order in orders:
        answered_before(order)
    fund(shopper, D("19.00") - wallet_balance(user=shopper))  # 3 requests of 3 photos at 2.00

    results = race(
        20, lambda i: qc.photo_request_create(order=orders[i], by=shopper, note="Label", photos=3, token="x")
    )

    made = [r for r in results if isinstance(r, tuple)]
    short = [r for r in results if isinstance(r, InsufficientBalance)]
    assert (len(made), len(short)) == (3, 17), results
    assert wallet_balance(user=shopper) == D("1.00")
    assert PhotoRequest.objects.open().count() == 3
    assert Order.objects.filter(decision_pauses=1).count() == 3
    assert ledger_violations() == []


def test_20_expiry_runs_at_once_refund_an_unanswered_request_once(people, settings):
    shopper, inspector, _support = people
    order = failed_order(shopper, inspector)
    fund(shopper, "6.00")
    request = paid_request(order, shopper)
    PhotoRequest.objects.filter(pk=request.pk).update(requested_at=timezone.now() - timezone.timedelta(hours=49))

    results = race(20, lambda i: qc.photo_request_expire(photo_request_id=request.pk))

    assert sorted(results) == [False] * 19 + [True], results
    assert wallet_balance(user=shopper) == D("6.00")
    assert LedgerTransaction.objects.filter(kind="photo_fee_refund").count() == 1
    assert Order.objects.get(pk=order.pk).decision_pauses == 0
    assert ledger_violations() == []


def test_an_answer_and_the_expiry_arriving_together_end_the_request_once(people):
    shopper, inspector, _support = people
    order = failed_order(shopper, inspector)
    fund(shopper, "6.00")
    request = paid_request(order, shopper)
    qc.photo_request_add_measurement(
        photo_request=request, by=inspector, name="Chest", listed_value=D("56"), measured_value=D("52")
    )
    PhotoRequest.objects.filter(pk=request.pk).update(requested_at=timezone.now() - timezone.timedelta(hours=49))
    request = PhotoRequest.objects.get(pk=request.pk)

    def work(i):
        if i % 2:
            return qc.photo_request_expire(photo_request_id=request.pk)
        return qc.photo_request_answer(photo_request=request, by=inspector)

    results = race(20, work)

    answered = [r for r in results if isinstance(r, PhotoRequest)]
    expired = [r for r in results if r is True]
    assert len(answered) + len(expired) == 1, results
    assert all(r is False or isinstance(r, QCError | PhotoRequest) or r is True for r in results), results
    final = PhotoRequest.objects.get(pk=request.pk)
    refunds_made = LedgerTransaction.objects.filter(kind="photo_fee_refund").count()
    assert refunds_made == (1 if final.status == PhotoRequest.Status.EXPIRED else 0)
    assert Order.objects.get(pk=order.pk).decision_pauses == 0
    assert ledger_violations() == []


def test_20_requests_for_a_discount_at_once_ask_once(people):
    shopper, inspector, _support = people
    order = failed_order(shopper, inspector)
    copies = [Order.objects.get(pk=order.pk) for _ in range(20)]

    results = race(20, lambda i: refunds.order_request_discount(order=copies[i], by=shopper, amount=D("20")))

    assert len([r for r in results if isinstance(r, tuple)]) == 1, results
    assert len([r for r in results if isinstance(r, OrderActionError)]) == 19
    assert DiscountRequest.objects.count() == 1
    assert Order.objects.get(pk=order.pk).decision_pauses == 1


@pytest.mark.parametrize("who", ["support accepts", "shopper accepts the counter-offer"])
def test_20_acceptances_at_once_credit_the_discount_once(people, who):
    shopper, inspector, support = people
    order = failed_order(shopper, inspector)
    order, _discount = refunds.order_request_discount(order=order, by=shopper, amount=D("30"))
    if who == "support accepts":
        copies = [Order.objects.get(pk=order.pk) for _ in range(20)]
        results = race(20, lambda i: refunds.discount_accept(order=copies[i], by=support))
    else:
        refunds.discount_counter(order=order, by=support, amount=D("18"))
        copies = [Order.objects.get(pk=order.pk) for _ in range(20)]
        results = race(
            20,
            lambda i: refunds.order_accept_counter_offer(order=copies[i], by=shopper, expected_amount=D("18")),
        )

    credited = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, OrderActionError)]
    assert (len(credited), len(refused)) == (1, 19), results
    assert LedgerTransaction.objects.filter(kind="discount").count() == 1
    assert wallet_balance(user=shopper) == (D("30.00") if who == "support accepts" else D("18.00"))
    assert Order.objects.get(pk=order.pk).status == S.STORED
    assert ledger_violations() == []
