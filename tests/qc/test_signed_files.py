"""The QC page's thumbnails by signed address: the signature is the permission, checked without
the session or the database; a tampered, borrowed or expired address shows nothing."""

import re
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from common.serving import signed_file_url, signed_url_expiry
from orders.models import Order
from tests.factories import OrderFactory
from tests.qc.conftest import failed_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(shopper, inspector):
    order = OrderFactory(shopper=shopper, status=Order.Status.AWAITING_QC)
    return failed_round(order, inspector, photos=2, defects=1)


def thumbnails(client, order) -> list[str]:
    html = client.get(order.get_absolute_url()).content.decode()
    return re.findall(r'<img src="([^"]+)"[^>]*loading="lazy"', html)


def test_the_page_signs_each_thumbnail_and_anyone_holding_the_address_gets_it_without_a_query(shopper_client, failed):
    first, second = thumbnails(shopper_client, failed.order)
    photo = failed.photos.order_by("position", "id").first()

    with CaptureQueriesContext(connection) as queries:
        response = Client().get(first)  # no session at all: the address is the permission

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == photo.thumb.open("rb").read()
    assert response["Content-Type"] == "image/jpeg"
    assert len(queries) == 0
    max_age = int(re.search(r"max-age=(\d+)", response["Cache-Control"]).group(1))
    assert 3600 <= max_age <= 3600 + 600  # kept by the browser until the address changes
    assert first != second

    with CaptureQueriesContext(connection) as queries:
        assert shopper_client.get(second).status_code == 200  # the browser sends its session cookie
    assert len(queries) == 0  # neither the session nor the user is read


def test_a_tampered_signature_is_refused(shopper_client, failed):
    address = thumbnails(shopper_client, failed.order)[0]
    pk, expires, signature, name = re.match(r"/qc/files/(\d+)/(\d+)/([^/]+)/(.+)", address).groups()
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]

    assert Client().get(f"/qc/files/{pk}/{expires}/{flipped}/{name}").status_code == 404
    assert Client().get(f"/qc/files/{pk}/{int(expires) + 3600}/{signature}/{name}").status_code == 404


def test_a_signature_does_not_open_another_photo_or_another_file(shopper_client, failed):
    address = thumbnails(shopper_client, failed.order)[0]
    pk, expires, signature, name = re.match(r"/qc/files/(\d+)/(\d+)/([^/]+)/(.+)", address).groups()
    other = failed.photos.exclude(pk=pk).get()

    assert Client().get(f"/qc/files/{other.pk}/{expires}/{signature}/{name}").status_code == 404
    assert Client().get(f"/qc/files/{pk}/{expires}/{signature}/{other.thumb.name}").status_code == 404
    original = failed.photos.get(pk=pk).original.name  # staff only: never signed for a page
    assert Client().get(f"/qc/files/{pk}/{expires}/{signature}/{original}").status_code == 404


def test_an_expired_address_is_refused(failed):
    photo = failed.photos.first()
    expired = signed_file_url(photo.thumb, pk=photo.pk, expires=int(time.time()) - 1, view_name="qc:file")
    fresh = signed_file_url(photo.thumb, pk=photo.pk, expires=signed_url_expiry(), view_name="qc:file")

    assert Client().get(expired).status_code == 404
    assert Client().get(fresh).status_code == 200


def test_the_order_page_itself_still_refuses_another_shopper(client, failed, other_shopper):
    client.force_login(other_shopper)
    assert client.get(failed.order.get_absolute_url()).status_code == 404
    client.logout()
    assert client.get(failed.order.get_absolute_url()).status_code == 302  # to the login page


def test_behind_nginx_the_bytes_are_left_to_it(shopper_client, failed, settings):
    settings.X_ACCEL_REDIRECT_PREFIX = "/protected-media/"
    address = thumbnails(shopper_client, failed.order)[0]
    photo = failed.photos.order_by("position", "id").first()

    response = Client().get(address)

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{photo.thumb.name}"
    assert response.content == b""
