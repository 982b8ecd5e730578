"""The shopper's QC view: who may see what, response headers, and a constant number of queries."""

import re

import pytest
from django.urls import reverse

from orders.models import Order
from qc import services
from qc.models import Inspection
from tests.factories import OrderFactory
from tests.qc.conftest import add_photos, failed_round
from tests.queries import get_in_queries, queries_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(shopper, inspector):
    order = OrderFactory(shopper=shopper, status=Order.Status.AWAITING_QC)
    return failed_round(order, inspector, photos=2, defects=2, measurements=2)


def test_shopper_sees_round_gallery_defect_boxes_and_measurements(shopper_client, failed):
    response = shopper_client.get(failed.order.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "QC round 1" in html and "Failed" in html
    photo = failed.photos.first()
    # The thumbnail's address is signed for this photo's file (no permission check per image).
    assert re.search(rf'<img src="/qc/files/{photo.pk}/\d+/[\w-]+/{re.escape(photo.thumb.name)}"', html)
    assert 'loading="lazy"' in html and f'width="{photo.thumb_width}" height="{photo.thumb_height}"' in html
    assert 'viewBox="0 0 1 1" preserveAspectRatio="none"' in html
    assert 'x="0.1000" y="0.2000" width="0.3000" height="0.2500"' in html
    assert "Open seam #0" in html and f'href="#qc-photo-{photo.pk}"' in html
    assert "-3.50 cm" in html and "qc-measure--off" in html
    assert '<script type="module" src="/static/js/qc-lightbox.js">' in html
    assert " style=" not in html and "<style" not in html  # CSP: style-src 'self' on shopper pages
    assert "<script>" not in html


def test_the_viewer_finds_each_photo_s_renditions_and_each_defect_s_box_in_the_page(shopper_client, failed):
    html = shopper_client.get(failed.order.get_absolute_url()).content.decode()
    photo = failed.photos.first()
    # The link opens the display rendition without JavaScript; the viewer zooms up to the full one.
    assert (
        f'href="{photo.display_url}" data-qc-photo="{photo.pk}" data-full="{photo.full_url}" '
        f'data-full-width="{photo.width}" data-full-height="{photo.height}" data-display-width="{photo.display_width}"'
    ) in html
    # The defects are numbered as the viewer numbers their boxes.
    assert (
        f'data-qc-defect="1" data-severity="major" data-photo="{photo.pk}" data-box="0.1000 0.2000 0.3000 0.2500"'
        in html
    )
    assert 'id="qc-lightbox-config"' in html and "vendor/photoswipe/photoswipe.esm.min.js" in html
    assert 'href="/static/css/qc-gallery.css"' in html


@pytest.mark.parametrize(("query", "disposition"), [("", "inline"), ("?download=1", "attachment")])
def test_the_full_photo_downloads_as_a_file_when_asked(shopper_client, failed, query, disposition):
    photo = failed.photos.first()
    response = shopper_client.get(photo.full_url + query)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'{disposition}; filename="{photo.key[:12]}-full.jpg"'
    with photo.full.open("rb") as full:
        assert b"".join(response.streaming_content) == full.read()


def test_round_in_progress_is_not_shown_to_the_shopper(shopper_client, open_round, inspector):
    [photo] = add_photos(open_round, 1, by=inspector)
    html = shopper_client.get(open_round.order.get_absolute_url()).content.decode()
    assert "our inspectors are checking" in html
    assert photo.thumb_url not in html
    assert shopper_client.get(photo.thumb_url).status_code == 404
    assert shopper_client.get(open_round.get_absolute_url()).status_code == 404


def test_photo_is_served_privately_with_nosniff(shopper_client, failed):
    photo = failed.photos.first()
    response = shopper_client.get(photo.display_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("private")
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


def test_original_is_for_staff_only(shopper_client, failed, client, support):
    photo = failed.photos.first()
    assert shopper_client.get(photo.url("original")).status_code == 404
    client.force_login(support)
    assert client.get(photo.url("original")).status_code == 200


def test_another_shopper_gets_404_everywhere(client, other_shopper, failed):
    client.force_login(other_shopper)
    photo = failed.photos.first()
    for url in (
        photo.thumb_url,
        photo.display_url,
        photo.full_url,
        failed.get_absolute_url(),
        failed.order.get_absolute_url(),
    ):
        assert client.get(url).status_code == 404, url


def test_anonymous_visitor_is_sent_to_log_in(client, failed):
    response = client.get(failed.photos.first().thumb_url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("rendition", ["display", "original"])
def test_a_file_missing_from_storage_is_404_not_a_server_error(client, support, failed, media_root, rendition):
    photo = failed.photos.first()
    (media_root / getattr(photo, rendition).name).unlink()
    client.force_login(support)  # staff, so the original may be asked for too
    assert client.get(photo.url(rendition)).status_code == 404
    assert client.get(photo.thumb_url).status_code == 200  # the other renditions are still served


def test_ids_out_of_range_are_404(shopper_client):
    huge = 2**70
    assert shopper_client.get(reverse("qc:photo", kwargs={"pk": huge, "rendition": "thumb"})).status_code == 404
    assert shopper_client.get(reverse("qc:inspection", kwargs={"pk": huge})).status_code == 404


def test_unknown_rendition_is_404(shopper_client, failed):
    photo = failed.photos.first()
    url = reverse("qc:photo", kwargs={"pk": photo.pk, "rendition": "secret"})
    assert shopper_client.get(url).status_code == 404


def test_placeholder_until_renditions_exist(shopper_client, shopper, inspector):
    order = OrderFactory(shopper=shopper, status=Order.Status.AWAITING_QC)
    inspection = services.inspection_open(order=order, by=inspector)
    [photo] = add_photos(inspection, 1, by=inspector, ready=False)
    from qc.models import Defect

    Defect.objects.create(inspection=inspection, kind="stain", severity="minor", description="Small mark")
    services.inspection_complete(inspection=inspection, by=inspector, result=Inspection.Result.FAILED)
    html = shopper_client.get(order.get_absolute_url()).content.decode()
    assert "Processing photo" in html
    assert shopper_client.get(photo.thumb_url).status_code == 404


def test_inspection_page_for_the_shopper(shopper_client, failed):
    response = shopper_client.get(failed.get_absolute_url())
    assert response.status_code == 200
    assert "Open seam #1" in response.content.decode()


@pytest.mark.parametrize(("few", "many"), [({"photos": 1, "defects": 1}, {"photos": 40, "defects": 1})])
def test_order_page_queries_do_not_grow_with_photos(shopper, inspector, shopper_client, few, many):
    one = failed_round(OrderFactory(shopper=shopper, status="awaiting_qc"), inspector, **few)
    forty = failed_round(OrderFactory(shopper=shopper, status="awaiting_qc"), inspector, **many)
    baseline = queries_of(shopper_client, one.order.get_absolute_url())
    assert queries_of(shopper_client, forty.order.get_absolute_url()) == baseline


def test_order_page_queries_do_not_grow_with_defects(shopper, inspector, shopper_client, django_assert_num_queries):
    one = failed_round(OrderFactory(shopper=shopper, status="awaiting_qc"), inspector, photos=2, defects=1)
    twenty = failed_round(OrderFactory(shopper=shopper, status="awaiting_qc"), inspector, photos=2, defects=20)
    baseline = queries_of(shopper_client, one.order.get_absolute_url())
    url = twenty.order.get_absolute_url()
    with django_assert_num_queries(baseline):
        shopper_client.get(url)


def test_qc_section_costs_four_queries(shopper, inspector, django_assert_num_queries):
    from qc.selectors import inspections_for_shopper

    order = OrderFactory(shopper=shopper, status="awaiting_qc")
    failed_round(order, inspector, photos=40, defects=20, measurements=5)
    with django_assert_num_queries(4):
        [qc_round] = inspections_for_shopper(order=order)
        assert len(qc_round.photos) == 40
        assert sum(len(p.boxes) for p in qc_round.photos) == 20


def test_the_shopper_inspection_page_runs_a_pinned_number_of_queries(
    shopper_client, failed, django_assert_num_queries
):
    get_in_queries(shopper_client, failed.get_absolute_url(), 10, django_assert_num_queries)
