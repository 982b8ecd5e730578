"""The QC story in Chromium at 375 px: an inspector fails QC in the admin, marking the defect
on the photo; the shopper sees the highlighted defect and opens the lightbox."""

import pytest
from playwright.sync_api import expect

from cssbuy_qc.celery import app as celery_app
from orders.models import Order
from qc import services
from qc.models import Defect, Inspection
from tests.browser.conftest import image_width, log_in
from tests.factories import PASSWORD, InspectorFactory, OrderFactory, UserFactory
from tests.qc.images import jpeg

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def photos_on_disk(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True  # renditions right after the upload's commit
    yield
    celery_app.conf.task_always_eager = previous


def test_inspector_fails_qc_and_shopper_sees_the_defect(page, staff_page, live_server, photos_on_disk):
    shopper_page = page
    shopper = UserFactory(email="buyer@example.com")
    inspector = InspectorFactory(email="qc-staff@example.com")
    order = OrderFactory(shopper=shopper, status=Order.Status.AWAITING_QC, product_title="Linen shirt, sage")

    # The inspector opens the order from the QC queue.
    page = staff_page
    log_in(page, inspector.email, PASSWORD)
    page.goto("/admin/")
    page.get_by_role("link", name="1 order awaiting QC").click()
    page.get_by_role("link", name="Inspect", exact=True).click()
    page.wait_for_url("**/admin/qc/inspection/*/change/")

    # Two photos at once through the uploader; they are listed at once, and their thumbnails
    # appear by themselves once rendered.
    page.set_input_files(
        "#qc-upload-input",
        files=[
            {"name": "front.jpg", "mimeType": "image/jpeg", "buffer": jpeg(size=(1200, 900), color=(90, 140, 110))},
            {"name": "label.jpg", "mimeType": "image/jpeg", "buffer": jpeg(size=(900, 1200), color=(200, 200, 190))},
        ],
    )
    expect(page.locator("img.qc-card__thumb")).to_have_count(2)

    # A defect, with its box drawn by dragging on the first photo.
    page.get_by_role("button", name="Mark a defect on photo 1").click()
    dialog = page.locator("[data-qc-draw]")
    image = dialog.locator("[data-qc-draw-image]")
    expect(image).to_be_visible()
    box = image.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.7, steps=6)
    page.mouse.up()
    page.keyboard.type("Brown stain on the front")  # the description has the focus
    dialog.get_by_label("Stain").check()
    dialog.get_by_role("button", name="Use this box").click()
    row = page.locator("#defects-group tr.form-row.dynamic-defects").first
    expect(row.get_by_role("button", name="Edit box · Photo 1 · Overview")).to_be_visible()

    page.get_by_role("button", name="Fail QC").click()
    page.get_by_role("button", name="Fail QC · Complete without them").click()
    page.wait_for_url("**/admin/qc/qcqueueitem/")
    assert page.get_by_text("The shopper has been notified").is_visible()

    inspection = Inspection.objects.get(order=order)
    assert inspection.result == Inspection.Result.FAILED
    defect = Defect.objects.get(inspection=inspection)
    assert defect.photo == inspection.photos.first()
    assert defect.box_x == pytest.approx(0.2, abs=0.02) and defect.box_w == pytest.approx(0.4, abs=0.02)
    assert defect.box_y == pytest.approx(0.3, abs=0.02) and defect.box_h == pytest.approx(0.4, abs=0.02)

    # The shopper, on a phone (the fixture's page: 375 px, no JavaScript or CSP errors allowed).
    phone = shopper_page
    log_in(phone, shopper.email, PASSWORD)
    phone.goto(order.get_absolute_url())
    assert phone.get_by_text("QC round 1").is_visible()
    highlighted = phone.locator(".qc-gallery svg.qc-boxes rect.qc-box")
    assert highlighted.count() == 1 and highlighted.is_visible()
    assert phone.get_by_text("Brown stain on the front", exact=True).is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    # The toggle hides and shows the boxes.
    toggle = phone.get_by_label("Show defect boxes")
    toggle.uncheck()
    expect(highlighted).to_be_hidden()
    toggle.check()
    expect(highlighted).to_be_visible()

    # Keyboard: focus the first thumbnail, Enter opens the viewer; arrows move; Escape closes.
    thumb = phone.locator("a[data-qc-photo]").first
    thumb.focus()
    phone.keyboard.press("Enter")
    viewer = phone.get_by_role("dialog", name="QC photo viewer")
    expect(viewer).to_be_visible()
    expect(viewer).not_to_have_attribute("aria-busy", "true")
    image = viewer.locator(".pswp__item[aria-hidden='false'] img.pswp__img:not(.pswp__img--placeholder)")
    assert image.get_attribute("src").endswith("/display/")
    expect(viewer.locator(".qc-pswp-box")).to_have_count(1)
    expect(viewer.get_by_text("1. Stain · Major: Brown stain on the front")).to_be_visible()
    download = viewer.get_by_role("link", name="Download the full-resolution photo")
    assert download.get_attribute("href").endswith("/full/?download=1")
    assert viewer.get_by_text("Photo 1 of 2").is_visible()
    phone.keyboard.press("ArrowRight")
    expect(viewer.get_by_text("Photo 2 of 2")).to_be_visible()
    assert image_width(image) == 900  # the display rendition really loads
    phone.keyboard.press("Escape")
    expect(viewer).to_have_count(0)
    assert phone.evaluate("document.activeElement.hasAttribute('data-qc-photo')")

    # A click (a tap on the phone) opens it too; the close button closes it.
    thumb.click()
    expect(viewer).not_to_have_attribute("aria-busy", "true")
    viewer.get_by_role("button", name="Close").click()
    expect(viewer).to_have_count(0)


