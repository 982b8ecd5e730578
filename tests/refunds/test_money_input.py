"""Every form and view that reads an amount refuses what is not one: a 4xx (or, in the admin,
its error message), a message that says what to type, and nothing changed."""

from decimal import Decimal

import pytest
from django.urls import reverse

from ledger.models import LedgerTransaction
from ledger.selectors import ledger_violations, wallet_balance
from orders.models import Order
from refunds.models import ReturnRequest
from tests.factories import OrderFactory, ReturnRequestFactory, fund, paid_order
from tests.money import NONZERO_POSITIVE, PAGE_MATRIX, POSITIVE, says_what_to_type

S = Order.Status
D = Decimal
pytestmark = pytest.mark.django_db


def _state() -> tuple:
    return (
        sorted(Order.objects.values_list("number", "status", "unit_price", "domestic_shipping")),
        LedgerTransaction.objects.count(),
        ReturnRequest.objects.count(),
    )


@pytest.fixture(autouse=True)
def _ledger_stays_consistent():
    yield
    assert ledger_violations() == []


# --- Shopper pages --------------------------------------------------------------------------

ORDER_FORM = {
    "product_url": "https://weidian.com/item.html?itemID=42",
    "product_title": "Retro sneakers",
    "option_text": "EU 44",
    "unit_price": "259.00",
    "quantity": "1",
    "domestic_shipping": "10.00",
    "remark": "",
}


@pytest.mark.parametrize(
    ("field", "typed"),
    [("unit_price", v) for v in NONZERO_POSITIVE] + [("domestic_shipping", v) for v in POSITIVE],
)
def test_new_order(shopper_client, shopper, field, typed):
    fund(shopper, "1000.00")
    before = _state()

    response = shopper_client.post(reverse("orders:new"), {**ORDER_FORM, field: typed})

    assert response.status_code == 400
    assert says_what_to_type(response.text)
    assert _state() == before


@pytest.mark.parametrize("typed", POSITIVE)
def test_pay(shopper_client, shopper, typed):
    order = OrderFactory(shopper=shopper)
    fund(shopper, "500.00")
    before = _state()

    response = shopper_client.post(
        reverse("orders:pay", args=[order.number]),
        {"expected_status": S.PENDING_PAYMENT, "expected_total": typed},
    )

    assert response.status_code == 400
    assert says_what_to_type(response.text)
    assert "Reload the page" in response.text
    assert _state() == before and wallet_balance(user=shopper) == D("500.00")


@pytest.mark.parametrize("typed", POSITIVE)
def test_return(shopper_client, shopper, typed):
    order = paid_order(shopper=shopper, qc_failed=True)
    before = _state()

    response = shopper_client.post(
        reverse("refunds:return", args=[order.number]),
        {"expected_status": S.QC_FAILED, "expected_total": typed},
    )

    assert response.status_code == 400
    assert says_what_to_type(response.text)
    assert _state() == before


@pytest.mark.parametrize(
    ("field", "typed"),
    [("new_unit_price", v) for v in NONZERO_POSITIVE] + [("expected_total", v) for v in PAGE_MATRIX],
)
def test_exchange(shopper_client, shopper, field, typed):
    order = paid_order(shopper=shopper, qc_failed=True)
    fund(shopper, "100.00")
    data = {"new_option": "L", "new_unit_price": "139.00", "expected_status": S.QC_FAILED, "expected_total": "10.00"}
    before = _state()

    response = shopper_client.post(
        reverse("refunds:exchange", args=[order.number]), {**data, field: typed, "confirm": "1"}
    )

    assert response.status_code == 400
    assert says_what_to_type(response.text)
    assert _state() == before


# --- Staff ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "typed"), [("topup", v) for v in NONZERO_POSITIVE] + [("adjustment", "-0")])
def test_balance_change(support_client, shopper, kind, typed):
    url = reverse("admin:ledger_account_balance_change")
    before = _state()

    response = support_client.post(
        url, {"shopper": shopper.email, "kind": kind, "amount": typed, "reason": "Alipay 8812", "token": "t1"}
    )

    assert response.status_code == 400
    assert says_what_to_type(response.text)
    assert _state() == before and wallet_balance(user=shopper) == 0


@pytest.mark.parametrize("typed", PAGE_MATRIX)
def test_signed_adjustments_refuse_the_same(support_client, shopper, typed):
    fund(shopper, "50.00")
    before = _state()

    response = support_client.post(
        reverse("admin:ledger_account_balance_change"),
        {"shopper": shopper.email, "kind": "adjustment", "amount": typed, "reason": "Goodwill", "token": "t2"},
    )

    assert response.status_code == 400
    assert says_what_to_type(response.text)
    assert _state() == before


@pytest.mark.parametrize("typed", NONZERO_POSITIVE)
def test_replacement_shipped_price(support_client, shopper, typed):
    order = paid_order(shopper=shopper, status=S.EXCHANGE_RETURNING)
    ReturnRequestFactory(order=order, kind="exchange", new_unit_price=D("119.00"))
    before = _state()

    response = support_client.post(
        reverse("admin:orders_order_transition", args=[order.pk, "replacement_shipped"]),
        {"expected_status": S.EXCHANGE_RETURNING, "tracking": "ZT12345678", "price": typed},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("admin:orders_order_change", args=[order.pk])
    errors = [str(m) for m in response.context["messages"] if m.level_tag == "error"]
    assert len(errors) == 1 and says_what_to_type(errors[0]), errors
    assert errors[0].startswith("Confirmed new unit price (CNY): ")
    assert _state() == before
