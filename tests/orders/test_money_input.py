"""The order admin's amount fields read money as strictly as the shopper's forms."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Order
from tests.factories import OrderFactory
from tests.money import NONZERO_POSITIVE, POSITIVE, says_what_to_type

pytestmark = pytest.mark.django_db


def _post_change_form(client, order, **changes):
    url = reverse("admin:orders_order_change", args=[order.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    for prefix in ("events", "return_requests", "discount_requests", "ledger_transactions"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return client.post(url, {**data, **changes})


def test_staff_correct_the_amounts_of_an_unpaid_order(support_client):
    order = OrderFactory(status=Order.Status.PENDING_PAYMENT)

    response = _post_change_form(support_client, order, unit_price=" 139.5 ", domestic_shipping="0")

    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.unit_price, order.domestic_shipping) == (Decimal("139.50"), Decimal("0.00"))


@pytest.mark.parametrize(
    ("field", "typed"),
    [("unit_price", v) for v in NONZERO_POSITIVE] + [("domestic_shipping", v) for v in POSITIVE],
)
def test_amounts_that_are_not_money_are_refused_and_nothing_changes(support_client, field, typed):
    order = OrderFactory(status=Order.Status.PENDING_PAYMENT)
    before = Order.objects.values("unit_price", "domestic_shipping").get(pk=order.pk)

    response = _post_change_form(support_client, order, **{field: typed})

    assert response.status_code == 200  # the admin shows its form again, with the error
    assert response.context["adminform"].form.errors[field]
    assert says_what_to_type(response.text)
    assert Order.objects.values("unit_price", "domestic_shipping").get(pk=order.pk) == before
