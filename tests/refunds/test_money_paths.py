"""Every money path: what the shopper is quoted is what moves, once."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from ledger.models import Account, AppendOnlyError, Entry, LedgerTransaction
from ledger.selectors import ledger_violations, order_refundable, platform_balance, wallet_balance
from ledger.services import (
    AlreadyRecorded,
    InsufficientBalance,
    LedgerError,
    ledger_post,
    ledger_reverse,
    platform_account,
    wallet_adjust,
    wallet_for,
    wallet_topup,
)
from orders.models import Order
from orders.services import (
    OrderActionError,
    OrderChangedMeanwhile,
    QuoteChanged,
    order_cancel,
    order_fail_qc,
    order_mark_out_of_stock,
    order_pass_qc,
    order_pay,
    order_place_and_pay,
)
from refunds import services
from refunds.models import ReturnRequest
from refunds.quotes import Quote
from refunds.selectors import order_quote_exchange, order_quote_refund
from tests.factories import OrderFactory, fund, paid_order

S = Order.Status
D = Decimal


@pytest.fixture(autouse=True)
def _ledger_stays_consistent(db):
    yield
    assert ledger_violations() == []


def wallet(user) -> Decimal:
    return wallet_balance(user=user)


def test_place_and_pay_debits_the_total_and_credits_order_payments(shopper):
    fund(shopper, "300.00")

    order = order_place_and_pay(
        shopper=shopper,
        product_title="Linen shirt",
        product_url="https://item.taobao.com/item.htm?id=1",
        unit_price=D("129.00"),
        quantity=2,
        domestic_shipping=D("8.00"),
    )

    assert order.status == S.PAID
    assert wallet(shopper) == D("34.00")
    assert order_refundable(order_id=order.pk) == D("266.00")
    assert platform_balance(kind="order_payments") == D("266.00")


def test_too_little_balance_creates_and_charges_nothing_and_says_how_much_is_missing(shopper):
    fund(shopper, "100.00")

    with pytest.raises(InsufficientBalance, match=r"top up ¥166.00"):
        order_place_and_pay(
            shopper=shopper,
            product_title="Linen shirt",
            product_url="https://item.taobao.com/item.htm?id=1",
            unit_price=D("129.00"),
            quantity=2,
            domestic_shipping=D("8.00"),
        )

    assert not Order.objects.exists()
    assert wallet(shopper) == D("100.00")


@pytest.mark.parametrize("status", [S.PENDING_PAYMENT, S.PAID])
def test_cancel_before_purchase_refunds_everything_at_once(shopper, status):
    if status == S.PAID:
        order = paid_order(shopper=shopper, status=S.PAID)
    else:
        order = OrderFactory(shopper=shopper)
        fund(shopper, "10.00")
    before = wallet(shopper)

    order = order_cancel(order=order, by=shopper)

    assert order.status == S.CANCELLED
    assert wallet(shopper) == before + (order.total if status == S.PAID else 0)
    assert order_refundable(order_id=order.pk) == 0


def test_out_of_stock_refunds_and_tells_the_shopper(shopper, support):
    order = paid_order(shopper=shopper, status=S.PAID)

    order_mark_out_of_stock(order=order, by=support)

    assert wallet(shopper) == order.total
    notification = shopper.notifications.get()
    assert f"¥{order.total} is back on your balance." in notification.body


def _fail(order, inspector):
    return order_fail_qc(order=order, by=inspector)


def test_qc_failed_refund_quote_is_item_and_shipping_without_fees_and_is_what_is_credited(shopper, support, inspector):
    order = _fail(paid_order(shopper=shopper, status=S.AWAITING_QC, quantity=2), inspector)

    quote = order_quote_refund(order=order)
    assert [line.amount for line in quote.lines] == [D("258.00"), D("8.00")]
    assert (quote.total, quote.fee, quote.fault) == (D("266.00"), 0, "seller")

    order, request = services.order_request_refund(order=order, by=shopper, expected_total=quote.total)
    assert Quote.from_json(request.quote) == quote
    order, _ = services.return_ship(order=order, by=support, tracking="SF12345678")
    order, _ = services.return_seller_received(order=order, by=support)
    order, txn = services.refund_confirm(order=order, by=support)

    credited = txn.entries.get(account__kind="wallet").amount
    assert credited == quote.total
    assert wallet(shopper) == D("266.00")
    assert order.status == S.REFUNDED
    note = shopper.notifications.filter(event="refund_credited").get()
    assert "¥266.00 was credited; your balance is now ¥266.00." in note.body


def test_change_of_mind_refund_keeps_shipping_and_deducts_the_fee(shopper, support, inspector, settings):
    settings.RETURN_SHIPPING_FEE = D("15.00")
    order = order_pass_qc(order=paid_order(shopper=shopper, status=S.AWAITING_QC), by=inspector)

    quote = order_quote_refund(order=order)
    assert [line.amount for line in quote.lines] == [D("129.00"), D("0.00"), D("-15.00")]
    assert (quote.total, quote.fault) == (D("114.00"), "shopper")

    order, _ = services.order_request_refund(order=order, by=shopper, expected_total=D("114.00"))
    order, _ = services.return_ship(order=order, by=support, tracking="SF12345678")
    order, _ = services.return_seller_received(order=order, by=support)
    services.refund_confirm(order=order, by=support)

    assert wallet(shopper) == D("114.00")
    assert platform_balance(kind="fees") == D("15.00")
    assert order_refundable(order_id=order.pk) == D("23.00")  # the shipping and the fee stay paid


def test_a_stale_quote_is_refused(shopper, inspector, settings):
    order = order_pass_qc(order=paid_order(shopper=shopper, status=S.AWAITING_QC), by=inspector)
    settings.RETURN_SHIPPING_FEE = D("20.00")  # the fee changed after the shopper saw the quote

    with pytest.raises(QuoteChanged):
        services.order_request_refund(order=order, by=shopper, expected_total=D("114.00"))

    assert Order.objects.get(pk=order.pk).status == S.STORED
    assert not ReturnRequest.objects.exists()


def test_a_refund_never_exceeds_what_was_paid(shopper, support, inspector):
    order = paid_order(shopper=shopper, status=S.AWAITING_QC)
    wallet_adjust(user=shopper, amount=D("1"), by=support, reason="goodwill", token="x")
    # Part of the payment was already refunded by a correction of 100.00.
    ledger_post(
        key="partial",
        kind="adjustment",
        legs=[
            (wallet_for(user=shopper), D("100.00")),
            (platform_account("order_payments"), D("-100.00")),
        ],
        description="partial refund",
        order_id=order.pk,
    )
    order = _fail(order, inspector)

    quote = order_quote_refund(order=order)

    assert quote.total == D("37.00")
    assert quote.lines[-1].amount == D("-100.00")


def test_exchange_with_a_higher_price_pays_the_difference_when_requesting(shopper, support, inspector):
    order = _fail(paid_order(shopper=shopper, status=S.AWAITING_QC, quantity=2), inspector)
    fund(shopper, "50.00")

    quote = order_quote_exchange(order=order, new_unit_price=D("139.00"))
    assert quote.total == D("20.00")
    order, _ = services.order_request_exchange(
        order=order, by=shopper, new_option="L", new_unit_price=D("139.00"), expected_total=quote.total
    )
    assert wallet(shopper) == D("30.00")

    order, _ = services.return_ship(order=order, by=support, tracking="SF12345678")
    order, _ = services.exchange_replacement_shipped(order=order, by=support, tracking="ZT12345678")
    assert (order.status, order.option_text, order.unit_price) == (S.AWAITING_REPLACEMENT, "L", D("139.00"))
    assert wallet(shopper) == D("30.00")  # nothing more moves when it ships


def test_exchange_with_a_lower_price_credits_the_difference_when_the_replacement_ships(shopper, support, inspector):
    order = _fail(paid_order(shopper=shopper, status=S.AWAITING_QC), inspector)

    quote = order_quote_exchange(order=order, new_unit_price=D("99.00"))
    assert quote.total == D("-30.00")
    order, _ = services.order_request_exchange(order=order, by=shopper, new_option="S", new_unit_price=D("99.00"))
    assert wallet(shopper) == 0
    order, _ = services.return_ship(order=order, by=support, tracking="SF12345678")
    services.exchange_replacement_shipped(order=order, by=support, tracking="ZT12345678")

    assert wallet(shopper) == D("30.00")
    assert "¥30.00 was credited" in shopper.notifications.filter(event="exchange_update").first().body


def test_exchange_with_too_little_balance_says_how_much_to_top_up_and_changes_nothing(shopper, inspector):
    order = _fail(paid_order(shopper=shopper, status=S.AWAITING_QC), inspector)

    with pytest.raises(InsufficientBalance, match=r"top up ¥10.00"):
        services.order_request_exchange(order=order, by=shopper, new_option="L", new_unit_price=D("139.00"))

    assert Order.objects.get(pk=order.pk).status == S.QC_FAILED
    assert not ReturnRequest.objects.exists()


def test_seller_refused_then_platform_compensates_the_quoted_refund(shopper, support, inspector):
    order = _fail(paid_order(shopper=shopper, status=S.AWAITING_QC), inspector)
    order, _ = services.order_request_refund(order=order, by=shopper)
    order, _ = services.return_ship(order=order, by=support, tracking="SF12345678")
    order, _ = services.return_seller_refused(order=order, by=support, note="Seller says it was perfect.")

    order, _ = services.refusal_compensate(order=order, by=support)

    assert order.status == S.REFUNDED
    assert wallet(shopper) == order.total
    assert platform_balance(kind="compensation") == -order.total


def test_restock_after_refusal_moves_no_money(shopper, support, inspector):
    order = _fail(paid_order(shopper=shopper, status=S.AWAITING_QC), inspector)
    order, _ = services.order_request_refund(order=order, by=shopper)
    order, _ = services.return_ship(order=order, by=support, tracking="SF12345678")
    order, _ = services.return_seller_refused(order=order, by=support, note="No.")

    order, _ = services.refusal_restock(order=order, by=support)

    assert order.status == S.STORED
    assert wallet(shopper) == 0


def test_double_submission_of_a_decision_creates_one_request(shopper, inspector):
    order = _fail(paid_order(shopper=shopper, status=S.AWAITING_QC), inspector)
    stale_copy = Order.objects.get(pk=order.pk)

    services.order_request_refund(order=order, by=shopper, expected_status=S.QC_FAILED)
    with pytest.raises(OrderChangedMeanwhile):
        services.order_request_refund(order=stale_copy, by=shopper, expected_status=S.QC_FAILED)

    assert ReturnRequest.objects.count() == 1


def test_double_confirmation_of_a_refund_credits_once(shopper, support, inspector):
    order = _fail(paid_order(shopper=shopper, status=S.AWAITING_QC), inspector)
    order, _ = services.order_request_refund(order=order, by=shopper)
    order, _ = services.return_ship(order=order, by=support, tracking="SF12345678")
    order, _ = services.return_seller_received(order=order, by=support)
    second_click = Order.objects.get(pk=order.pk)

    services.refund_confirm(order=order, by=support)
    with pytest.raises(OrderActionError):
        services.refund_confirm(order=second_click, by=support)

    assert LedgerTransaction.objects.filter(kind="refund").count() == 1
    assert wallet(shopper) == order.total


def test_the_same_idempotency_key_posts_once(shopper):
    wallet_topup(user=shopper, amount=D("50"), by=None, reason="transfer 1", token="abc")
    wallet_topup(user=shopper, amount=D("50"), by=None, reason="transfer 1", token="abc")

    assert wallet(shopper) == D("50.00")
    assert LedgerTransaction.objects.filter(kind="topup").count() == 1


def test_adjustments_need_a_reason_and_cannot_overdraw(shopper, support):
    fund(shopper, "20.00")

    with pytest.raises(LedgerError, match="reason"):
        wallet_adjust(user=shopper, amount=D("5"), by=support, reason=" ", token="a")
    with pytest.raises(InsufficientBalance):
        wallet_adjust(user=shopper, amount=D("-25"), by=support, reason="mistake", token="b")
    wallet_adjust(user=shopper, amount=D("-5"), by=support, reason="duplicate top-up", token="c")

    assert wallet(shopper) == D("15.00")


def test_a_correction_is_a_reversing_transaction(shopper, support):
    txn, _ = wallet_topup(user=shopper, amount=D("40"), by=support, reason="typo", token="t")

    reversal, _ = ledger_reverse(txn=txn, by=support, reason="wrong shopper")

    assert wallet(shopper) == 0
    assert reversal.reverses == txn
    assert Entry.objects.count() == 4


def test_entries_and_transactions_are_append_only(shopper):
    txn, _ = wallet_topup(user=shopper, amount=D("40"), by=None, reason="x", token="t")
    entry = txn.entries.first()

    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        Entry.objects.filter(pk=entry.pk).update(amount=D("1"))
    with pytest.raises(AppendOnlyError):
        txn.delete()
    assert connection.vendor == "postgresql"
    with pytest.raises(Exception, match="Cannot update"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE refunds_entry SET amount = 1 WHERE id = %s", [entry.pk])


def test_the_database_refuses_a_negative_wallet(shopper):
    account = wallet_for(user=shopper)

    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(balance=D("-1.00"))


def test_ledger_check_command_reports_and_exits_1(shopper, capsys):
    call_command("ledger_check")
    assert "Ledger OK" in capsys.readouterr().out

    account = wallet_for(user=shopper)
    Account.objects.filter(pk=account.pk).update(balance=D("5.00"))  # drift: no entry behind it

    with pytest.raises(CommandError) as error:
        call_command("ledger_check")
    assert error.value.returncode == 1
    assert f"wallet {account.pk} caches 5.00 but its entries sum to 0.00" in capsys.readouterr().err
    Account.objects.filter(pk=account.pk).update(balance=D("0.00"))


@pytest.mark.parametrize(("fault_status", "expected_back"), [(S.QC_FAILED, D("147.00")), (S.STORED, D("139.00"))])
def test_a_refused_exchange_compensated_returns_what_was_paid_including_the_difference(
    shopper, support, inspector, settings, fault_status, expected_back
):
    """Paid 137.00, then 10.00 more for a dearer size (+15.00 fee on a change of mind); the seller
    refuses and the platform compensates: the difference comes back too, the fee and shipping
    stay paid on a change of mind."""
    settings.RETURN_SHIPPING_FEE = D("15.00")
    order = paid_order(shopper=shopper, status=S.AWAITING_QC)
    order = _fail(order, inspector) if fault_status == S.QC_FAILED else order_pass_qc(order=order, by=inspector)
    fund(shopper, "25.00")
    order, _ = services.order_request_exchange(order=order, by=shopper, new_option="L", new_unit_price=D("139.00"))
    paid_for_order = order_refundable(order_id=order.pk)
    order, _ = services.return_ship(order=order, by=support, tracking="SF12345678")
    order, _ = services.return_seller_refused(order=order, by=support, note="No exchange.")

    order, txn = services.refusal_compensate(order=order, by=support)

    assert txn.entries.get(account__kind="wallet").amount == expected_back
    assert paid_for_order == D("137.00") + D("10.00") + (D("15.00") if fault_status == S.STORED else 0)
    request = ReturnRequest.objects.get(order=order)
    assert Quote.from_json(request.quote).total == expected_back


def _exchange_until_shipped_back(order, shopper, support, inspector, *, proposed: str):
    order = _fail(order, inspector)
    order, _ = services.order_request_exchange(order=order, by=shopper, new_option="S", new_unit_price=D(proposed))
    order, _ = services.return_ship(order=order, by=support, tracking="SF12345678")
    return order


def test_the_credit_for_a_cheaper_option_follows_the_price_staff_confirm(shopper, support, inspector):
    order = paid_order(shopper=shopper, status=S.AWAITING_QC)  # 129.00 + 8.00
    order = _exchange_until_shipped_back(order, shopper, support, inspector, proposed="119.00")

    order, request = services.exchange_replacement_shipped(
        order=order, by=support, tracking="ZT12345678", price="109.00"
    )

    assert wallet_balance(user=shopper) == D("20.00")
    assert (order.unit_price, request.new_unit_price) == (D("109.00"), D("109.00"))
    # Saved with the transition, which saves only the fields changed since the row was locked.
    stored = Order.objects.values_list("unit_price", "option_text", "domestic_tracking").get(pk=order.pk)
    assert stored == (D("109.00"), "S", "ZT12345678")
    assert Quote.from_json(request.quote).total == D("-20.00")
    assert "¥20.00 was credited" in shopper.notifications.filter(event="exchange_update").first().body


def test_a_price_above_what_the_shopper_agreed_to_is_refused_so_a_false_claim_earns_nothing(
    shopper, support, inspector
):
    order = paid_order(shopper=shopper, status=S.AWAITING_QC)
    order = _exchange_until_shipped_back(order, shopper, support, inspector, proposed="0.01")

    with pytest.raises(OrderActionError, match=r"agreed to ¥0.01, not ¥119.00"):
        services.exchange_replacement_shipped(order=order, by=support, tracking="ZT12345678", price="119.00")

    assert Order.objects.get(pk=order.pk).status == S.EXCHANGE_RETURNING
    assert wallet_balance(user=shopper) == 0


def test_a_dearer_exchange_is_paid_when_requesting_and_nothing_more_moves_when_it_ships(shopper, support, inspector):
    order = paid_order(shopper=shopper, status=S.AWAITING_QC)
    fund(shopper, "10.00")
    order = _fail(order, inspector)
    order, _ = services.order_request_exchange(order=order, by=shopper, new_option="L", new_unit_price=D("134.00"))
    assert wallet_balance(user=shopper) == D("5.00")
    order, _ = services.return_ship(order=order, by=support, tracking="SF12345678")

    with pytest.raises(OrderActionError, match=r"agreed to ¥134.00, not ¥144.00"):
        services.exchange_replacement_shipped(order=order, by=support, tracking="ZT12345678", price="144.00")
    order, _ = services.exchange_replacement_shipped(order=order, by=support, tracking="ZT12345678", price="134.00")

    assert wallet_balance(user=shopper) == D("5.00")
    assert order.unit_price == D("134.00")


def test_a_change_of_mind_exchange_whose_difference_cancels_the_fee_ships_without_error(
    shopper, support, inspector, settings
):
    settings.RETURN_SHIPPING_FEE = D("15.00")
    order = order_pass_qc(order=paid_order(shopper=shopper, status=S.AWAITING_QC), by=inspector)
    order, _ = services.order_request_exchange(order=order, by=shopper, new_option="S", new_unit_price=D("114.00"))
    order, _ = services.return_ship(order=order, by=support, tracking="SF12345678")

    order, _ = services.exchange_replacement_shipped(order=order, by=support, tracking="ZT12345678")

    assert (order.status, wallet_balance(user=shopper)) == (S.AWAITING_REPLACEMENT, 0)


def test_an_edited_resubmitted_top_up_form_is_refused_not_silently_dropped(shopper, other_shopper, support):
    wallet_topup(user=shopper, amount=D("10"), by=support, reason="first", token="same-form")

    with pytest.raises(AlreadyRecorded):
        wallet_topup(user=other_shopper, amount=D("500"), by=support, reason="second", token="same-form")

    _, created = wallet_topup(user=shopper, amount=D("10"), by=support, reason="first", token="same-form")
    assert created is False
    assert (wallet_balance(user=shopper), wallet_balance(user=other_shopper)) == (D("10.00"), 0)


def test_paying_refuses_when_the_amount_changed_since_the_page_showed_it(shopper):
    order = OrderFactory(shopper=shopper)
    fund(shopper, "500.00")
    Order.objects.filter(pk=order.pk).update(unit_price=D("300.00"))
    order.refresh_from_db()

    with pytest.raises(QuoteChanged):
        order_pay(order=order, by=shopper, expected_total=D("137.00"))

    assert wallet_balance(user=shopper) == D("500.00")


@pytest.mark.parametrize("price", ["", "abc", "0", "-5", "NaN", "Infinity"])
def test_a_missing_or_bad_confirmed_price_is_refused(shopper, support, inspector, price):
    order = _fail(paid_order(shopper=shopper, status=S.AWAITING_QC), inspector)
    order, _ = services.order_request_exchange(order=order, by=shopper, new_option="S")
    order, _ = services.return_ship(order=order, by=support, tracking="SF12345678")
    ReturnRequest.objects.filter(order=order).update(new_unit_price=None)

    if price == "":
        order, _ = services.exchange_replacement_shipped(order=order, by=support, tracking="ZT12345678", price=price)
        assert order.unit_price == D("129.00")  # no price proposed or confirmed: unchanged
        return
    with pytest.raises(OrderActionError, match="unit price"):
        services.exchange_replacement_shipped(order=order, by=support, tracking="ZT12345678", price=price)


def test_restock_after_a_refused_exchange_gives_the_paid_difference_back_and_closes_the_window(
    shopper, support, inspector
):
    order = paid_order(shopper=shopper, status=S.AWAITING_QC)
    fund(shopper, "10.00")
    order = _fail(order, inspector)
    order, _ = services.order_request_exchange(order=order, by=shopper, new_option="L", new_unit_price=D("139.00"))
    order, _ = services.return_ship(order=order, by=support, tracking="SF12345678")
    order, _ = services.return_seller_refused(order=order, by=support, note="No.")

    order, _ = services.refusal_restock(order=order, by=support)

    assert wallet_balance(user=shopper) == D("10.00")
    assert (order.status, order.decision_deadline) == (S.STORED, None)
    with pytest.raises(OrderActionError):
        services.order_request_refund(order=order, by=shopper)


def test_a_return_that_would_refund_nothing_is_refused(shopper, inspector, settings):
    settings.RETURN_SHIPPING_FEE = D("200.00")
    order = order_pass_qc(order=paid_order(shopper=shopper, status=S.AWAITING_QC), by=inspector)

    with pytest.raises(OrderActionError, match="Nothing would come back"):
        services.order_request_refund(order=order, by=shopper)

    assert Order.objects.get(pk=order.pk).status == S.STORED


def test_confirming_a_return_of_an_unpaid_order_moves_no_money_and_does_not_crash(shopper, support):
    order = OrderFactory(shopper=shopper, status=S.SELLER_REFUNDING)
    from tests.factories import ReturnRequestFactory

    ReturnRequestFactory(order=order)

    order, txn = services.refund_confirm(order=order, by=support)
    assert txn is None
    assert order.status == S.REFUNDED
    assert not LedgerTransaction.objects.exists()


def test_paying_sends_the_shopper_a_receipt(shopper):
    order = OrderFactory(shopper=shopper)
    fund(shopper, "200.00")

    order_pay(order=order, by=shopper)

    receipt = shopper.notifications.get(event="order_paid")
    assert f"Order {order.number} is paid" in receipt.title
    assert "¥137.00 was paid from your balance." in receipt.body
