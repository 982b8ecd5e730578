"""The staff buttons that move money ask first: a page shows the amount, the shopper and the
balance after, and only its button moves the money (once, however often it is pressed)."""

import threading
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from ledger.models import LedgerTransaction
from ledger.selectors import ledger_violations, wallet_balance
from ledger.services import ledger_reverse
from orders.models import Order
from orders.services import OrderChangedMeanwhile, order_fail_qc
from refunds import services as refunds
from tests.factories import SupportFactory, fund, paid_order

S = Order.Status
D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _ledger_stays_consistent(db):
    yield
    assert ledger_violations() == []


class _Forms(HTMLParser):
    """The forms of a page as a browser sends them: action and the values of their inputs."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action"), "class": attrs.get("class", ""), "data": {}})
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1]["data"][attrs["name"]] = attrs.get("value", "")


def confirmation_form(response) -> tuple[str, dict]:
    """The action and the values of the confirmation page's button."""
    parser = _Forms()
    parser.feed(response.content.decode())
    form = next(f for f in parser.forms if "money-confirm__form" in f["class"])
    return form["action"] or response.request["PATH_INFO"], form["data"]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- What each button's order looks like: set up through the services, as it happens ----------


def _failed(shopper, inspector, **kwargs) -> Order:
    return order_fail_qc(order=paid_order(shopper=shopper, status=S.AWAITING_QC, **kwargs), by=inspector)


def seller_refunding(shopper, inspector, support) -> Order:
    order, _ = refunds.order_request_refund(order=_failed(shopper, inspector), by=shopper)
    order, _ = refunds.return_ship(order=order, by=support, tracking="SF12345678")
    order, _ = refunds.return_seller_received(order=order, by=support)
    return order


def seller_refused(shopper, inspector, support) -> Order:
    order, _ = refunds.order_request_refund(order=_failed(shopper, inspector), by=shopper)
    order, _ = refunds.return_ship(order=order, by=support, tracking="SF12345678")
    order, _ = refunds.return_seller_refused(order=order, by=support, note="Seller says it was perfect.")
    return order


def refused_dearer_exchange(shopper, inspector, support) -> Order:
    order = _failed(shopper, inspector)
    fund(shopper, "10.00")  # the difference to a ¥139.00 option, paid when requesting
    order, _ = refunds.order_request_exchange(order=order, by=shopper, new_option="L", new_unit_price=D("139.00"))
    order, _ = refunds.return_ship(order=order, by=support, tracking="SF12345678")
    order, _ = refunds.return_seller_refused(order=order, by=support, note="No L left.")
    return order


def cheaper_exchange_returning(shopper, inspector, support) -> Order:
    order = _failed(shopper, inspector)
    order, _ = refunds.order_request_exchange(order=order, by=shopper, new_option="S", new_unit_price=D("119.00"))
    order, _ = refunds.return_ship(order=order, by=support, tracking="SF12345678")
    return order


def paid(shopper, inspector, support) -> Order:
    return paid_order(shopper=shopper, status=S.PAID)


# (order in its status, button, what the button's form sends, credit, new status)
BUTTONS = {
    "confirm refund": (seller_refunding, "confirm_refund", {}, "137.00", S.REFUNDED),
    "compensate": (seller_refused, "compensate", {}, "137.00", S.REFUNDED),
    "restock with a price difference": (refused_dearer_exchange, "restock", {}, "10.00", S.STORED),
    "replacement at a lower price": (
        cheaper_exchange_returning,
        "replacement_shipped",
        {"tracking": "ZT12345678", "price": "114.00"},
        "15.00",
        S.AWAITING_REPLACEMENT,
    ),
    "cancel a paid order": (paid, "cancel", {}, "137.00", S.CANCELLED),
    "out of stock": (paid, "mark_out_of_stock", {}, "137.00", S.CANCELLED),
}


@pytest.fixture
def button_order(request, shopper, inspector, support):
    make, name, data, credit, to_status = BUTTONS[request.param]
    order = make(shopper, inspector, support)
    fund(shopper, "165.00")  # what the shopper has besides, so the balance after is not the credit
    return order, name, data, D(credit), to_status


def _press(client, order, name, data, **extra):
    url = reverse("admin:orders_order_transition", args=[order.pk, name])
    return client.post(url, {"expected_status": order.status, **data, **extra})


