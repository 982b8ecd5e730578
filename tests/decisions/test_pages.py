"""The shopper's pages and the staff's screens of the decision tools: forms, refusals (4xx with
a message, nothing changed), another shopper's 404, and pinned query counts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ledger.selectors import ledger_violations, wallet_balance
from notifications.models import Event, Notification
from orders.models import Order
from qc import services as qc
from qc.models import PhotoRequest
from refunds import services as refunds
from refunds.models import DiscountRequest
from tests.decisions.conftest import ask, failed_order
from tests.factories import fund
from tests.money import PAGE_MATRIX, says_what_to_type
from tests.qc.images import jpeg
from tests.queries import get_in_queries

D = Decimal
S = Order.Status
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _ledger_stays_consistent():
    yield
    assert ledger_violations() == []


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def photo_form(order: Order, **changes) -> dict:
    """What the order page's photo request form posts, as the page rendered it."""
    form = {
        "note": "The stitching on the left sleeve",
        "photos": "2",
        "token": "page-token-1",
        "inspection": str(order.inspections.get(round_number=1).pk),
        "expected_unit_fee": "0.00",
        "expected_status": order.status,
    }
    return {**form, **changes}


# --- Ask for more photos: the shopper's page ---------------------------------------------------


def test_the_order_page_offers_the_request_with_its_price(shopper_client, failed):
    page = shopper_client.get(failed.get_absolute_url()).text

    assert "More photos or measurements" in page
    assert "Free: your first request for this order." in page
    assert 'name="expected_unit_fee" value="0.00"' in page
    assert 'max="10"' in page


def test_a_shopper_asks_for_photos_and_sees_the_request_waiting(shopper_client, shopper, failed):
    response = shopper_client.post(
        reverse("qc_orders:photo_request", args=[failed.number]), photo_form(failed), follow=True
    )

    request = PhotoRequest.objects.get()
    assert (request.note, request.photos_asked, request.fee) == ("The stitching on the left sleeve", 2, D("0.00"))
    assert any(message.startswith("Request sent. Our inspectors answer by") for message in _messages(response))
    assert "Waiting for our inspectors" in response.text
    assert "Your decision deadline is paused with" in response.text
    assert 'data-deadline="' not in response.text  # no countdown while the clock stands still
    assert "Ask for more photos or measurements" not in response.text  # one request at a time


def test_the_order_list_says_the_deadline_is_paused(shopper_client, failed):
    assert "Decide within" in shopper_client.get(reverse("orders:list")).text
    ask(failed)

    page = shopper_client.get(reverse("orders:list")).text

    assert "Decision deadline paused while we take your photos" in page
    assert "Decide within" not in page


def test_sending_the_same_page_twice_makes_one_request(shopper_client, failed):
    url = reverse("qc_orders:photo_request", args=[failed.number])
    first = shopper_client.post(url, photo_form(failed))
    second = shopper_client.post(url, photo_form(failed))

    assert (first.status_code, second.status_code) == (302, 302)
    assert PhotoRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"note": ""}, "What do you want to see? This field is required."),
        ({"photos": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"photos": "11"}, "Ensure this value is less than or equal to 10."),
        ({"photos": "two"}, "Enter a whole number."),
        ({"note": "x" * 501}, "Ensure this value has at most 500 characters"),
    ],
)
def test_what_the_shopper_typed_wrong_is_a_400_with_the_reason(shopper_client, failed, changes, message):
    response = shopper_client.post(
        reverse("qc_orders:photo_request", args=[failed.number]), photo_form(failed, **changes)
    )

    assert response.status_code == 400
    assert any(message in text for text in _messages(response)), _messages(response)
    assert not PhotoRequest.objects.exists()


@pytest.mark.parametrize("fee", PAGE_MATRIX)
def test_a_tampered_price_is_a_400(shopper_client, failed, fee):
    response = shopper_client.post(
        reverse("qc_orders:photo_request", args=[failed.number]), photo_form(failed, expected_unit_fee=fee)
    )

    assert response.status_code == 400
    assert "This form sent something we cannot read" in response.text
    assert not PhotoRequest.objects.exists()


