"""Support sees an order's QC rounds beside its buttons: thumbnails, defects, verdict, date and
inspector of each, in a constant number of queries."""

import pytest
from django.urls import reverse

from orders.models import Order
from qc import services as qc
from tests.factories import InspectorFactory, OrderFactory, ReturnRequestFactory
from tests.qc.conftest import add_photos, failed_round, media_root  # noqa: F401 - photos on local disk
from tests.queries import get_in_queries

S = Order.Status
pytestmark = pytest.mark.django_db


def test_the_order_page_shows_each_qc_round_with_its_evidence_next_to_the_buttons(support_client, inspector):
    order = OrderFactory(status=S.AWAITING_QC, seller_name="Ningbo Basics")
    first = failed_round(order, inspector, photos=2, defects=1)
    Order.objects.filter(pk=order.pk).update(status=S.AWAITING_QC)  # the replacement arrived
    second = qc.inspection_open(order=order, by=InspectorFactory(email="li@example.com"))

    page = support_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()

    rounds = page[page.index('class="order-qc"') :]
    assert rounds.index("Round 2") < rounds.index("Round 1")  # newest first
    assert "In progress" in rounds and "by li@example.com" in rounds
    assert "Failed" in rounds and "by inspector@example.com" in rounds
    assert "<strong>Damage</strong> · Major<br>Open seam #0" in rounds
    photos = [photo.pk for photo in first.photos.all()]
    for pk in photos:
        assert reverse("qc:photo", kwargs={"pk": pk, "rendition": "thumb"}) in rounds
    assert reverse("admin:qc_inspection_change", args=[second.pk]) in rounds


def test_the_rounds_sit_beside_the_buttons(support_client, inspector):
    order = OrderFactory(status=S.AWAITING_QC)
    failed_round(order, inspector)
    Order.objects.filter(pk=order.pk).update(status=S.RETURNING)
    ReturnRequestFactory(order=order)

    page = support_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()

    desk = page[page.index('class="order-desk"') :]
    assert desk.index('class="order-actions"') < desk.index('class="order-qc"') < desk.index('id="order_form"')


def test_an_order_without_qc_says_so(support_client):
    order = OrderFactory(status=S.PAID)

    page = support_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()

    assert "No QC round yet." in page


def test_the_qc_rounds_cost_four_queries_whatever_their_number_and_evidence(
    support_client, inspector, django_assert_num_queries
):
    """Rounds with their inspectors, photos, defects, measurements: 4 queries on top of the 13 the
    page of an order without money or returns runs besides (tests/orders/test_admin.py: 14 with the
    one query that finds no round)."""
    one = OrderFactory(status=S.AWAITING_QC)
    failed_round(one, inspector, photos=1, defects=1, measurements=1)
    many = OrderFactory(status=S.AWAITING_QC)
    for _round in range(3):
        failed_round(many, inspector, photos=3, defects=2, measurements=2)
        Order.objects.filter(pk=many.pk).update(status=S.AWAITING_QC)
    Order.objects.filter(pk__in=[one.pk, many.pk]).update(status=S.QC_FAILED)

    for order in (one, many):
        get_in_queries(
            support_client, reverse("admin:orders_order_change", args=[order.pk]), 17, django_assert_num_queries
        )