@pytest.mark.parametrize("button_order", BUTTONS, indirect=True)
def test_a_money_button_shows_the_amount_and_the_shopper_and_moves_nothing_yet(support_client, shopper, button_order):
    order, name, data, credit, _to_status = button_order
    balance = wallet_balance(user=shopper)
    transactions = LedgerTransaction.objects.count()

    page = support_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    response = _press(support_client, order, name, data)

    assert f'value="{name}" aria-describedby="order-money-hint"' in page  # marked as a money button
    assert response.status_code == 200
    text = response.content.decode()
    assert f"¥{credit} will be credited to shopper@example.com" in text
    assert f"<dd>¥{balance}</dd>" in text  # the balance now
    assert f"<strong>¥{balance + credit}</strong>" in text  # and after
    assert f"Credit ¥{credit} to shopper@example.com" in text
    assert Order.objects.get(pk=order.pk).status == order.status
    assert (wallet_balance(user=shopper), LedgerTransaction.objects.count()) == (balance, transactions)


@pytest.mark.parametrize("button_order", BUTTONS, indirect=True)
def test_confirming_credits_the_amount_shown_once_and_says_so_with_the_new_balance(
    support_client, shopper, button_order
):
    order, name, data, credit, to_status = button_order
    balance = wallet_balance(user=shopper)
    action, confirm = confirmation_form(_press(support_client, order, name, data))

    first = support_client.post(action, confirm, follow=True)
    second = support_client.post(action, confirm, follow=True)  # a double click, a resubmitted page

    assert confirm["expected_credit"] == str(credit)
    assert messages_of(first)[0].startswith(
        f"¥{credit} credited to shopper@example.com; balance now ¥{balance + credit}."
    )
    assert Order.objects.get(pk=order.pk).status == to_status
    assert any("changed by someone else" in m for m in messages_of(second))
    assert wallet_balance(user=shopper) == balance + credit


def test_a_button_whose_amount_changed_since_the_confirmation_moves_nothing(support_client, shopper, support):
    order = paid_order(shopper=shopper, status=S.PAID)
    action, confirm = confirmation_form(_press(support_client, order, "cancel", {}))
    payment = LedgerTransaction.objects.get(order=order, kind="payment")
    ledger_reverse(txn=payment, by=support, reason="Paid twice by mistake")  # meanwhile: nothing left to refund

    response = support_client.post(action, confirm, follow=True)

    assert "The amounts changed since you looked" in messages_of(response)[0]
    assert Order.objects.get(pk=order.pk).status == S.PAID


def test_a_price_edited_on_the_confirmation_page_is_refused(support_client, shopper, inspector, support):
    order = cheaper_exchange_returning(shopper, inspector, support)
    data = {"tracking": "ZT12345678", "price": "114.00"}
    action, confirm = confirmation_form(_press(support_client, order, "replacement_shipped", data))

    response = support_client.post(action, {**confirm, "price": "99.00"}, follow=True)

    assert "The amounts changed since you looked" in messages_of(response)[0]
    assert wallet_balance(user=shopper) == 0
    assert Order.objects.get(pk=order.pk).status == S.EXCHANGE_RETURNING


def test_a_button_that_would_be_refused_says_so_before_asking_to_confirm(support_client, shopper):
    order = paid_order(shopper=shopper, status=S.PURCHASED)  # bought already: no cancelling now

    response = _press(support_client, order, "cancel", {}, expected_status=S.PAID)

    assert response.status_code == 302
    assert any("changed by someone else" in m for m in messages_of(support_client.get(response.url)))


def test_a_button_that_moves_no_money_asks_nothing(support_client, shopper, inspector, support):
    order = seller_refused(shopper, inspector, support)  # a plain return: restocking gives nothing back

    response = _press(support_client, order, "restock", {})

    assert response.status_code == 302
    assert Order.objects.get(pk=order.pk).status == S.STORED
    assert wallet_balance(user=shopper) == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_staff_confirming_at_once_credit_once(shopper, inspector, support):
    assert connection.vendor == "postgresql"
    order = seller_refunding(shopper, inspector, support)
    clients = [Client(), Client()]
    for client, staff in zip(clients, [support, SupportFactory(email="second@example.com")], strict=True):
        client.force_login(staff)
    action, confirm = confirmation_form(_press(clients[0], order, "confirm_refund", {}))
    barrier, answers = threading.Barrier(2), [None, None]

    def press(i):
        try:
            barrier.wait()
            answers[i] = clients[i].post(action, confirm)
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Each reads its message afterwards: the test client collects the contexts of templates
    # rendered in any thread.
    said = [messages_of(client.get(answer.url))[0] for client, answer in zip(clients, answers, strict=True)]
    credited = [m for m in said if m.startswith("¥137.00 credited to shopper@example.com; balance now ¥137.00.")]
    assert len(credited) == 1, said
    assert any("changed by someone else" in m for m in said), said
    assert LedgerTransaction.objects.filter(kind="refund").count() == 1
    assert wallet_balance(user=shopper) == D("137.00")


