"""The shopper's QC section from the cache: a completed round's fragment is reused, redone after
every change that can alter it, never shown to another shopper; on the Redis cache production uses."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from orders.models import Order
from qc import selectors, services
from qc.models import Inspection
from tests.decisions.conftest import ask
from tests.factories import OrderFactory, paid_order
from tests.qc.conftest import add_photos, failed_round
from tests.qc.images import jpeg, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_cache")]


@pytest.fixture
def failed(shopper, inspector):
    order = paid_order(shopper=shopper, status=Order.Status.AWAITING_QC)
    failed_round(order, inspector, photos=3, defects=2, measurements=1)
    return Order.objects.get(pk=order.pk)


def page(client, order) -> tuple[str, int]:
    """The order page's QC section, and the queries the whole page took."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(order.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('<section class="card qc"') : html.index("</section>", html.index('class="card qc"'))], len(
        queries
    )


def test_a_completed_round_is_rendered_once_then_served_from_the_cache(shopper_client, shopper, failed):
    first, cold = page(shopper_client, failed)
    # Something else on the page changes (the shopper's name): the page is rendered again, the
    # round's fragment is not.
    shopper.display_name = "Alex"
    shopper.save(update_fields=["display_name"])
    again, warm = page(shopper_client, failed)

    assert again == first
    assert "Open seam #1" in again and len(re.findall(r'<img src="/qc/files/', again)) == 3
    assert warm == cold - 3  # the photos, defects and measurements are not read again


def test_a_photo_whose_renditions_arrive_later_is_shown_once_they_are_made(shopper_client, failed, inspector):
    order = paid_order(shopper=failed.shopper, status=Order.Status.AWAITING_QC)
    inspection = services.inspection_open(order=order, by=inspector)
    ready, late = add_photos(inspection, 2, by=inspector, ready=False)
    services.photo_make_renditions(photo_id=ready.pk)
    failed_with(inspection, inspector)
    before, _queries = page(shopper_client, order)
    assert "Processing photo" in before

    services.photo_make_renditions(photo_id=late.pk)

    after, _queries = page(shopper_client, order)
    assert "Processing photo" not in after and late.key in after


def failed_with(inspection: Inspection, inspector) -> Inspection:
    from qc.models import Defect

    Defect.objects.create(
        inspection=inspection, kind=Defect.Kind.DAMAGE, severity=Defect.Severity.MAJOR, description="Stain"
    )
    return services.inspection_complete(inspection=inspection, by=inspector, result=Inspection.Result.FAILED)


def test_a_photo_whose_renditions_fail_leaves_the_page_and_comes_back_when_retried(shopper_client, inspector):
    order = paid_order(status=Order.Status.AWAITING_QC)
    inspection = services.inspection_open(order=order, by=inspector)
    shown, stuck = add_photos(inspection, 2, by=inspector, ready=False)
    services.photo_make_renditions(photo_id=shown.pk)
    failed_with(inspection, inspector)
    shopper_client.force_login(order.shopper)
    before, _queries = page(shopper_client, order)
    assert f'id="qc-photo-{stuck.pk}"' in before

    services.photo_renditions_failed(photo_id=stuck.pk, reason="OSError: truncated")
    failed_page, _queries = page(shopper_client, order)
    assert f'id="qc-photo-{stuck.pk}"' not in failed_page

    services.photo_renditions_retry(photo=stuck, by=inspector)
    retried, _queries = page(shopper_client, order)
    assert f'id="qc-photo-{stuck.pk}"' in retried and "Processing photo" in retried


def test_the_answer_to_a_photo_request_is_shown_once_sent(shopper_client, failed, inspector):
    _order, request = ask(failed)
    photo = services.photo_request_add_photo(
        photo_request=request, uploaded_file=upload("answer.jpg", jpeg(color=(1, 2, 3))), by=inspector
    )
    services.photo_make_renditions(photo_id=photo.pk)
    services.photo_request_add_measurement(
        photo_request=request, by=inspector, name="Sleeve length", listed_value="60", measured_value="57"
    )
    before, _queries = page(shopper_client, failed)
    assert photo.key not in before and "Sleeve length" not in before

    services.photo_request_answer(photo_request=request, by=inspector)

    after, _queries = page(shopper_client, failed)
    assert photo.key in after and "Sleeve length" in after


def test_what_was_added_to_a_request_that_expired_is_shown_once_it_expired(shopper_client, failed, inspector):
    _order, request = ask(failed)
    services.photo_request_add_measurement(
        photo_request=request, by=inspector, name="Hem width", listed_value="60", measured_value="57"
    )
    before, _queries = page(shopper_client, failed)
    assert "Hem width" not in before

    with time_machine.travel(request.due_at + timedelta(minutes=1), tick=False):
        assert services.photo_request_expire(photo_request_id=request.pk)
        after, _queries = page(shopper_client, failed)
    assert "Hem width" in after


def test_each_language_gets_its_own_fragment(shopper_client, failed):
    _english, _queries = page(shopper_client, failed)
    with CaptureQueriesContext(connection) as english_again:
        selectors.completed_rounds_html(order=Order.objects.get(pk=failed.pk))
    with translation.override("zh-hans"), CaptureQueriesContext(connection) as chinese:
        selectors.completed_rounds_html(order=Order.objects.get(pk=failed.pk))

    assert len(english_again) == 2  # the order and its rounds; their fragments come from the cache
    assert len(chinese) == 5  # rendered again in Chinese: the photos, defects and measurements read


def test_each_time_zone_gets_its_own_fragment_with_its_own_times(failed):
    with timezone.override("Asia/Shanghai"):
        shanghai = selectors.completed_rounds_html(order=failed).html[0]
    with timezone.override("Europe/London"):
        london = selectors.completed_rounds_html(order=failed).html[0]

    def shown_time(html: str) -> str:
        return re.search(r'<time class="muted" datetime="[^"]+">([^<]+)</time>', html).group(1)

    assert shown_time(shanghai).endswith(" CST")
    assert shown_time(london).endswith(" GMT")  # December
    assert shown_time(shanghai) != shown_time(london).replace(" GMT", " CST")  # 8 hours apart


def test_a_shopper_never_sees_another_shopper_s_round(client, failed, other_shopper, inspector):
    theirs = paid_order(shopper=other_shopper, status=Order.Status.AWAITING_QC)
    failed_round(theirs, inspector, photos=2, defects=1)
    client.force_login(failed.shopper)
    mine, _queries = page(client, failed)  # cached now
    their_photos = [photo.key for photo in theirs.inspections.get().photos.all()]

    client.force_login(other_shopper)
    assert client.get(failed.get_absolute_url()).status_code == 404
    their_page, _queries = page(client, theirs)

    assert all(key in their_page for key in their_photos)
    assert not any(photo.key in their_page for photo in failed.inspections.get().photos.all())
    assert not any(key in mine for key in their_photos)


def test_a_round_in_progress_is_not_shown_nor_cached(shopper_client, shopper, inspector):
    order = OrderFactory(shopper=shopper, status=Order.Status.AWAITING_QC)
    inspection = services.inspection_open(order=order, by=inspector)
    add_photos(inspection, 1, by=inspector)
    draft, _queries = page(shopper_client, order)
    assert "qc-round" not in draft

    failed_with(inspection, inspector)

    completed, _queries = page(shopper_client, order)
    assert f'id="qc-round-{inspection.pk}"' in completed