def test_too_little_balance_is_the_usual_top_up_message(shopper_client, shopper, inspector, failed):
    _order, first = ask(failed, token="first")
    photo = qc.photo_request_add_photo(
        photo_request=first, uploaded_file=SimpleUploadedFile("a.jpg", jpeg(), "image/jpeg"), by=inspector
    )
    qc.photo_make_renditions(photo_id=photo.pk)
    qc.photo_request_answer(photo_request=first, by=inspector)
    page = shopper_client.get(failed.get_absolute_url()).text
    assert "¥2.00 per photo, charged now from your balance." in page
    assert "Charged now from your balance: ¥2.00" in page  # the JS updates it as the count changes

    response = shopper_client.post(
        reverse("qc_orders:photo_request", args=[failed.number]),
        photo_form(failed, token="second", expected_unit_fee="2.00", photos="3"),
    )

    assert response.status_code == 409
    assert "top up ¥6.00 first" in response.text
    assert PhotoRequest.objects.count() == 1
    assert wallet_balance(user=shopper) == D("0.00")


def test_a_page_showing_the_free_price_when_it_is_no_longer_free_charges_nothing(shopper_client, inspector, failed):
    _order, first = ask(failed, token="first")
    qc.photo_request_add_measurement(
        photo_request=first, by=inspector, name="Chest", listed_value=D("1"), measured_value=D("1")
    )
    qc.photo_request_answer(photo_request=first, by=inspector)
    fund(failed.shopper, "50.00")

    response = shopper_client.post(
        reverse("qc_orders:photo_request", args=[failed.number]), photo_form(failed, token="stale")
    )

    assert response.status_code == 409
    assert "The amounts changed since you looked" in response.text
    assert wallet_balance(user=failed.shopper) == D("50.00")


# --- Keep it at a discount: the shopper's page -------------------------------------------------


def test_the_decision_panel_offers_a_fourth_choice_with_its_limit(shopper_client, failed):
    page = shopper_client.get(failed.get_absolute_url()).text

    assert "Keep it at a discount" in page
    assert "At most ¥129.00." in page
    assert reverse("refunds:discount", args=[failed.number]) in page


def test_a_shopper_asks_for_a_discount_and_waits(shopper_client, failed):
    response = shopper_client.post(
        reverse("refunds:discount", args=[failed.number]),
        {"amount": "20", "reason": "Small stain", "expected_status": S.QC_FAILED},
        follow=True,
    )

    assert Order.objects.get(pk=failed.pk).status == S.DISCOUNT_REQUESTED
    assert "We asked the seller for ¥20.00 back." in " ".join(_messages(response))
    assert "Discount asked: waiting for the seller" in response.text
    assert "Stop asking: back to keep, return or exchange" in response.text


@pytest.mark.parametrize("amount", [*PAGE_MATRIX, "0", "-5"])
def test_an_amount_that_is_no_amount_is_a_400_saying_what_to_type(shopper_client, failed, amount):
    response = shopper_client.post(
        reverse("refunds:discount", args=[failed.number]), {"amount": amount, "expected_status": S.QC_FAILED}
    )

    assert response.status_code == 400
    assert says_what_to_type(response.text)
    assert Order.objects.get(pk=failed.pk).status == S.QC_FAILED


def test_too_much_is_a_409_saying_the_most(shopper_client, failed):
    response = shopper_client.post(
        reverse("refunds:discount", args=[failed.number]), {"amount": "129.01", "expected_status": S.QC_FAILED}
    )

    assert response.status_code == 409
    assert "At most ¥129.00: the item price you paid." in response.text
    assert not DiscountRequest.objects.exists()


