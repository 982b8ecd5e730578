"""The shopper's money pages and the staff's money screens."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from ledger.models import LedgerTransaction
from ledger.selectors import ledger_violations, wallet_balance
from ledger.services import wallet_topup
from orders.models import Order, OrderEvent
from orders.services import order_pay
from refunds.models import ReturnRequest
from tests.factories import OrderFactory, ReturnRequestFactory, fund, paid_order
from tests.queries import cold, get_in_queries

S = Order.Status
D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _ledger_stays_consistent():
    yield
    assert ledger_violations() == []


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- Placing and paying ---------------------------------------------------------------------

ORDER_FORM = {
    "product_url": "https://weidian.com/item.html?itemID=42",
    "product_title": "Retro sneakers",
    "option_text": "EU 44",
    "unit_price": "259.00",
    "quantity": "1",
    "domestic_shipping": "10.00",
    "remark": "",
    "expected_total": "269.00",
}


def test_a_shopper_places_and_pays_an_order_in_one_step(shopper_client, shopper):
    fund(shopper, "300.00")

    response = shopper_client.post(reverse("orders:new"), ORDER_FORM, follow=True)

    order = Order.objects.get()
    assert (order.status, order.marketplace, order.total) == (S.PAID, "weidian", D("269.00"))
    assert f"Order {order.number} is placed and paid." in _messages(response)
    assert wallet_balance(user=shopper) == D("31.00")


def test_placing_with_too_little_balance_says_how_much_is_missing_and_creates_nothing(shopper_client, shopper):
    fund(shopper, "200.00")

    response = shopper_client.post(reverse("orders:new"), ORDER_FORM)

    assert response.status_code == 402
    assert "top up ¥69.00" in response.text
    assert not Order.objects.exists()
    assert wallet_balance(user=shopper) == D("200.00")


def test_without_the_total_the_order_page_shows_it_and_asks_again(shopper_client, shopper):
    """A browser without JavaScript could not show the total as the shopper typed."""
    fund(shopper, "300.00")

    shown = shopper_client.post(reverse("orders:new"), {**ORDER_FORM, "expected_total": ""})

    assert shown.status_code == 200
    assert "This order costs ¥269.00. Check it, then press “Place and pay” again." in shown.text
    assert 'name="expected_total" value="269.00"' in shown.text
    assert not Order.objects.exists()
    assert wallet_balance(user=shopper) == D("300.00")


def test_an_order_is_placed_only_for_the_total_the_page_showed(shopper_client, shopper):
    fund(shopper, "300.00")

    response = shopper_client.post(reverse("orders:new"), {**ORDER_FORM, "expected_total": "259.00"})

    assert response.status_code == 409
    assert "This order costs ¥269.00, not the ¥259.00 shown." in response.text
    assert 'name="expected_total" value="269.00"' in response.text  # pressing again places it
    assert not Order.objects.exists()
    assert wallet_balance(user=shopper) == D("300.00")


@pytest.mark.parametrize(("quantity", "message"), [("0", "Order at least 1 item."), ("1000", "At most 999 items")])
def test_a_quantity_of_0_or_too_many_is_refused_with_a_message(shopper_client, shopper, quantity, message):
    fund(shopper, "300.00")

    response = shopper_client.post(reverse("orders:new"), {**ORDER_FORM, "quantity": quantity})

    assert response.status_code == 400
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert not Order.objects.exists()


def test_the_new_order_page_shows_the_balance_and_where_the_total_goes(shopper_client, shopper):
    fund(shopper, "300.00")

    page = shopper_client.get(reverse("orders:new")).text

    assert "Paid at once from your balance: ¥300.00." in page
    assert '<output id="order-total"' in page
    assert 'type="hidden" name="expected_total"' in page
    assert "js/order-total.js" in page


def test_pay_button_pays_a_pending_order_once(shopper_client, shopper):
    order = OrderFactory(shopper=shopper)
    fund(shopper, "500.00")
    url = reverse("orders:pay", args=[order.number])

    first = shopper_client.post(url, {"expected_status": S.PENDING_PAYMENT})
    second = shopper_client.post(url, {"expected_status": S.PENDING_PAYMENT})

    assert (first.status_code, second.status_code) == (302, 409)
    assert wallet_balance(user=shopper) == D("500.00") - order.total
    assert LedgerTransaction.objects.filter(kind="payment").count() == 1


def test_shopper_cancels_a_paid_order_and_gets_the_money_back(shopper_client, shopper):
    order = paid_order(shopper=shopper, status=S.PAID)

    response = shopper_client.post(
        reverse("orders:cancel", args=[order.number]), {"expected_status": S.PAID}, follow=True
    )

    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert f"Order {order.number} is cancelled." in _messages(response)
    assert wallet_balance(user=shopper) == order.total
    assert OrderEvent.objects.get(order=order).actor == shopper


def test_cancelling_a_purchased_order_is_a_clear_409_and_changes_nothing(shopper_client, shopper):
    order = paid_order(shopper=shopper, status=S.PURCHASED)

    response = shopper_client.post(reverse("orders:cancel", args=[order.number]))

    assert response.status_code == 409
    assert "“Cancel order” is not possible while the order is “Purchased from seller”." in response.text
    assert Order.objects.get(pk=order.pk).status == S.PURCHASED
    assert wallet_balance(user=shopper) == 0


def test_a_double_click_on_cancel_refunds_once(shopper_client, shopper):
    order = paid_order(shopper=shopper, status=S.PAID)
    url = reverse("orders:cancel", args=[order.number])

    first = shopper_client.post(url, {"expected_status": S.PAID})
    second = shopper_client.post(url, {"expected_status": S.PAID})

    assert (first.status_code, second.status_code) == (302, 409)
    assert "This order changed since you opened this page. Reload the page to see its status." in second.text
    assert wallet_balance(user=shopper) == order.total


def test_money_actions_need_post(shopper_client, shopper):
    order = OrderFactory(shopper=shopper)
    for name in ("orders:pay", "orders:cancel", "orders:keep", "refunds:return"):
        assert shopper_client.get(reverse(name, args=[order.number])).status_code == 405


def test_a_post_without_csrf_token_is_refused_and_moves_no_money(shopper):
    order = paid_order(shopper=shopper, status=S.PAID)
    client = Client(enforce_csrf_checks=True)
    client.force_login(shopper)

    for name in ("orders:cancel", "refunds:return", "orders:keep", "orders:pay"):
        assert client.post(reverse(name, args=[order.number])).status_code == 403

    assert Order.objects.get(pk=order.pk).status == S.PAID
    assert wallet_balance(user=shopper) == 0


# --- The decision panel ---------------------------------------------------------------------


def test_the_decision_panel_shows_the_countdown_and_the_itemised_quote(shopper_client, shopper):
    order = paid_order(shopper=shopper, qc_failed=True, quantity=2)
    Order.objects.filter(pk=order.pk).update(decision_deadline=timezone.now() + timedelta(hours=50))

    response = shopper_client.get(order.get_absolute_url())

    text = response.text
    assert "Keep it, return it or exchange it?" in text
    assert "2\xa0days, 1\xa0hour" in text or "2\xa0days, 2\xa0hours" in text
    assert "Item: 2 × ¥129.00" in text and "¥258.00" in text
    assert "Domestic shipping (the seller&#x27;s fault: refunded)" in text
    assert "You will get back when the seller refunds" in text
    assert "Return for ¥266.00" in text
    assert "Keep it" in text
    assert reverse("refunds:exchange", args=[order.number]) in text


def test_shopper_returns_a_qc_failed_item_after_reading_the_quote(shopper_client, shopper):
    order = paid_order(shopper=shopper, qc_failed=True)

    response = shopper_client.post(
        reverse("refunds:return", args=[order.number]),
        {"expected_status": S.QC_FAILED, "expected_total": "137.00", "reason": "Seam open"},
        follow=True,
    )

    order.refresh_from_db()
    assert order.status == S.RETURN_REQUESTED
    request = ReturnRequest.objects.get(order=order)
    assert (request.fault, request.reason, request.quote["total"]) == ("seller", "Seam open", "137.00")
    assert "Your return" in response.text


def test_double_submission_of_a_return_creates_one_request(shopper_client, shopper):
    order = paid_order(shopper=shopper, qc_failed=True)
    data = {"expected_status": S.QC_FAILED, "expected_total": "137.00"}
    url = reverse("refunds:return", args=[order.number])

    shopper_client.post(url, data)
    second = shopper_client.post(url, data)

    assert second.status_code == 409
    assert ReturnRequest.objects.count() == 1


def test_deciding_after_the_deadline_is_refused_with_a_message(shopper_client, shopper):
    order = paid_order(shopper=shopper, status=S.QC_FAILED, decision_deadline=timezone.now() - timedelta(hours=1))

    response = shopper_client.post(
        reverse("refunds:return", args=[order.number]),
        {"expected_status": S.QC_FAILED, "expected_total": "137.00"},
    )

    assert response.status_code == 409
    assert "The decision window closed" in response.text
    assert Order.objects.get(pk=order.pk).status == S.QC_FAILED


def test_a_page_gone_stale_in_another_tab_blames_nobody_else(shopper_client, shopper):
    order = paid_order(shopper=shopper, qc_failed=True)
    shopper_client.post(reverse("orders:keep", args=[order.number]), {"expected_status": S.QC_FAILED})

    stale = shopper_client.post(  # the first tab still shows the decision
        reverse("refunds:return", args=[order.number]), {"expected_status": S.QC_FAILED, "expected_total": "137.00"}
    )

    assert stale.status_code == 409
    assert "This order changed since you opened this page. Reload the page to see its status." in stale.text
    assert "someone else" not in stale.text
    assert not ReturnRequest.objects.exists()


def test_a_page_gone_stale_because_support_acted_says_so(shopper_client, shopper, support):
    from orders.services import order_purchase

    order = paid_order(shopper=shopper, status=S.PAID)
    order_purchase(order=order, by=support)

    stale = shopper_client.post(reverse("orders:cancel", args=[order.number]), {"expected_status": S.PAID})

    assert stale.status_code == 409
    assert "This order was changed by someone else meanwhile." in stale.text
    assert wallet_balance(user=shopper) == 0


def test_keep(shopper_client, shopper):
    order = paid_order(shopper=shopper, qc_failed=True)

    response = shopper_client.post(
        reverse("orders:keep", args=[order.number]), {"expected_status": S.QC_FAILED}, follow=True
    )

    assert Order.objects.get(pk=order.pk).status == S.STORED
    assert "You kept it. The item is stored in the warehouse." in _messages(response)


def test_exchange_preview_then_confirm(shopper_client, shopper):
    order = paid_order(shopper=shopper, qc_failed=True)
    fund(shopper, "20.00")
    url = reverse("refunds:exchange", args=[order.number])
    data = {"new_option": "L / sage", "new_unit_price": "139.00", "expected_status": S.QC_FAILED}

    preview = shopper_client.post(url, {**data, "preview": "1"})
    assert preview.context["quote"].total == D("10.00")
    assert "Charged to your balance when you confirm" in preview.text
    assert "Confirm and pay ¥10.00" in preview.text
    assert not ReturnRequest.objects.exists()

    shopper_client.post(url, {**data, "expected_total": "10.00", "confirm": "1"})

    request = ReturnRequest.objects.get()
    assert (request.kind, request.new_option, request.new_unit_price) == ("exchange", "L / sage", D("139.00"))
    assert wallet_balance(user=shopper) == D("10.00")


def test_exchange_with_a_stale_quote_is_refused(shopper_client, shopper):
    order = paid_order(shopper=shopper, qc_failed=True)
    fund(shopper, "50.00")

    response = shopper_client.post(
        reverse("refunds:exchange", args=[order.number]),
        {
            "new_option": "L",
            "new_unit_price": "149.00",
            "expected_status": S.QC_FAILED,
            "expected_total": "10.00",
            "confirm": "1",
        },
    )

    assert response.status_code == 409
    assert "The amounts changed since you looked" in response.text
    assert not ReturnRequest.objects.exists()


# --- Balance --------------------------------------------------------------------------------


def test_statement_shows_each_line_with_its_running_balance_and_order_link(shopper_client, shopper):
    fund(shopper, "500.00")
    order = OrderFactory(shopper=shopper)
    order_pay(order=order, by=shopper)

    response = shopper_client.get(reverse("ledger:balance"))

    rows = list(response.context["page_obj"].object_list)
    assert [(r.amount, r.balance_after) for r in rows] == [(D("-137.00"), D("363.00")), (D("500.00"), D("500.00"))]
    assert order.get_absolute_url() in response.text
    assert "Balance ¥363.00" in response.text  # in the header


def test_statement_lines_are_worded_in_the_reader_s_language_not_the_writer_s(shopper_client, shopper):
    fund(shopper, "500.00")
    order = OrderFactory(shopper=shopper)
    with translation.override("zh-hans"):  # paid while the site was in Chinese
        order_pay(order=order, by=shopper)
    with translation.override("zh-hans"):
        in_chinese = translation.gettext("Payment for order %(number)s") % {"number": order.number}
    assert in_chinese != f"Payment for order {order.number}"
    assert LedgerTransaction.objects.get(order=order).description == in_chinese

    english = shopper_client.get(reverse("ledger:balance")).text
    assert f"Payment for order {order.number}" in english
    assert in_chinese not in english

    shopper.language = "zh-hans"
    shopper.save(update_fields=["language"])
    assert in_chinese in shopper_client.get(reverse("ledger:balance")).text
    assert "充值" in shopper_client.get(reverse("ledger:balance")).text  # the top-up, too


def test_statement_csv_download(shopper_client, shopper):
    fund(shopper, "500.00")
    order_pay(order=OrderFactory(shopper=shopper), by=shopper)

    response = shopper_client.get(reverse("ledger:statement_csv"))

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["Date", "Description", "Order", "Amount (CNY)", "Balance (CNY)"]
    assert [row[3:] for row in rows[1:]] == [["-137.00", "363.00"], ["+500.00", "500.00"]]


def test_statement_query_count_is_the_same_for_1_and_200_entries(
    shopper_client, shopper, django_assert_num_queries, django_assert_max_num_queries
):
    fund(shopper, "10000.00")
    cold()
    with django_assert_max_num_queries(30) as one:
        shopper_client.get(reverse("ledger:balance"))
    for _ in range(199):
        order_pay(order=OrderFactory(shopper=shopper, unit_price=D("1.00"), domestic_shipping=0), by=shopper)

    cold()
    with django_assert_num_queries(len(one)):
        response = shopper_client.get(reverse("ledger:balance"))
    assert response.context["page_obj"].paginator.count == 200


def test_another_shopper_never_sees_my_statement(shopper_client, other_shopper):
    fund(other_shopper, "777.00")

    response = shopper_client.get(reverse("ledger:balance"))

    assert "777.00" not in response.text


# --- Staff ----------------------------------------------------------------------------------


def test_support_records_a_top_up_with_a_reason_once_even_if_submitted_twice(support_client, shopper):
    url = reverse("admin:ledger_account_balance_change")
    form = support_client.get(url).context["form"]
    data = {"shopper": "shopper@example.com", "kind": "topup", "amount": "250.00", "reason": "Alipay 8812"}
    data["token"] = form["token"].value()
    data["confirmed"] = "1"  # as the confirmation page's button sends it (tests/orders/test_money_buttons.py)

    first = support_client.post(url, data, follow=True)
    support_client.post(url, data)

    assert any("balance now ¥250.00" in m for m in _messages(first))
    assert wallet_balance(user=shopper) == D("250.00")


def test_a_top_up_without_a_reason_or_for_an_unknown_shopper_is_a_form_error(support_client, shopper):
    url = reverse("admin:ledger_account_balance_change")

    no_reason = support_client.post(url, {"shopper": shopper.email, "kind": "topup", "amount": "5", "token": "t1"})
    stranger = support_client.post(
        url, {"shopper": "nobody@example.com", "kind": "topup", "amount": "5", "reason": "x", "token": "t2"}
    )

    assert "This field is required." in no_reason.text
    assert "No shopper has this email address." in stranger.text
    assert wallet_balance(user=shopper) == 0


def test_inspectors_cannot_record_top_ups(client, inspector):
    client.force_login(inspector)
    assert client.get(reverse("admin:ledger_account_balance_change")).status_code == 403


def test_support_confirms_a_refund_with_the_order_button(support_client, shopper):
    order = paid_order(shopper=shopper, status=S.SELLER_REFUNDING)
    ReturnRequestFactory(order=order)

    response = support_client.post(
        reverse("admin:orders_order_transition", args=[order.pk, "confirm_refund"]),
        {"expected_status": S.SELLER_REFUNDING, "expected_credit": "137.00"},  # confirmed as shown
        follow=True,
    )

    assert (
        "¥137.00 credited to shopper@example.com; balance now ¥137.00. "
        f"Order {order.number} is now “Refunded to balance”." in _messages(response)
    )
    assert wallet_balance(user=shopper) == order.total


def test_overdue_filter_lists_returns_without_seller_response(support_client, settings):
    settings.SELLER_RESPONSE_HOURS = 72
    late = ReturnRequestFactory(
        order=OrderFactory(status=S.RETURNING), shipped_at=timezone.now() - timedelta(hours=80)
    )
    ReturnRequestFactory(order=OrderFactory(status=S.RETURNING), shipped_at=timezone.now() - timedelta(hours=10))
    ReturnRequestFactory(
        order=OrderFactory(status=S.SELLER_REFUNDING),
        shipped_at=timezone.now() - timedelta(hours=80),
        seller_received_at=timezone.now(),
    )

    response = support_client.get(reverse("admin:refunds_returnrequest_changelist"), {"seller": "overdue"})

    assert list(response.context["cl"].result_list) == [late]


def test_ledger_admin_is_read_only(support_client, shopper):
    txn, _ = wallet_topup(user=shopper, amount=D("5"), by=None, reason="x", token="ro")

    response = support_client.get(reverse("admin:ledger_ledgertransaction_change", args=[txn.pk]))

    assert response.status_code == 200
    assert 'name="_save"' not in response.text
    assert support_client.get(reverse("admin:ledger_ledgertransaction_add")).status_code == 403


def test_the_replacement_shipped_button_asks_staff_for_the_real_price_prefilled_with_the_proposal(
    support_client, shopper
):
    order = paid_order(shopper=shopper, status=S.EXCHANGE_RETURNING)
    ReturnRequestFactory(order=order, kind="exchange", new_unit_price=D("119.00"))
    change = support_client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert 'name="price" required min="0.01" step="0.01" value="119.00"' in change.text

    support_client.post(
        reverse("admin:orders_order_transition", args=[order.pk, "replacement_shipped"]),
        {
            "expected_status": S.EXCHANGE_RETURNING,
            "tracking": "ZT12345678",
            "price": "114.00",
            "expected_credit": "15",
        },
    )

    order.refresh_from_db()
    assert (order.status, order.unit_price) == (S.AWAITING_REPLACEMENT, D("114.00"))
    assert wallet_balance(user=shopper) == D("15.00")  # 129.00 paid for the item, 114.00 confirmed


def test_confirming_an_exchange_without_the_quote_shows_the_quote_first(shopper_client, shopper):
    order = paid_order(shopper=shopper, qc_failed=True)
    fund(shopper, "20.00")

    response = shopper_client.post(
        reverse("refunds:exchange", args=[order.number]),
        {"new_option": "L", "new_unit_price": "139.00", "expected_status": S.QC_FAILED, "confirm": "1"},
    )

    assert response.status_code == 200
    assert response.context["quote"].total == D("10.00")
    assert not ReturnRequest.objects.exists()
    assert wallet_balance(user=shopper) == D("20.00")


@pytest.mark.parametrize("status", [S.QC_FAILED, S.RETURNING, S.REFUNDED])
def test_order_detail_with_the_money_panels_runs_the_same_queries_for_1_and_30_events(
    shopper_client, shopper, status, django_assert_num_queries, django_assert_max_num_queries
):
    from tests.factories import OrderEventFactory

    order = paid_order(shopper=shopper, status=status, decision_deadline=timezone.now() + timedelta(hours=5))
    if status != S.QC_FAILED:
        ReturnRequestFactory(order=order)
    OrderEventFactory(order=order)
    cold()
    with django_assert_max_num_queries(40) as one:
        shopper_client.get(order.get_absolute_url())
    OrderEventFactory.create_batch(29, order=order)

    cold()
    with django_assert_num_queries(len(one)):
        response = shopper_client.get(order.get_absolute_url())
    assert len(response.context["order"].timeline) == 30


def test_the_pay_button_carries_the_total_it_shows(shopper_client, shopper):
    order = OrderFactory(shopper=shopper)
    fund(shopper, "500.00")
    page = shopper_client.get(order.get_absolute_url()).text
    assert 'name="expected_total" value="137.00"' in page
    Order.objects.filter(pk=order.pk).update(domestic_shipping=D("20.00"))  # support fixed the shipping meanwhile

    response = shopper_client.post(
        reverse("orders:pay", args=[order.number]),
        {"expected_status": S.PENDING_PAYMENT, "expected_total": "137.00"},
    )

    assert response.status_code == 409
    assert "The amounts changed since you looked" in response.text
    assert wallet_balance(user=shopper) == D("500.00")


def test_staff_input_that_postgres_would_refuse_is_a_message_not_a_500(support_client, shopper):
    order = paid_order(shopper=shopper, status=S.RETURNING)
    ReturnRequestFactory(order=order)

    response = support_client.post(
        reverse("admin:orders_order_transition", args=[order.pk, "seller_refused"]),
        {"expected_status": S.RETURNING, "note": "No\x00 way"},
        follow=True,
    )

    assert response.status_code == 200
    assert "Null characters are not allowed." in _messages(response)
    assert Order.objects.get(pk=order.pk).status == S.RETURNING
    assert ReturnRequest.objects.get(order=order).seller_response == ""


# --- Pinned query counts --------------------------------------------------------------------


@pytest.fixture
def _qc_failed_round(shopper, inspector):
    from tests.qc.conftest import failed_round

    order = paid_order(shopper=shopper, status=S.AWAITING_QC)
    return failed_round(order, inspector, photos=2, defects=2, measurements=1).order


# After QC the page also lists the order's photo requests (+1 query); where more photos may be
# asked for, the form's latest round is the QC section's first (no query). A stored item looks
# for the discount it may have been kept for (+1). Two of each are the listing images section
# (the images; whether there are QC photos to compare with comes from the QC section) and the
# evidence pack section (the shopper's latest pack); the money card reads the order's wallet
# lines (+1, the paid one also what a cancellation would give back, the return and exchange
# cards their own wallet lines). A first view: the stamp of what the page shows (+1), then the
# QC section renders its completed round (rounds, photos, defects, measurements). A repeat view
# takes the whole content from the cache (orders.page_cache): the session, the shopper, the
# stamp. The stamp's query also reads the header's balance and unread notifications, on first
# and repeat views alike.
PINNED_ORDER_PAGES = {
    S.PENDING_PAYMENT: 10,
    S.PAID: 13,
    S.QC_FAILED: 14,
    S.STORED: 15,
    S.RETURNING: 15,
    S.REFUNDED: 15,
    S.EXCHANGE_REQUESTED: 15,
    S.CANCELLED: 13,
}
REPEAT_VIEW = 3


@pytest.mark.parametrize("status", PINNED_ORDER_PAGES)
def test_the_order_page_runs_a_pinned_number_of_queries_in_each_status(
    shopper_client, shopper, inspector, status, django_assert_num_queries
):
    """Each with a completed QC round (photos, defects, a measurement) but the unpaid one."""
    from tests.qc.conftest import failed_round

    if status == S.PENDING_PAYMENT:
        order = OrderFactory(shopper=shopper)
    else:
        order = paid_order(shopper=shopper, status=S.AWAITING_QC)
        failed_round(order, inspector, photos=2, defects=2, measurements=1)
        Order.objects.filter(pk=order.pk).update(status=status, decision_deadline=timezone.now() + timedelta(hours=5))
        if status in (S.RETURNING, S.REFUNDED, S.EXCHANGE_REQUESTED):
            kind = "exchange" if status == S.EXCHANGE_REQUESTED else "refund"
            ReturnRequestFactory(order=order, kind=kind)
    get_in_queries(shopper_client, order.get_absolute_url(), PINNED_ORDER_PAGES[status], django_assert_num_queries)
    with django_assert_num_queries(REPEAT_VIEW):  # the page's content from the cache
        assert shopper_client.get(order.get_absolute_url()).status_code == 200


def test_the_balance_page_and_its_csv_run_a_pinned_number_of_queries(
    shopper_client, shopper, django_assert_num_queries
):
    fund(shopper, "500.00")
    order_pay(order=OrderFactory(shopper=shopper), by=shopper)
    get_in_queries(shopper_client, reverse("ledger:balance"), 7, django_assert_num_queries)
    csv_text = get_in_queries(shopper_client, reverse("ledger:statement_csv"), 3, django_assert_num_queries)
    assert len(csv_text.splitlines()) == 3


def test_the_new_order_and_exchange_pages_run_a_pinned_number_of_queries(
    shopper_client, shopper, django_assert_num_queries
):
    fund(shopper, "500.00")
    order = paid_order(shopper=shopper, qc_failed=True)
    get_in_queries(shopper_client, reverse("orders:new"), 5, django_assert_num_queries)
    get_in_queries(shopper_client, reverse("refunds:exchange", args=[order.number]), 7, django_assert_num_queries)


def test_the_staff_money_pages_run_a_pinned_number_of_queries(support_client, shopper, django_assert_num_queries):
    txn, _created = wallet_topup(user=shopper, amount=D("50.00"), by=None, reason="Alipay", token="pin")
    ReturnRequestFactory(order=paid_order(shopper=shopper, status=S.RETURNING))
    ReturnRequestFactory(order=paid_order(shopper=shopper, status=S.SELLER_REFUNDING), kind="exchange")
    pages = {
        reverse("admin:refunds_returnrequest_changelist"): 9,
        reverse("admin:ledger_ledgertransaction_changelist"): 9,
        reverse("admin:ledger_ledgertransaction_change", args=[txn.pk]): 7,
        reverse("admin:ledger_account_changelist"): 7,
        reverse("admin:ledger_account_balance_change"): 4,
    }
    for url, queries in pages.items():
        get_in_queries(support_client, url, queries, django_assert_num_queries)
