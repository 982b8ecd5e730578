"""An order's evidence pack: what it holds for the shopper and for staff, checked against its
manifest; boxes really drawn; streamed with bounded memory; large orders built by the task."""

import hashlib
import io
import tracemalloc

import pytest
from django.urls import reverse
from PIL import Image

from evidence import services
from evidence.models import EvidencePack
from evidence.pack import plan_pack, stream_pack
from evidence.selectors import order_evidence_section
from notifications.models import Event, Notification
from orders.models import Order
from qc import services as qc
from qc.models import Defect
from tests.evidence.conftest import BOX, GREEN, INTERNAL_NOTE, STAFF_ONLY_EVENT, check_manifest, opened
from tests.factories import InspectorFactory, OrderFactory
from tests.qc.images import upload, upright_scene

pytestmark = pytest.mark.django_db


def download(client, order: Order, **post):
    response = client.post(reverse("evidence:download", args=[order.number]), post)
    return response


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- What the pack holds -------------------------------------------------------------------------


def test_a_small_orders_pack_is_streamed_and_its_manifest_matches_every_file(shopper_client, evidence):
    response = download(shopper_client, evidence.order)

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="evidence-{evidence.order.number}.zip"'
    archive = opened(body(response))
    manifest = check_manifest(archive)
    assert manifest["order"] == evidence.order.number and manifest["audience"] == "shopper"
    names = set(archive.namelist())
    assert {
        "README.txt",
        "qc/round-1/photo-01.jpg",
        "qc/round-1/photo-02.jpg",
        "qc/round-1/boxed/photo-01-boxed.jpg",
        "qc/round-1/boxed/photo-02-boxed.jpg",
        "qc/rounds.csv",
        "qc/defects.csv",
        "qc/measurements.csv",
        "listing/seller-photo-01.jpg",
        "listing/shopper-screenshot-01.jpg",
        "timeline.csv",
    } <= names
    # The full-resolution photo as stored, byte for byte, and when its camera says it was taken.
    with evidence.plain.full.open("rb") as stored:
        assert archive.read("qc/round-1/photo-01.jpg") == stored.read()
    entry = next(e for e in manifest["files"] if e["path"] == "qc/round-1/photo-01.jpg")
    assert entry["taken_at"] == "2026-11-30T14:02:11+08:00"
    assert "Chest,55.00,51.50,cm,-3.50" in archive.read("qc/measurements.csv").decode()


def test_the_boxes_are_drawn_on_the_photos_where_the_shopper_sees_them(shopper_client, evidence):
    archive = opened(body(download(shopper_client, evidence.order)))

    with Image.open(io.BytesIO(archive.read("qc/round-1/boxed/photo-01-boxed.jpg"))) as boxed:
        assert boxed.size == (800, 600)
        left, top, right, bottom = 800 * BOX[0], 600 * BOX[1], 800 * (BOX[0] + BOX[2]), 600 * (BOX[1] + BOX[3])
        red = (255, 23, 68)  # a major defect
        for point in [(left + 1, 300), (right - 2, 300), (400, top + 1), (400, bottom - 2)]:
            assert all(abs(a - b) < 40 for a, b in zip(boxed.getpixel(point), red, strict=True)), point
        for point in [(400, 300), (left - 12, 300), (400, bottom + 12)]:  # inside and outside the frame
            assert all(abs(a - b) < 25 for a, b in zip(boxed.getpixel(point), GREEN, strict=True)), point

    # The phone photo is drawn on upright, as the shopper sees it: its red quadrant top left.
    with Image.open(io.BytesIO(archive.read("qc/round-1/boxed/photo-02-boxed.jpg"))) as boxed:
        assert boxed.size == upright_scene().size
        assert boxed.getpixel((5, 5))[0] > 180 and boxed.getpixel((5, 5))[2] < 80
        amber = (255, 171, 0)  # a minor defect
        assert all(abs(a - b) < 60 for a, b in zip(boxed.getpixel((24, 32)), amber, strict=True))