def test_a_double_submitted_discount_form_asks_once(shopper_client, failed):
    url = reverse("refunds:discount", args=[failed.number])
    data = {"amount": "20", "expected_status": S.QC_FAILED}

    assert shopper_client.post(url, data).status_code == 302
    second = shopper_client.post(url, data)

    assert second.status_code == 409
    assert "This order changed since you opened this page" in second.text  # by the shopper's own first send
    assert DiscountRequest.objects.count() == 1


def test_the_shopper_accepts_a_counter_offer_from_the_page(shopper_client, shopper, support, failed):
    order, _discount = refunds.order_request_discount(order=failed, by=shopper, amount=D("30"))
    refunds.discount_counter(order=order, by=support, amount=D("18.50"))
    page = shopper_client.get(failed.get_absolute_url()).text
    assert "The seller offers <strong>¥18.50</strong> back" in page
    assert "Seller&#x27;s counter-offer: your answer" in page

    stale = shopper_client.post(
        reverse("refunds:discount_accept", args=[failed.number]),
        {"expected_amount": "20.00", "expected_status": S.DISCOUNT_OFFERED},
    )
    assert stale.status_code == 409
    response = shopper_client.post(
        reverse("refunds:discount_accept", args=[failed.number]),
        {"expected_amount": "18.50", "expected_status": S.DISCOUNT_OFFERED},
        follow=True,
    )

    assert "You keep the item. ¥18.50 was credited to your balance." in _messages(response)
    assert "Kept at a discount" in response.text
    assert wallet_balance(user=shopper) == D("18.50")
    assert Order.objects.get(pk=failed.pk).status == S.STORED


def test_the_shopper_declines_a_counter_offer_and_is_back_to_the_choices(shopper_client, shopper, support, failed):
    order, _discount = refunds.order_request_discount(order=failed, by=shopper, amount=D("30"))
    refunds.discount_counter(order=order, by=support, amount=D("10"))

    response = shopper_client.post(
        reverse("refunds:discount_withdraw", args=[failed.number]),
        {"expected_status": S.DISCOUNT_OFFERED},
        follow=True,
    )

    assert any(m.startswith("Back to your choices: you have until") for m in _messages(response))
    assert "Your decision" in response.text
    assert DiscountRequest.objects.get().status == "declined"


# --- Every new URL is a 404 for another shopper -------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("qc_orders:photo_request", {"note": "x", "photos": "1", "token": "t", "expected_unit_fee": "0"}),
        ("refunds:discount", {"amount": "10", "expected_status": "qc_failed"}),
        ("refunds:discount_accept", {"expected_amount": "10", "expected_status": "discount_offered"}),
        ("refunds:discount_withdraw", {"expected_status": "discount_requested"}),
    ],
)
def test_another_shoppers_order_is_a_404_on_every_new_url(client, other_shopper, failed, name, data):
    client.force_login(other_shopper)

    for method in ("get", "post"):
        response = getattr(client, method)(reverse(name, args=[failed.number]), data)
        assert response.status_code == (404 if method == "post" else 405)

    assert Order.objects.get(pk=failed.pk).status == S.QC_FAILED
    assert not PhotoRequest.objects.exists() and not DiscountRequest.objects.exists()


def test_another_shoppers_answer_photos_are_a_404(client, other_shopper, inspector, failed):
    _order, request = ask(failed)
    photo = qc.photo_request_add_photo(
        photo_request=request, uploaded_file=SimpleUploadedFile("a.jpg", jpeg(), "image/jpeg"), by=inspector
    )
    qc.photo_make_renditions(photo_id=photo.pk)
    qc.photo_request_answer(photo_request=request, by=inspector)
    client.force_login(other_shopper)

    assert client.get(reverse("qc:photo", args=[photo.pk, "thumb"])).status_code == 404


# --- Staff ------------------------------------------------------------------------------------


@pytest.fixture
def inspector_client(inspector) -> Client:
    client = Client()
    client.force_login(inspector)
    return client


