"""Orders at the moment a shopper decides, for the tests of the decision tools: asking for more
photos (qc) and keeping the item at a discount (refunds)."""

from decimal import Decimal

import pytest

from orders.models import Order
from qc import services as qc
from tests.factories import paid_order
from tests.qc.conftest import failed_round, media_root  # noqa: F401 - photos land in a fresh folder


def failed_order(shopper, inspector, **fields) -> Order:
    """A paid order whose QC round 1 failed just now: its decision window is open (120 h)."""
    order = paid_order(shopper=shopper, status=Order.Status.AWAITING_QC, **fields)
    failed_round(order, inspector)
    return Order.objects.get(pk=order.pk)


def ask(order: Order, *, photos: int = 2, token: str = "t1", note: str = "The left sleeve stitching", **kwargs):  # noqa: S107 - a form token
    """The shopper asks for more photos; returns (order, request)."""
    order, request, _created = qc.photo_request_create(
        order=Order.objects.get(pk=order.pk), by=order.shopper, note=note, photos=photos, token=token, **kwargs
    )
    return order, request


@pytest.fixture
def settings_for_decisions(settings):
    settings.QC_DECISION_HOURS = 120
    settings.QC_REMINDER_HOURS = 24
    settings.EXTRA_PHOTO_FEE = Decimal("2.00")
    settings.EXTRA_PHOTO_HOURS = 48
    settings.EXTRA_PHOTO_MAX = 10
    return settings


@pytest.fixture
def failed(shopper, inspector, settings_for_decisions) -> Order:
    return failed_order(shopper, inspector)