def test_the_shopper_gets_no_internal_note_or_staff_only_line_and_staff_get_them(client, evidence):
    client.force_login(evidence.order.shopper)
    shopper_pack = opened(body(download(client, evidence.order)))
    client.force_login(evidence.support)
    staff_response = download(client, evidence.order)
    assert staff_response["Content-Disposition"].endswith(f'evidence-{evidence.order.number}-staff.zip"')
    staff_pack = opened(body(staff_response))
    check_manifest(staff_pack)

    def text(archive) -> str:
        return "\n".join(archive.read(n).decode("utf-8-sig") for n in archive.namelist() if not n.endswith(".jpg")
                         and not n.endswith(".png"))  # fmt: skip

    shopper_text, staff_text = text(shopper_pack), text(staff_pack)
    for secret in (INTERNAL_NOTE, STAFF_ONLY_EVENT, "Inspector's own remark", "agent@example.com"):
        assert secret not in shopper_text
        assert secret in staff_text
    assert "Can the seller give a discount?" in shopper_text and "We are asking the seller." in shopper_text
    assert not any(name.endswith("seller-chat.png") for name in shopper_pack.namelist())
    assert any(name.endswith("seller-chat.png") for name in staff_pack.namelist())
    assert any(name.endswith("closeup.png") for name in shopper_pack.namelist())


@pytest.mark.parametrize("audience", ["shopper", "staff"])
def test_the_pack_is_planned_in_nine_queries_whatever_it_holds(
    evidence, audience, django_assert_num_queries, django_assert_max_num_queries
):
    """Rounds, photos, defects, measurements, listing images, events, tickets, messages and
    attachments: one query each (fewer for an order with no rounds or tickets to prefetch for)."""
    with django_assert_num_queries(9):
        plan = plan_pack(order=evidence.order, audience=audience)
    assert plan.photo_count == 4  # two QC photos, two listing images
    with django_assert_max_num_queries(9):
        plan_pack(order=OrderFactory(), audience=audience)


# --- Large orders: built by the task, with a notification ------------------------------------------


def test_a_large_orders_pack_is_built_by_the_task_and_its_requester_notified(
    shopper_client, evidence, settings, eager_tasks, django_capture_on_commit_callbacks
):
    settings.EVIDENCE_DIRECT_MAX_PHOTOS = 3
    order = evidence.order

    with django_capture_on_commit_callbacks(execute=True):
        response = download(shopper_client, order, next=order.get_absolute_url())

    assert response.status_code == 302 and response.url == order.get_absolute_url()
    page = shopper_client.get(response.url).text
    assert "its evidence pack is being prepared" in page
    pack = EvidencePack.objects.get(order=order)
    assert pack.is_ready and pack.audience == "shopper" and pack.photo_count == 4
    notification = Notification.objects.get(user=order.shopper, event=Event.EVIDENCE_READY)
    assert notification.link == pack.get_absolute_url()
    assert "Being prepared since" not in page  # the order page no longer says it is pending

    got = shopper_client.get(notification.link)
    assert got.status_code == 200 and got["Content-Type"] == "application/zip"
    data = body(got)
    assert hashlib.sha256(data).hexdigest() == pack.sha256 and len(data) == pack.bytes
    check_manifest(opened(data))

    # Asking again while nothing changed: the same pack, at once; building it again does nothing.
    with django_capture_on_commit_callbacks(execute=True):
        again = download(shopper_client, order)
    assert again.status_code == 302 and again.url == pack.get_absolute_url()
    assert services.evidence_pack_build(pack_id=pack.pk) is False
    assert EvidencePack.objects.count() == 1
    assert Notification.objects.filter(event=Event.EVIDENCE_READY).count() == 1


def test_new_evidence_makes_a_new_pack_that_replaces_the_old_one(
    shopper_client, evidence, settings, eager_tasks, django_capture_on_commit_callbacks, media
):
    settings.EVIDENCE_DIRECT_MAX_PHOTOS = 3
    order = evidence.order
    with django_capture_on_commit_callbacks(execute=True):
        download(shopper_client, order)
    old = EvidencePack.objects.get()
    old_file = media / old.file.name

    with django_capture_on_commit_callbacks(execute=True):
        shopper_client.post(reverse("tickets:reply", args=[order.tickets.get().number]), {"body": "Any news?"})
        download(shopper_client, order)

    new = EvidencePack.objects.get()
    assert new.pk != old.pk and new.is_ready
    assert not old_file.exists()
    assert (
        "Any news?"
        in opened(body(shopper_client.get(new.get_absolute_url())))
        .read(f"tickets/{order.tickets.get().number}/messages.txt")
        .decode()
    )


def test_a_pack_still_being_built_says_so(shopper_client, evidence, settings, django_capture_on_commit_callbacks):
    settings.EVIDENCE_DIRECT_MAX_PHOTOS = 3
    pack = services.evidence_pack_for(order=evidence.order, by=evidence.order.shopper, audience="shopper")
    assert pack.status == EvidencePack.Status.PENDING

    response = shopper_client.get(pack.get_absolute_url(), follow=True)

    assert response.redirect_chain[-1][0] == evidence.order.get_absolute_url()
    assert "still being prepared" in response.text