def test_inspectors_see_open_requests_oldest_first_with_the_note(
    inspector_client, shopper, inspector, settings_for_decisions
):
    older, newer, answered = (failed_order(shopper, inspector) for _ in range(3))
    ask(older, note="Chest width, please")
    ask(newer, note="Sleeve seam")
    _o, done = ask(answered, note="Already done")
    qc.photo_request_add_measurement(photo_request=done, by=inspector, name="x", listed_value=1, measured_value=1)
    qc.photo_request_answer(photo_request=done, by=inspector)
    PhotoRequest.objects.filter(order=older).update(requested_at=timezone.now() - timedelta(hours=5))

    page = inspector_client.get(reverse("admin:qc_photorequest_changelist")).text

    assert page.index("Chest width, please") < page.index("Sleeve seam")
    assert "Already done" not in page
    assert "Already done" in inspector_client.get(reverse("admin:qc_photorequest_changelist") + "?status=all").text


def test_an_inspector_answers_with_a_photo_and_a_measurement(inspector_client, shopper, failed):
    _order, request = ask(failed)
    url = reverse("admin:qc_photorequest_answer", args=[request.pk])
    assert "The left sleeve stitching" in inspector_client.get(url).text

    upload = inspector_client.post(
        reverse("admin:qc_photorequest_upload", args=[request.pk]),
        {"photo": [SimpleUploadedFile("seam.jpg", jpeg(), "image/jpeg")], "caption": "Seam"},
        follow=True,
    )
    assert "Added seam.jpg." in _messages(upload)
    bad = inspector_client.post(
        reverse("admin:qc_photorequest_measure", args=[request.pk]),
        {"name": "Chest", "listed_value": "NaN", "measured_value": "52", "unit": "cm"},
        follow=True,
    )
    assert any(m.startswith("Listed:") for m in _messages(bad))
    inspector_client.post(
        reverse("admin:qc_photorequest_measure", args=[request.pk]),
        {"name": "Chest", "listed_value": "56", "measured_value": "52", "unit": "cm"},
    )
    answered = inspector_client.post(url, {"note": "Open seam, 4 cm."}, follow=True)

    request.refresh_from_db()
    assert request.status == PhotoRequest.Status.ANSWERED
    assert (request.photos.count(), request.measurements.count()) == (1, 1)
    assert any("the shopper has been notified" in m for m in _messages(answered))
    assert Notification.objects.filter(
        user=shopper, event=Event.PHOTO_REQUEST, title__startswith="New photos"
    ).exists()
    again = inspector_client.post(url, {"note": ""}, follow=True)
    assert "This photo request is no longer open" in " ".join(_messages(again))


def test_support_sees_requests_but_cannot_answer(support_client, failed):
    _order, request = ask(failed)

    assert support_client.get(reverse("admin:qc_photorequest_answer", args=[request.pk])).status_code == 200
    assert support_client.post(reverse("admin:qc_photorequest_answer", args=[request.pk]), {}).status_code == 403
    upload = support_client.post(
        reverse("admin:qc_photorequest_upload", args=[request.pk]),
        {"photo": [SimpleUploadedFile("seam.jpg", jpeg(), "image/jpeg")]},
    )
    assert upload.status_code == 403
    assert PhotoRequest.objects.get().is_open


def test_support_records_the_sellers_counter_offer_in_the_order_admin(support_client, shopper, failed):
    refunds.order_request_discount(order=failed, by=shopper, amount=D("30"))
    change = support_client.get(reverse("admin:orders_order_change", args=[failed.pk])).text
    assert "Seller counter-offers" in change and "Seller accepts the discount" in change
    assert "The shopper asks ¥30.00 back to keep the item." in change
    url = reverse("admin:orders_order_transition", args=[failed.pk, "counter_discount"])

    bad = support_client.post(url, {"expected_status": S.DISCOUNT_REQUESTED, "amount": "1e999999"}, follow=True)
    too_much = support_client.post(url, {"expected_status": S.DISCOUNT_REQUESTED, "amount": "30"}, follow=True)
    good = support_client.post(url, {"expected_status": S.DISCOUNT_REQUESTED, "amount": "22.00"}, follow=True)

    assert any(m.startswith("Amount (CNY):") for m in _messages(bad))
    assert any("less than the ¥30.00 the shopper asked" in m for m in _messages(too_much))
    assert "is now “Seller's counter-offer: your answer”" in " ".join(_messages(good))
    assert DiscountRequest.objects.get().counter_amount == D("22.00")


