"""The order page from the cache (orders.page_cache): a repeat view is the same page in a few
queries with a CSRF token of its own; any change to what the page shows, however it is made,
shows on the next view; nobody is served a page that is not theirs or not in their language."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from common.kept_html import CSRF_PLACEHOLDER
from orders.models import Order, OrderEvent
from tests.factories import OrderEventFactory, OrderFactory, ReturnRequestFactory, fund, paid_order
from tests.qc.conftest import failed_round

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_cache")]
S = Order.Status
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def content(client, order) -> str:
    """The order page's content (the part kept in the cache), CSRF tokens blanked."""
    response = client.get(order.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    article = html[html.index('<article class="order-page"') : html.rindex("</article>") + len("</article>")]
    return TOKEN.sub('name="csrfmiddlewaretoken" value=""', article)


@pytest.fixture
def failed(shopper, inspector):
    order = paid_order(shopper=shopper, status=S.AWAITING_QC)
    failed_round(order, inspector, photos=3, defects=2, measurements=1)
    return Order.objects.get(pk=order.pk)


def test_a_repeat_view_is_the_same_page_in_three_queries_with_a_token_that_works(
    shopper, failed, django_assert_num_queries
):
    client = Client(enforce_csrf_checks=True)
    client.force_login(shopper)
    first = content(client, failed)
    with django_assert_num_queries(3):  # session, shopper, the stamp (which reads the header's figures too)
        again = client.get(failed.get_absolute_url()).content.decode()

    article = again[again.index('<article class="order-page"') : again.rindex("</article>")]
    tokens = TOKEN.findall(article)
    assert len(tokens) > 1 and len(set(tokens)) == 1  # the content's forms: this response's token
    assert content(client, failed) == first
    assert CSRF_PLACEHOLDER not in again
    # The cached page's forms post with this response's token: keeping the item works.
    response = client.post(
        reverse("orders:keep", args=[failed.number]),
        {"csrfmiddlewaretoken": tokens[-1], "expected_status": S.QC_FAILED},
    )
    assert response.status_code == 302
    assert Order.objects.get(pk=failed.pk).status == S.STORED
    assert "You kept it" in client.get(failed.get_absolute_url()).content.decode()


def _returning(shopper):
    order = paid_order(shopper=shopper, qc_failed=True, product_title="Wool coat")
    Order.objects.filter(pk=order.pk).update(status=S.RETURNING)
    ReturnRequestFactory(order=order, kind="refund", seller_response="")
    OrderEventFactory(order=order, note="Weighed at 1.2 kg", shopper_visible=True)
    return Order.objects.get(pk=order.pk)


def _event_saved(order) -> str:
    OrderEventFactory(order=order, note="Parcel photographed at the gate", shopper_visible=True)
    return "Parcel photographed at the gate"


def _order_updated_by_a_queryset(order) -> str:
    Order.objects.filter(pk=order.pk).update(product_title="Wool coat, navy")
    return "Wool coat, navy"


def _answer_written_in_sql(order) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE refunds_returnrequest SET seller_response = %s WHERE order_id = %s", ["Refund approved", order.pk]
        )
    return "Refund approved"


def _event_deleted(order) -> str:
    OrderEvent.objects.filter(order=order, note="Weighed at 1.2 kg").delete()
    return "-Weighed at 1.2 kg"


@pytest.mark.parametrize(
    "change", [_event_saved, _order_updated_by_a_queryset, _answer_written_in_sql, _event_deleted]
)
def test_any_change_to_what_the_page_shows_is_on_the_next_view(shopper, shopper_client, change):
    order = _returning(shopper)
    before = content(shopper_client, order)
    assert content(shopper_client, order) == before  # from the cache

    expected = change(order)
    after = content(shopper_client, order)
    if expected.startswith("-"):
        assert expected[1:] in before and expected[1:] not in after
    else:
        assert expected not in before and expected in after


