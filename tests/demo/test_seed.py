"""The demo data (`make run`): seeded once for this module, then only read.

The seeding runs inside a transaction that is rolled back after the module; each test runs in
a savepoint of it. What seeding hands to the broker once it commits is counted on the way.
"""

from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import transaction
from django.test import TestCase, override_settings

from accounts.models import User
from cssbuy_qc.celery import app as celery_app
from demo.builders import DEMO_PASSWORD, seed_demo
from ledger.models import LedgerTransaction
from ledger.selectors import ledger_violations, wallet_balance
from notifications.models import Notification
from orders.models import Order
from qc.models import Defect, Inspection, QCPhoto
from tickets.models import CannedReply, Message, Ticket

S = Order.Status


@dataclass(frozen=True)
class Demo:
    media: Path
    queued: int  # task messages on the broker after the seeding committed


def _queued() -> int:
    with celery_app.connection_for_write() as connection:
        return connection.default_channel.queue_declare(celery_app.conf.task_default_queue, passive=False)[1]


def _purge() -> None:
    with celery_app.connection_for_write() as connection:
        connection.default_channel.queue_purge(celery_app.conf.task_default_queue)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory) -> Demo:
    media = tmp_path_factory.mktemp("demo-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)), transaction.atomic():
        _purge()
        with TestCase.captureOnCommitCallbacks(execute=True):  # what a real commit would run
            seed_demo()
        yield Demo(media=media, queued=_queued())
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _media_root(settings, demo, db):
    settings.MEDIA_ROOT = str(demo.media)


def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_seeding_queues_no_work_that_would_do_nothing(demo):
    """The demo's history happened "before": its notifications are in the inbox, already
    handled, and its photos' renditions are made while seeding, so no task is worth queuing."""
    assert Notification.objects.filter(user__email="shopper@example.com").count() > 20
    assert not Notification.objects.email_pending().exists()  # the sweep finds nothing either
    assert not QCPhoto.objects.filter(renditions_at__isnull=True).exists()
    assert demo.queued == 0


def test_the_demo_shopper_has_an_order_in_every_status(demo):
    statuses = set(Order.objects.filter(shopper__email="shopper@example.com").values_list("status", flat=True))
    assert statuses == set(S.values)


@pytest.mark.parametrize(
    ("email", "landing"),
    [
        ("shopper@example.com", "/orders/"),
        ("shopper2@example.com", "/orders/"),
        ("inspector@example.com", "/admin/"),
        ("support@example.com", "/admin/"),
        ("admin@example.com", "/admin/"),
    ],
)
def test_every_demo_login_in_the_readme_works(demo, client, email, landing):
    response = client.post(
        f"/accounts/login/?next={landing}", {"username": email, "password": DEMO_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == landing
    assert response.status_code == 200


def test_demo_staff_speak_chinese_and_shoppers_english_and_everyone_has_a_name(demo):
    people = {user.email: user for user in User.objects.all()}
    for email in ("inspector@example.com", "support@example.com", "admin@example.com"):
        assert people[email].language == "zh-hans" and people[email].display_name, email
    for email in ("shopper@example.com", "shopper2@example.com"):
        assert people[email].language == "en" and people[email].display_name, email
    assert people["support@example.com"].display_name == "李伟"


def test_every_page_of_the_demo_shopper_renders(demo, client):
    client.force_login(Order.objects.filter(shopper__email="shopper@example.com").first().shopper)
    orders = Order.objects.filter(shopper__email="shopper@example.com")
    pages = ["/orders/", "/balance/", "/tickets/", "/notifications/", *[o.get_absolute_url() for o in orders]]
    for url in pages:
        assert client.get(url).status_code == 200, url


def test_qc_rounds_have_their_evidence_and_seeding_twice_adds_nothing(demo):
    failed = Inspection.objects.filter(result=Inspection.Result.FAILED)
    passed = Inspection.objects.filter(result=Inspection.Result.PASSED)
    assert failed.exists() and passed.exists()
    for order in Order.objects.filter(status__in=[S.QC_FAILED, S.STORED]):
        assert order.inspections.exclude(result=Inspection.Result.PENDING).count() == 1, order
    assert Defect.objects.filter(inspection__in=failed, box_x__isnull=False).exists()
    assert all(i.measurements.exists() for i in failed)
    counts = (Inspection.objects.count(), QCPhoto.objects.count(), Defect.objects.count())
    files = _files(demo.media)
    assert files

    assert seed_demo() is False
    assert (Inspection.objects.count(), QCPhoto.objects.count(), Defect.objects.count()) == counts
    assert _files(demo.media) == files


def test_the_money_is_all_in_a_clean_ledger_and_seeding_twice_adds_nothing(demo):
    assert ledger_violations() == []
    for order in Order.objects.exclude(status=S.PENDING_PAYMENT):
        assert LedgerTransaction.objects.filter(order=order, kind="payment").exists(), order.status
    kinds = set(LedgerTransaction.objects.values_list("kind", flat=True))
    assert {"topup", "payment", "cancel_refund", "refund", "exchange_payment"} <= kinds
    shopper = Order.objects.filter(shopper__email="shopper@example.com").first().shopper
    assert wallet_balance(user=shopper) > 0

    seed_demo()
    assert LedgerTransaction.objects.filter(kind="topup").count() == 2


def test_shoppers_have_tickets_in_several_statuses_and_seeding_twice_adds_nothing(demo):
    T = Ticket.Status
    tickets = Ticket.objects.select_related("order", "shopper")
    assert {t.status for t in tickets} == {T.OPEN, T.AWAITING_SUPPORT, T.AWAITING_SHOPPER, T.RESOLVED, T.CLOSED}
    assert {t.shopper.email for t in tickets} == {"shopper@example.com", "shopper2@example.com"}
    qc_ticket = tickets.get(order__status=S.QC_FAILED, shopper__email="shopper@example.com")
    assert qc_ticket.messages.filter(is_internal=True).exists()
    assert qc_ticket.messages.filter(by_staff=True, is_internal=False).exists()
    assert Ticket.objects.overdue().count() == 1  # the unanswered parcel question
    for ticket in tickets:
        times = list(ticket.messages.values_list("created_at", flat=True))
        assert times == sorted(times)
        assert ticket.opened_at <= ticket.last_message_at
    assert CannedReply.objects.count() == 3

    counts = (Ticket.objects.count(), Message.objects.count(), CannedReply.objects.count())
    assert seed_demo() is False
    assert (Ticket.objects.count(), Message.objects.count(), CannedReply.objects.count()) == counts


def test_listing_images_from_both_sides_and_a_ready_evidence_pack(demo, client):
    from evidence.models import EvidencePack
    from orders.models import ListingImage

    shopper = Order.objects.filter(shopper__email="shopper@example.com").first().shopper
    [pack] = EvidencePack.objects.filter(order__shopper=shopper)
    failed = pack.order
    assert failed.status == S.QC_FAILED
    assert set(failed.listing_images.values_list("source", flat=True)) == set(ListingImage.Source.values)
    assert pack.is_ready and pack.file and (demo.media / pack.file.name).is_file()
    client.force_login(shopper)
    assert "Compare with the QC photos" in client.get(failed.get_absolute_url()).text
    assert client.get(pack.get_absolute_url()).status_code == 200

    counts = (ListingImage.objects.count(), EvidencePack.objects.count())
    assert seed_demo() is False
    assert (ListingImage.objects.count(), EvidencePack.objects.count()) == counts