def test_support_records_acceptance_and_the_credit_happens_once(support_client, shopper, failed):
    refunds.order_request_discount(order=failed, by=shopper, amount=D("30"))
    url = reverse("admin:orders_order_transition", args=[failed.pk, "accept_discount"])

    asked = support_client.post(url, {"expected_status": S.DISCOUNT_REQUESTED})
    assert asked.status_code == 200 and "¥30.00" in asked.text  # the confirmation page: nothing moved yet
    assert wallet_balance(user=shopper) == D("0.00")

    confirmed = {"expected_status": S.DISCOUNT_REQUESTED, "expected_credit": "30.00"}
    support_client.post(url, confirmed)
    again = support_client.post(url, confirmed, follow=True)

    assert "changed by someone else meanwhile" in " ".join(_messages(again))
    assert wallet_balance(user=shopper) == D("30.00")


# --- Pinned query counts ----------------------------------------------------------------------


def test_the_order_page_with_the_decision_tools_runs_a_pinned_number_of_queries(
    shopper_client, shopper, inspector, support, settings_for_decisions, django_assert_num_queries
):
    waiting = failed_order(shopper, inspector)
    ask(waiting)
    get_in_queries(shopper_client, waiting.get_absolute_url(), 14, django_assert_num_queries)

    answered = failed_order(shopper, inspector)
    fund(shopper, "100.00")
    for i in range(3):  # the same queries for one answered request or several
        _o, request = ask(answered, token=f"t{i}")
        qc.photo_request_add_measurement(
            photo_request=request, by=inspector, name="x", listed_value=1, measured_value=2
        )
        qc.photo_request_answer(photo_request=request, by=inspector)
    get_in_queries(shopper_client, answered.get_absolute_url(), 14, django_assert_num_queries)

    asking = failed_order(shopper, inspector)
    order, _d = refunds.order_request_discount(order=asking, by=shopper, amount=D("30"))
    get_in_queries(shopper_client, asking.get_absolute_url(), 14, django_assert_num_queries)
    refunds.discount_counter(order=order, by=support, amount=D("10"))
    get_in_queries(shopper_client, asking.get_absolute_url(), 14, django_assert_num_queries)
    refunds.order_accept_counter_offer(order=Order.objects.get(pk=asking.pk), by=shopper)
    get_in_queries(shopper_client, asking.get_absolute_url(), 15, django_assert_num_queries)


def test_the_staff_pages_of_the_decision_tools_run_a_pinned_number_of_queries(
    inspector_client, support_client, shopper, inspector, settings_for_decisions, django_assert_num_queries
):
    for _ in range(3):
        _o, request = ask(failed_order(shopper, inspector))
    qc.photo_request_add_photo(
        photo_request=request, uploaded_file=SimpleUploadedFile("a.jpg", jpeg(), "image/jpeg"), by=inspector
    )
    get_in_queries(inspector_client, reverse("admin:qc_photorequest_changelist"), 7, django_assert_num_queries)
    url = reverse("admin:qc_photorequest_answer", args=[request.pk])
    get_in_queries(inspector_client, url, 11, django_assert_num_queries)

    order, _d = refunds.order_request_discount(order=request.order, by=shopper, amount=D("30"))
    get_in_queries(support_client, reverse("admin:refunds_discountrequest_changelist"), 7, django_assert_num_queries)
    get_in_queries(
        support_client, reverse("admin:orders_order_change", args=[order.pk]), 19, django_assert_num_queries
    )