def test_a_quote_read_from_an_order_someone_just_refunded_says_it_changed_meanwhile(shopper, inspector, support):
    """The narrow window of the race above, made to happen: the admin read the order, then the
    other person's refund committed before the amount to confirm was worked out."""
    from refunds.admin import _return_credit

    order = seller_refunding(shopper, inspector, support)
    read_by_the_page = Order.objects.get(pk=order.pk)
    refunds.refund_confirm(order=order, by=SupportFactory(email="faster@example.com"))

    with pytest.raises(OrderChangedMeanwhile) as refused:
        _return_credit(read_by_the_page, {})
    assert "changed by someone else" in str(refused.value)


# --- Top-ups and adjustments ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "amount", "says", "after"),
    [
        ("topup", "347.00", "Top-up: ¥347.00 credited to shopper@example.com; balance now ¥512.00.", "512.00"),
        (
            "adjustment",
            "-15.50",
            "Adjustment: ¥15.50 taken from the balance of shopper@example.com; balance now ¥149.50.",
            "149.50",
        ),
    ],
)
def test_a_top_up_or_adjustment_is_confirmed_then_recorded_once(support_client, shopper, kind, amount, says, after):
    fund(shopper, "165.00")
    url = reverse("admin:ledger_account_balance_change")
    token = support_client.get(url).context["form"]["token"].value()
    data = {"shopper": "Shopper@Example.com", "kind": kind, "amount": amount, "reason": "Alipay 8812", "token": token}

    asked = support_client.post(url, data)
    _action, confirm = confirmation_form(asked)
    first = support_client.post(url, confirm, follow=True)
    second = support_client.post(url, confirm, follow=True)

    text = asked.content.decode()
    verb = "credited to" if kind == "topup" else "taken from the balance of"
    assert f"¥{amount.lstrip('-')} will be {verb} shopper@example.com" in text
    assert f"<strong>¥{after}</strong>" in text
    assert says in messages_of(first)
    assert "This form was already recorded; nothing more was added." in messages_of(second)
    assert wallet_balance(user=shopper) == D(after)


def test_the_balance_change_is_not_recorded_before_it_is_confirmed_and_can_be_edited(support_client, shopper):
    url = reverse("admin:ledger_account_balance_change")
    data = {"shopper": shopper.email, "kind": "topup", "amount": "50.00", "reason": "Alipay", "token": "t-edit"}

    support_client.post(url, data)
    _action, confirm = confirmation_form(support_client.post(url, data))
    back = support_client.post(url, {**confirm, "edit": "1"})

    assert wallet_balance(user=shopper) == 0
    form = back.context["form"]
    assert (form["amount"].value(), form["shopper"].value(), form["token"].value()) == (
        D("50.00"),
        shopper.email,
        "t-edit",
    )
    assert 'name="confirmed"' not in back.content.decode()


def test_an_adjustment_that_would_overdraw_is_a_form_error_not_a_confirmation(support_client, shopper):
    fund(shopper, "20.00")

    response = support_client.post(
        reverse("admin:ledger_account_balance_change"),
        {"shopper": shopper.email, "kind": "adjustment", "amount": "-25.00", "reason": "Typo", "token": "t-over"},
    )

    assert response.status_code == 400
    assert "The balance of shopper@example.com is ¥20.00" in response.content.decode()
    assert wallet_balance(user=shopper) == D("20.00")


def test_a_refund_confirmation_shows_what_the_amount_is_made_of(support_client, shopper, inspector, support):
    order = seller_refunding(shopper, inspector, support)

    text = _press(support_client, order, "confirm_refund", {}).content.decode()

    assert "<caption>How the amount is made up</caption>" in text
    assert '<th scope="row">Item: 1 × ¥129.00</th><td>¥129.00</td>' in text
    assert '<th scope="row">Domestic shipping (the seller&#x27;s fault: refunded)</th><td>¥8.00</td>' in text