def test_a_failed_build_is_shown_and_asking_again_builds_it(
    shopper_client, evidence, settings, eager_tasks, django_capture_on_commit_callbacks
):
    settings.EVIDENCE_DIRECT_MAX_PHOTOS = 3
    pack = services.evidence_pack_for(order=evidence.order, by=evidence.order.shopper, audience="shopper")
    services.evidence_pack_failed(pack_id=pack.pk, reason="OSError: disk full")
    assert "could not be prepared" in shopper_client.get(evidence.order.get_absolute_url()).text

    with django_capture_on_commit_callbacks(execute=True):
        download(shopper_client, evidence.order)

    pack.refresh_from_db()
    assert pack.is_ready and pack.error == ""


# --- Memory ----------------------------------------------------------------------------------------


def noise_jpeg(seed: int, size=(700, 700)) -> bytes:
    image = Image.frombytes("RGB", size, hashlib.shake_256(str(seed).encode()).digest(size[0] * size[1] * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


def test_streaming_40_photos_holds_about_one_file_in_memory(shopper, inspector, media):
    order = OrderFactory(shopper=shopper, status=Order.Status.AWAITING_QC)
    inspection = qc.inspection_open(order=order, by=inspector)
    largest = 0
    for i in range(40):
        data = noise_jpeg(i)
        largest = max(largest, len(data))
        added = qc.photo_add(
            inspection=inspection, uploaded_file=upload(f"{i}.jpg", data), by=inspector, renditions_in_background=False
        )
        qc.photo_make_renditions(photo_id=added.pk)
        if i % 4 == 0:
            Defect.objects.create(
                inspection=inspection, kind="stain", description="x", photo=added, box_x=0.1, box_y=0.1, box_w=0.2,
                box_h=0.2,
            )  # fmt: skip
    qc.inspection_complete(inspection=inspection, by=inspector, result="failed")
    plan = plan_pack(order=order, audience="shopper")

    digest, total = hashlib.sha256(), 0
    tracemalloc.start()
    try:
        for chunk in stream_pack(plan):
            digest.update(chunk)
            total += len(chunk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    print(
        f"\n40 photos: {total / 1e6:.1f} MB streamed; peak {peak / 1e6:.2f} MB traced; largest {largest / 1e6:.2f} MB"
    )
    assert total > 40 * largest * 0.9  # the photos really went through
    assert peak < 2 * largest + 1_000_000


# --- Who gets what -------------------------------------------------------------------------------


def test_another_shopper_gets_404_on_every_evidence_url(
    client, other_shopper, evidence, settings, django_capture_on_commit_callbacks
):
    settings.EVIDENCE_DIRECT_MAX_PHOTOS = 3
    shopper_pack = services.evidence_pack_for(order=evidence.order, by=evidence.order.shopper, audience="shopper")
    staff_pack = services.evidence_pack_for(order=evidence.order, by=evidence.support, audience="staff")

    client.force_login(other_shopper)
    assert download(client, evidence.order).status_code == 404
    assert client.get(shopper_pack.get_absolute_url()).status_code == 404
    assert client.get(staff_pack.get_absolute_url()).status_code == 404
    client.force_login(evidence.order.shopper)  # the order's own shopper never gets the staff pack
    assert client.get(staff_pack.get_absolute_url()).status_code == 404
    client.force_login(InspectorFactory())  # staff without the evidence permission
    assert download(client, evidence.order).status_code == 404
    assert client.get(reverse("evidence:pack", args=["no-such-key"])).status_code == 404
    assert EvidencePack.objects.count() == 2


def test_the_download_takes_a_post(shopper_client, evidence):
    assert shopper_client.get(reverse("evidence:download", args=[evidence.order.number])).status_code == 405


def test_the_order_pages_offer_the_pack(client, evidence, django_assert_num_queries):
    client.force_login(evidence.order.shopper)
    page = client.get(evidence.order.get_absolute_url()).text
    assert reverse("evidence:download", args=[evidence.order.number]) in page
    client.force_login(evidence.support)
    admin_page = client.get(reverse("admin:orders_order_change", args=[evidence.order.pk])).text
    assert "internal notes and staff-only events included" in admin_page
    with django_assert_num_queries(1):
        order_evidence_section(order=evidence.order, user=evidence.order.shopper)
