"""Asking for more photos or measurements: the fee, the pause of the decision clock, the answer
added to the completed round, and the refund of a request left unanswered (with time travel)."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ledger.models import LedgerTransaction
from ledger.selectors import ledger_violations, order_refundable, wallet_balance
from ledger.services import InsufficientBalance
from notifications.models import Event, Notification
from orders.models import Order
from orders.services import OrderChangedMeanwhile, QuoteChanged, order_keep
from orders.tasks import expire_due_decisions, remind_due_decisions
from qc import selectors
from qc import services as qc
from qc.exceptions import QCError
from qc.models import Measurement, PhotoRequest, QCPhoto
from qc.tasks import expire_unanswered_photo_requests
from refunds.selectors import order_quote_refund
from tests.decisions.conftest import ask, failed_order
from tests.factories import fund
from tests.qc.conftest import failed_round
from tests.qc.images import jpeg

D = Decimal
S = Order.Status
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _ledger_stays_consistent(db):
    yield
    assert ledger_violations() == []


def plain(text: str) -> str:
    """Durations and dates are written with no-break spaces; compare them with plain ones."""
    return text.replace("\xa0", " ")


def photo_file(name="answer.jpg", color=(10, 200, 90)):
    return SimpleUploadedFile(name, jpeg(size=(60, 40), color=color), content_type="image/jpeg")


def answer(request, inspector, *, photos=1, measurements=0, note=""):
    for i in range(photos):
        photo = qc.photo_request_add_photo(
            photo_request=request, uploaded_file=photo_file(f"a{i}.jpg", (i, 100, 50)), by=inspector
        )
        qc.photo_make_renditions(photo_id=photo.pk)
    for i in range(measurements):
        qc.photo_request_add_measurement(
            photo_request=request, by=inspector, name=f"Chest {i}", listed_value=D("56"), measured_value=D("52.5")
        )
    return qc.photo_request_answer(photo_request=request, by=inspector, note=note)


# --- Fees -------------------------------------------------------------------------------------


def test_the_first_request_is_free_and_pauses_the_decision_clock(failed, shopper):
    before = wallet_balance(user=shopper)

    order, request = ask(failed, photos=3)

    assert (request.status, request.fee, request.photos_asked) == (PhotoRequest.Status.OPEN, D("0.00"), 3)
    assert request.inspection.round_number == 1
    assert wallet_balance(user=shopper) == before
    assert not LedgerTransaction.objects.filter(kind="photo_fee").exists()
    assert order.decision_paused and order.decision_paused_at is not None
    event = order.events.latest("id")
    assert event.transition == "photo_request"
    assert "You asked for 3 more photos or measurements: “The left sleeve stitching”." in event.note
    assert "Your first request is free." in event.note
    receipt = Notification.objects.filter(user=shopper, event=Event.PHOTO_REQUEST).get()
    assert "your decision deadline is paused" in receipt.body


def test_a_later_request_costs_the_fee_per_photo_from_the_balance(failed, shopper, inspector):
    _order, first = ask(failed, token="a")
    answer(first, inspector)
    fund(shopper, "10.00")
    before = wallet_balance(user=shopper)

    _order, second = ask(failed, photos=3, token="b", expected_unit_fee=D("2.00"))

    assert second.fee == D("6.00")
    assert wallet_balance(user=shopper) == before - D("6.00")
    txn = LedgerTransaction.objects.get(idempotency_key=f"photo-fee:{second.pk}")
    assert (txn.kind, txn.order_id) == ("photo_fee", failed.pk)
    assert "¥6.00 was charged from your balance" in Order.objects.get(pk=failed.pk).events.latest("id").note


def test_too_little_balance_for_the_fee_creates_nothing_and_says_how_much_to_top_up(failed, shopper, inspector):
    _order, first = ask(failed, token="a")
    answer(first, inspector)
    balance = wallet_balance(user=shopper)
    fund(shopper, "1.00")  # 3 photos cost 6.00

    with pytest.raises(InsufficientBalance, match=r"top up ¥5.00"):
        ask(failed, photos=3, token="b")

    assert PhotoRequest.objects.filter(order=failed).count() == 1
    assert wallet_balance(user=shopper) == balance + D("1.00")
    assert not Order.objects.get(pk=failed.pk).decision_paused


def test_a_request_we_failed_to_answer_does_not_use_up_the_free_one(failed, shopper):
    ask(failed, token="a")
    with time_machine.travel(timezone.now() + timedelta(hours=49), tick=False):
        assert expire_unanswered_photo_requests.apply().get() == 1
        _order, second = ask(failed, token="b", expected_unit_fee=D("0.00"))

    assert second.fee == D("0.00")


def test_photo_fees_are_not_part_of_what_the_order_refunds(failed, shopper, inspector):
    quote_before = order_quote_refund(order=failed).total
    _order, first = ask(failed, token="a")
    answer(first, inspector)
    fund(shopper, "20.00")
    ask(failed, photos=5, token="b")

    assert order_refundable(order_id=failed.pk) == failed.total
    assert order_quote_refund(order=Order.objects.get(pk=failed.pk)).total == quote_before


# --- What may be asked, and when --------------------------------------------------------------


def test_one_request_at_a_time(failed):
    ask(failed, token="a")

    with pytest.raises(QCError, match="earlier request is still open"):
        ask(failed, token="b")


def test_the_same_form_sent_twice_makes_one_request_and_charges_once(failed, shopper, inspector):
    _order, first = ask(failed, token="a")
    answer(first, inspector)
    fund(shopper, "10.00")
    before = wallet_balance(user=shopper)

    send = {"order": failed, "by": shopper, "note": "Label", "photos": 2, "token": "same"}
    _order, one, created = qc.photo_request_create(**send)
    _order, again, created_again = qc.photo_request_create(**send)

    assert (one.pk, created, created_again) == (again.pk, True, False)
    assert wallet_balance(user=shopper) == before - D("4.00")


def test_a_page_showing_a_stale_price_or_round_changes_nothing(failed, shopper, inspector):
    with pytest.raises(QuoteChanged):
        ask(failed, expected_unit_fee=D("2.00"))  # the first one is free now
    with pytest.raises(OrderChangedMeanwhile, match="newer QC round"):
        ask(failed, inspection_id=failed.inspections.get().pk + 1000)

    assert not PhotoRequest.objects.exists()


@pytest.mark.parametrize(
    ("note", "photos", "message"),
    [("   ", 1, "Say what you want to see"), ("Label", 0, "Ask for 1 to 10"), ("Label", 11, "Ask for 1 to 10")],
)
def test_a_request_needs_a_note_and_a_sensible_number_of_photos(failed, note, photos, message):
    with pytest.raises(QCError, match=message):
        ask(failed, note=note, photos=photos)
    assert not PhotoRequest.objects.exists()


def test_photos_can_be_asked_while_a_decision_is_open_and_not_after(failed, shopper, inspector):
    Order.objects.filter(pk=failed.pk).update(decision_deadline=timezone.now() - timedelta(minutes=1))
    with pytest.raises(QCError, match="while you decide"):
        ask(failed)

    passed = failed_order(shopper, inspector)
    Order.objects.filter(pk=passed.pk).update(status=S.STORED)  # a passed item, in its return window
    _order, request = ask(passed)
    assert request.status == PhotoRequest.Status.OPEN

    arrived = failed_order(shopper, inspector)
    Order.objects.filter(pk=arrived.pk).update(status=S.RETURN_REQUESTED)
    with pytest.raises(QCError, match="while you decide"):
        ask(arrived)


# --- The paused deadline ----------------------------------------------------------------------


def test_while_a_request_is_open_the_deadline_neither_reminds_nor_expires(failed):
    ask(failed)

    with time_machine.travel(timezone.now() + timedelta(hours=97), tick=False):
        assert remind_due_decisions.apply().get() == 0
    with time_machine.travel(timezone.now() + timedelta(hours=130), tick=False):
        assert expire_due_decisions.apply().get() == 0
        assert Order.objects.get(pk=failed.pk).decision_window_open()

    assert Order.objects.get(pk=failed.pk).status == S.QC_FAILED


def test_an_answer_extends_the_deadline_by_the_time_it_was_open_and_says_so(failed, shopper, inspector):
    deadline = failed.decision_deadline
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _order, request = ask(failed)
    with time_machine.travel(start + timedelta(hours=30), tick=False):
        answered = answer(request, inspector, photos=2, measurements=1, note="The seam is open 4 cm.")

    order = Order.objects.get(pk=failed.pk)
    assert order.decision_deadline == deadline + timedelta(hours=30)
    assert not order.decision_paused
    assert answered.status == PhotoRequest.Status.ANSWERED
    event = order.events.latest("id")
    assert event.transition == "photo_request_answered"
    assert "2 new photos and 1 measurement were added to QC round 1." in event.note
    assert "(1 day, 6 hours later)." in plain(event.note)
    notice = Notification.objects.filter(user=shopper, event=Event.PHOTO_REQUEST).latest("id")
    assert notice.title.startswith("New photos of")
    assert "The seam is open 4 cm." in notice.body
    assert "(1 day, 6 hours later)." in plain(notice.body)
    assert notice.link.endswith(f"#qc-round-{request.inspection_id}")

    with time_machine.travel(deadline + timedelta(hours=29), tick=False):
        assert expire_due_decisions.apply().get() == 0
    with time_machine.travel(deadline + timedelta(hours=31), tick=False):
        assert expire_due_decisions.apply().get() == 1


def test_the_time_left_when_the_clock_stopped_is_the_time_left_when_it_runs_again(failed):
    """So a reminder sent before the pause stands: the shopper is not reminded twice."""
    start = timezone.now()
    with time_machine.travel(start + timedelta(hours=97), tick=False):
        assert remind_due_decisions.apply().get() == 1
        _order, request = ask(failed)
    with time_machine.travel(start + timedelta(hours=140), tick=False):
        assert qc.photo_request_expire(photo_request_id=request.pk) is False  # not due yet
    with time_machine.travel(start + timedelta(hours=146), tick=False):
        assert expire_unanswered_photo_requests.apply().get() == 1  # open 49 h
        order = Order.objects.get(pk=failed.pk)
        left_when_stopped = failed.decision_deadline - (start + timedelta(hours=97))
        assert order.decision_deadline - timezone.now() == left_when_stopped
        assert remind_due_decisions.apply().get() == 0
    assert Notification.objects.filter(event=Event.DECISION_REMINDER).count() == 1


# --- The answer -------------------------------------------------------------------------------


def test_the_shopper_sees_the_answer_only_once_it_is_sent(failed, shopper, inspector, client):
    _order, request = ask(failed)
    photo = qc.photo_request_add_photo(photo_request=request, uploaded_file=photo_file(), by=inspector)
    qc.photo_make_renditions(photo_id=photo.pk)
    qc.photo_request_add_measurement(
        photo_request=request, by=inspector, name="Chest width", listed_value=D("56"), measured_value=D("52")
    )
    client.force_login(shopper)
    shown = selectors.inspections_for_shopper(order=failed)[0]
    assert photo.pk not in [view.photo.pk for view in shown.photos]
    assert "Chest width" not in [m.name for m in shown.measurements]
    assert client.get(reverse("qc:photo", args=[photo.pk, "thumb"])).status_code == 404

    qc.photo_request_answer(photo_request=request, by=inspector)

    shown = selectors.inspections_for_shopper(order=failed)[0]
    assert photo.pk in [view.photo.pk for view in shown.photos]
    assert "Chest width" in [m.name for m in shown.measurements]
    assert client.get(reverse("qc:photo", args=[photo.pk, "thumb"])).status_code == 200


def test_an_answer_needs_something_and_is_sent_once(failed, inspector):
    _order, request = ask(failed)
    with pytest.raises(QCError, match="at least one photo or measurement"):
        qc.photo_request_answer(photo_request=request, by=inspector)

    answer(request, inspector)

    with pytest.raises(QCError, match="no longer open"):
        qc.photo_request_answer(photo_request=request, by=inspector)
    with pytest.raises(QCError, match="no longer open"):
        qc.photo_request_add_photo(photo_request=request, uploaded_file=photo_file("late.jpg"), by=inspector)
    with pytest.raises(QCError, match="no longer open"):
        qc.photo_request_add_measurement(
            photo_request=request, by=inspector, name="Late", listed_value=D("1"), measured_value=D("1")
        )
    assert Notification.objects.filter(event=Event.PHOTO_REQUEST, title__startswith="New photos").count() == 1


def test_a_wrong_shot_may_be_taken_back_before_the_answer_and_never_after(failed, inspector):
    _order, request = ask(failed)
    wrong = qc.photo_request_add_photo(photo_request=request, uploaded_file=photo_file("wrong.jpg"), by=inspector)
    measurement = qc.photo_request_add_measurement(
        photo_request=request, by=inspector, name="Wrong", listed_value=D("1"), measured_value=D("2")
    )

    qc.photo_request_remove_photo(photo=wrong)
    qc.photo_request_remove_measurement(measurement=measurement)
    assert not QCPhoto.objects.filter(pk=wrong.pk).exists()
    assert not Measurement.objects.filter(pk=measurement.pk).exists()

    kept = answer(request, inspector).photos.get()
    with pytest.raises(QCError, match="no longer open"):
        qc.photo_request_remove_photo(photo=QCPhoto.objects.select_related("photo_request").get(pk=kept.pk))
    # PostgreSQL refuses too, whatever code asks: the answered photo is evidence now.
    with pytest.raises(IntegrityError, match="belongs to a completed QC round"), transaction.atomic():
        QCPhoto.objects.filter(pk=kept.pk)._raw_delete(QCPhoto.objects.db)


def test_a_completed_round_takes_photos_only_in_answer_to_an_open_request(failed, inspector):
    inspection = failed.inspections.get()
    with pytest.raises(QCError, match="complete"):
        qc.photo_add(inspection=inspection, uploaded_file=photo_file(), by=inspector)
    with pytest.raises(IntegrityError), transaction.atomic():
        PhotoRequest.objects.create(
            order=failed, inspection=inspection, note="x", photos_asked=0, token="t", requested_by=failed.shopper
        )


def test_answers_go_to_the_latest_round(shopper, inspector, settings_for_decisions):
    order = failed_order(shopper, inspector)
    Order.objects.filter(pk=order.pk).update(status=S.AWAITING_QC)
    failed_round(Order.objects.get(pk=order.pk), inspector)  # round 2, after an exchange

    _order, request = ask(order)

    assert request.inspection.round_number == 2


# --- Unanswered: refunded, with time travel ---------------------------------------------------


def test_an_unanswered_paid_request_is_refunded_once_after_48_hours(failed, shopper, inspector):
    _order, first = ask(failed, token="a")
    answer(first, inspector)
    fund(shopper, "6.00")
    start = timezone.now()
    deadline = Order.objects.get(pk=failed.pk).decision_deadline
    with time_machine.travel(start, tick=False):
        _order, request = ask(failed, photos=3, token="b")
    assert wallet_balance(user=shopper) == D("0.00")

    with time_machine.travel(start + timedelta(hours=47, minutes=59), tick=False):
        assert expire_unanswered_photo_requests.apply().get() == 0
    with time_machine.travel(start + timedelta(hours=48), tick=False):
        assert expire_unanswered_photo_requests.apply().get() == 1
        assert expire_unanswered_photo_requests.apply().get() == 0  # a second run refunds nothing more
        assert qc.photo_request_expire(photo_request_id=request.pk) is False

    request.refresh_from_db()
    assert request.status == PhotoRequest.Status.EXPIRED
    assert wallet_balance(user=shopper) == D("6.00")
    refund = LedgerTransaction.objects.get(idempotency_key=f"photo-fee-refund:{request.pk}")
    assert (refund.kind, refund.reverses.idempotency_key) == ("photo_fee_refund", f"photo-fee:{request.pk}")
    order = Order.objects.get(pk=failed.pk)
    assert order.decision_deadline == deadline + timedelta(hours=48)
    assert not order.decision_paused
    event = order.events.latest("id")
    assert (event.transition, event.actor) == ("photo_request_expired", None)
    assert "¥6.00 is back on your balance." in event.note
    notice = Notification.objects.filter(user=shopper, event=Event.PHOTO_REQUEST).latest("id")
    assert "was not answered in time" in notice.title
    assert "¥6.00 is back on your balance." in notice.body
    assert "(2 days later)." in plain(notice.body)


def test_an_answer_after_the_refund_is_refused(failed, inspector):
    _order, request = ask(failed)
    with time_machine.travel(timezone.now() + timedelta(hours=49), tick=False):
        expire_unanswered_photo_requests.apply().get()

    with pytest.raises(QCError, match="no longer open"):
        qc.photo_request_add_photo(photo_request=request, uploaded_file=photo_file(), by=inspector)


def test_a_decision_taken_meanwhile_keeps_its_outcome(failed, shopper, inspector):
    """The shopper keeps the item while a request is open: the answer still comes, and only
    moves the return window of the stored item."""
    _order, request = ask(failed)
    order_keep(order=Order.objects.get(pk=failed.pk), by=shopper)

    answer(request, inspector)

    order = Order.objects.get(pk=failed.pk)
    assert (order.status, order.decision_paused) == (S.STORED, False)