def test_a_mixed_batch_keeps_each_refusal_on_screen_and_lists_the_good_photo_without_a_reload(
    staff_page, refused_requests
):
    inspector = InspectorFactory(email="qc-staff@example.com")
    order = OrderFactory(status=Order.Status.AWAITING_QC)
    inspection = services.inspection_open(order=order, by=inspector)
    refused_requests.append(f"/admin/qc/inspection/{inspection.pk}/upload/")  # the two bad files: 400s
    page = staff_page
    log_in(page, inspector.email, PASSWORD)
    page.goto(f"/admin/qc/inspection/{inspection.pk}/change/")
    loads = []
    page.on("load", lambda loaded: loads.append(loaded.url))

    page.set_input_files(
        "#qc-upload-input",
        files=[
            {"name": "notes.png", "mimeType": "image/png", "buffer": b"just some text, not a photo"},
            {"name": "front.jpg", "mimeType": "image/jpeg", "buffer": jpeg(size=(1200, 900))},
            {"name": "empty.jpg", "mimeType": "image/jpeg", "buffer": b""},
        ],
    )

    refusals = page.locator(".qc-upload--error")
    expect(refusals).to_have_count(2)
    expect(refusals.nth(0)).to_contain_text("notes.png")
    expect(refusals.nth(0)).to_contain_text("This file is not a JPEG, PNG or WebP image.")
    expect(refusals.nth(1)).to_contain_text("empty.jpg")
    card = page.locator("#photos-group [data-qc-card]")
    expect(card).to_contain_text("Processing…")
    expect(card).to_contain_text("1200×900 px")
    menu = page.locator("select[name='defects-__prefix__-photo'] option")
    expect(menu).to_have_text(["Photo: none", "Photo 1 · Overview"])

    # Each refusal stays until dismissed; dismissing one leaves the other.
    refusals.nth(0).get_by_role("button", name="Dismiss the message about notes.png").click()
    expect(refusals).to_have_count(1)
    expect(refusals.nth(0)).to_contain_text("empty.jpg")
    expect(card).to_be_visible()
    assert loads == []  # never reloaded