def test_money_put_in_the_wallet_shows_on_the_unpaid_order(shopper, shopper_client):
    order = OrderFactory(shopper=shopper, product_title="Boots")
    assert "Top up" in content(shopper_client, order)
    fund(shopper, "5000.00")
    page = content(shopper_client, order)
    assert "Top up" not in page and "Your balance: ¥5000.00" in page


def test_another_shopper_gets_a_404_and_not_the_kept_page(failed, shopper_client, other_shopper, client):
    content(shopper_client, failed)
    client.force_login(other_shopper)
    response = client.get(failed.get_absolute_url())
    assert response.status_code == 404
    assert failed.product_title not in response.content.decode()


def test_a_reader_of_chinese_is_not_served_the_english_page(failed, shopper_client):
    english = content(shopper_client, failed)
    shopper_client.cookies["django_language"] = "zh-hans"
    chinese = content(shopper_client, failed)
    assert "Timeline" in english and "Timeline" not in chinese and "时间线" in chinese


def test_the_time_left_to_decide_moves_on_with_the_clock(shopper, shopper_client, failed):
    Order.objects.filter(pk=failed.pk).update(decision_deadline=timezone.now() + timedelta(hours=5, minutes=30))
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        earlier = content(shopper_client, failed)
    with time_machine.travel(now + timedelta(minutes=20), tick=False):
        later = content(shopper_client, failed)
    left = re.compile(r"<strong>5\xa0hours, (\d+)\xa0minutes</strong> left to decide")
    assert int(left.search(earlier)[1]) - int(left.search(later)[1]) == 20


def test_the_stamp_reads_every_table_that_holds_rows_about_an_order_and_the_shoppers_wallet():
    """The function migrate made (post_migrate) reads what the models say today."""
    from ledger.models import Account
    from orders.page_cache import FUNCTION, _rows_about_orders

    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = %s", [FUNCTION])
        [(body,)] = cursor.fetchall()
    tables = {model._meta.db_table for model, _lookup in _rows_about_orders()}
    assert {"qc_qcphoto", "qc_defect", "tickets_message", "orders_orderevent"} <= tables
    for table in [*tables, Order._meta.db_table, Account._meta.db_table, "accounts_user"]:
        assert f'"{table}".xmin' in body, table


def test_a_message_from_a_step_just_taken_shows_once_and_is_not_kept(shopper, shopper_client, failed):
    """The whole page is kept for plain views; the view after a step shows its message, and the
    view after that (the kept page again) does not."""
    content(shopper_client, failed)
    content(shopper_client, failed)  # the whole page from the cache
    response = shopper_client.post(reverse("orders:keep", args=[failed.number]), {"expected_status": S.QC_FAILED})
    assert response.status_code == 302
    shown = shopper_client.get(failed.get_absolute_url()).content.decode()
    assert 'class="message message--success"' in shown and "You kept it" in shown
    again = shopper_client.get(failed.get_absolute_url()).content.decode()
    assert 'class="messages"' not in again and "You kept it" not in again
    assert content(shopper_client, failed) == content(shopper_client, Order.objects.get(pk=failed.pk))


def test_the_kept_page_is_that_of_this_address_with_this_responses_token(shopper, failed):
    """The language switch returns to the address asked for; the time zone script (for a
    shopper whose zone is not known yet) posts with this response's token."""
    shopper.time_zone = ""
    shopper.save(update_fields=["time_zone"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(shopper)
    url = failed.get_absolute_url()
    for address in (url, url, f"{url}?from=email", f"{url}?from=email"):
        html = client.get(address).content.decode()
        assert f'name="next" value="{address}"' in html
        tokens = set(TOKEN.findall(html)) | set(re.findall(r'data-csrf="([^"]+)"', html))
        assert len(tokens) == 1 and CSRF_PLACEHOLDER not in html
    response = client.post(reverse("time_zone_detected"), {"time_zone": "Europe/Paris"}, HTTP_X_CSRFTOKEN=tokens.pop())
    assert response.status_code < 400
