"""The inspection page in Chromium at 1366×768, as a warehouse inspector uses it: photos dropped
on the page, turning from "Processing…" into thumbnails by themselves; a defect box drawn on its
photo, then moved and resized; the shot list and the confirmations before a verdict.

None of these steps reloads the page: each test records the page loads and expects none."""

import base64
import re

import pytest
from playwright.sync_api import expect

from orders.models import Order, ProductCategory
from qc import services
from qc.models import Defect, Inspection, QCPhoto, ShotListItem
from tests.browser.conftest import WAIT_MS, log_in
from tests.factories import PASSWORD, InspectorFactory, OrderFactory
from tests.qc.conftest import add_photos
from tests.qc.images import jpeg, png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESKTOP = {"width": 1366, "height": 768}
SMALL_LAPTOP = {"width": 1280, "height": 720}


@pytest.fixture
def bench(browser, live_server, refused_requests, settings, tmp_path):
    """The inspector's screen (1366×768), failing on JavaScript errors; photos on local disk."""
    settings.MEDIA_ROOT = tmp_path / "media"
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def expected(url: str) -> bool:
        return url.endswith("/favicon.ico") or any(path in url for path in refused_requests)

    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text) if msg.type == "error" and not expected(msg.location.get("url", "")) else None
        ),
    )
    yield page
    context.close()
    assert errors == [], f"JavaScript or CSP errors on the inspection page: {errors}"


def open_bench(page, inspection: Inspection, inspector) -> list[str]:
    """Log in, open the round's page; returns the list the page's later loads are added to."""
    log_in(page, inspector.email, PASSWORD)
    page.goto(f"/admin/qc/inspection/{inspection.pk}/change/")
    loads: list[str] = []
    page.on("load", lambda loaded: loads.append(loaded.url))
    return loads


def clothing_round(inspector) -> Inspection:
    order = OrderFactory(status=Order.Status.AWAITING_QC, category=ProductCategory.CLOTHING)
    return services.inspection_open(order=order, by=inspector)


def drop_files(page, files: list[dict]) -> None:
    """Drop files on the photo list as a file manager does: a DataTransfer with File objects."""
    page.evaluate(
        """(files) => {
            const transfer = new DataTransfer();
            for (const file of files) {
                const bytes = Uint8Array.from(atob(file.data), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], file.name, { type: file.type }));
            }
            const target = document.querySelector("[data-qc-cards]");
            for (const type of ["dragenter", "dragover", "drop"]) {
                target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
            }
        }""",
        [{"name": f["name"], "type": f["type"], "data": base64.b64encode(f["data"]).decode()} for f in files],
    )


def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] and box["x"] >= 0


def test_dropped_photos_upload_one_by_one_and_turn_into_thumbnails_by_themselves(bench, settings):
    settings.QC_PHOTO_MAX_BYTES = 200_000
    inspector = InspectorFactory()
    inspection = clothing_round(inspector)
    page = bench
    loads = open_bench(page, inspection, inspector)
    uploads = []
    page.on("request", lambda request: uploads.append(request) if request.url.endswith("/upload/") else None)

    drop_files(
        page,
        [
            {"name": "front.jpg", "type": "image/jpeg", "data": jpeg(size=(1200, 900), color=(90, 140, 110))},
            {"name": "huge.jpg", "type": "image/jpeg", "data": jpeg() + b"\0" * 250_000},
            {"name": "notes.gif", "type": "image/gif", "data": b"GIF89a not a photo"},
            {"name": "back.png", "type": "image/png", "data": png(size=(900, 1200))},
        ],
    )

    # Refused in the browser, before any upload: each with its own message, which stays.
    refusals = page.locator(".qc-upload--error")
    expect(refusals).to_have_count(2)
    expect(refusals.nth(0)).to_contain_text("huge.jpg")
    expect(refusals.nth(0)).to_contain_text("a photo may be at most 195.3\xa0KB")
    expect(refusals.nth(1)).to_contain_text("notes.gif")
    expect(refusals.nth(1)).to_contain_text("This file is not a JPEG, PNG or WebP image.")
    # The two good ones are uploaded, appear at once, processing, tagged with the next shots.
    cards = page.locator("[data-qc-card]")
    expect(cards).to_have_count(2)
    expect(cards.nth(0)).to_contain_text("Processing…")
    expect(cards.nth(1)).to_contain_text("Processing…")
    expect(page.locator("[data-qc-photo-count]")).to_have_text("2")
    assert len(uploads) == 2
    front, back = inspection.photos.order_by("position")
    assert (front.shot.name, back.shot.name) == ("Front", "Back")
    expect(page.locator(".qc-shot--done")).to_have_count(2)

    # The worker makes the renditions; the page shows the thumbnails without being reloaded.
    services.photo_make_renditions(photo_id=front.pk)
    expect(cards.nth(0).locator("img.qc-card__thumb")).to_be_visible()
    expect(cards.nth(1)).to_contain_text("Processing…")
    services.photo_make_renditions(photo_id=back.pk)
    expect(cards.nth(1).locator("img.qc-card__thumb")).to_be_visible()
    assert cards.nth(0).locator("img").get_attribute("src") == f"/qc/photos/{front.pk}/thumb/"

    # A photo whose renditions fail says why, with a Retry button, still without a reload.
    drop_files(page, [{"name": "label.jpg", "type": "image/jpeg", "data": jpeg(size=(600, 800))}])
    expect(cards.nth(2)).to_contain_text("Processing…")
    third = inspection.photos.order_by("position").last()
    services.photo_renditions_failed(photo_id=third.pk, reason="OSError: disk full")
    expect(cards.nth(2)).to_contain_text("Could not be processed: OSError: disk full")
    expect(cards.nth(2).get_by_role("button", name="Retry")).to_be_visible()

    # Dismissing one refusal leaves the other.
    page.get_by_role("button", name="Dismiss the message about huge.jpg").click()
    expect(refusals).to_have_count(1)
    assert loads == []


def draw(page, image, start: tuple[float, float], end: tuple[float, float]) -> None:
    box = image.bounding_box()
    page.mouse.move(box["x"] + box["width"] * start[0], box["y"] + box["height"] * start[1])
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * end[0], box["y"] + box["height"] * end[1], steps=5)
    page.mouse.up()


def drag_by(page, locator, dx: float, dy: float, image) -> None:
    """Drag what `locator` shows by a fraction of the photo's width and height."""
    where, photo = locator.bounding_box(), image.bounding_box()
    x, y = where["x"] + where["width"] / 2, where["y"] + where["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx * photo["width"], y + dy * photo["height"], steps=5)
    page.mouse.up()


_READ_BOX = "row => ['x', 'y', 'w', 'h'].map(key => row.querySelector(`input[data-qc-box='${key}']`).value)"


def row_box(row, before: tuple[float, ...] | None = None) -> tuple[float, ...]:
    """The box in a defect's row once the dialog has written one other than `before`: it writes
    the four values at once in its "close" event, which comes after the dialog is hidden."""
    before_text = [f"{value:.4f}" for value in before] if before else ["", "", "", ""]
    row.page.wait_for_function(
        f"([row, before]) => ({_READ_BOX})(row).join() !== before.join()", arg=[row.element_handle(), before_text]
    )
    return tuple(float(value) for value in row.evaluate(_READ_BOX))


def test_a_box_is_drawn_on_its_photo_then_moved_and_resized_in_a_dialog_that_fits_the_screen(bench):
    inspector = InspectorFactory()
    inspection = clothing_round(inspector)
    _front, back = add_photos(inspection, 2, by=inspector)
    QCPhoto.objects.filter(pk=back.pk).update(caption="Back")
    page = bench
    loads = open_bench(page, inspection, inspector)

    page.get_by_role("button", name="Mark a defect on photo 2").click()
    dialog = page.locator("[data-qc-draw]")
    expect(dialog).to_be_visible()
    use = dialog.get_by_role("button", name="Use this box")
    image = dialog.locator("[data-qc-draw-image]")
    assert in_viewport(page, use) and in_viewport(page, image)
    # The photos to choose from are thumbnails named by number and caption, never by key.
    expect(dialog.get_by_role("button", name="Photo 2 · Back")).to_have_attribute("aria-pressed", "true")

    draw(page, image, (0.2, 0.3), (0.6, 0.7))
    box = dialog.locator("[data-qc-draw-box]")
    drag_by(page, box, 0.1, 0.0, image)  # moved right
    drag_by(page, box.locator("[data-handle=se]"), 0.05, 0.1, image)  # bottom-right corner out
    box.focus()
    page.keyboard.press("ArrowLeft")  # 1 % to the left
    page.keyboard.press("Shift+ArrowRight")  # 1 % wider
    dialog.get_by_label("Stain").check()
    dialog.get_by_label("What is wrong").fill("Brown stain on the back")
    use.click()
    expect(dialog).to_be_hidden()

    row = page.locator("#defects-group tr.form-row.dynamic-defects").first
    x, y, w, h = row_box(row)
    assert (x, y) == (pytest.approx(0.29, abs=0.02), pytest.approx(0.3, abs=0.02))
    assert (w, h) == (pytest.approx(0.46, abs=0.02), pytest.approx(0.5, abs=0.02))
    expect(row.locator("select[name$='-photo'] option:checked")).to_have_text("Photo 2 · Back")
    expect(row.locator("select[name$='-kind']")).to_have_value("stain")
    assert loads == []

    # At 1280×720 too, the whole photo and "Use this box" fit; the box reopens where it was.
    page.set_viewport_size(SMALL_LAPTOP)
    row.get_by_role("button", name="Edit box · Photo 2 · Back").click()
    expect(dialog).to_be_visible()
    assert in_viewport(page, use) and in_viewport(page, image)
    expect(box).to_be_focused()
    page.keyboard.press("ArrowDown")
    use.click()
    assert row_box(row, before=(x, y, w, h))[1] == pytest.approx(0.31, abs=0.02)

    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_url(f"**/admin/qc/inspection/{inspection.pk}/change/")
    defect = Defect.objects.get(inspection=inspection)
    assert (defect.photo_id, defect.kind, defect.description) == (back.pk, "stain", "Brown stain on the back")
    assert (defect.box_x, defect.box_w) == (pytest.approx(0.29, abs=0.02), pytest.approx(0.46, abs=0.02))


def test_the_shot_list_shows_what_is_missing_and_a_verdict_asks_first(bench):
    inspector = InspectorFactory()
    inspection = clothing_round(inspector)
    first, second = add_photos(inspection, 2, by=inspector)
    QCPhoto.objects.filter(pk=first.pk).update(shot=ShotListItem.objects.get(category="clothing", name="Front"))
    page = bench
    loads = open_bench(page, inspection, inspector)
    missing = page.locator(".qc-shot--missing .qc-shot__name")
    expect(missing).to_have_text(["Back", "Label / size tag", "Measurements with a ruler", "Close-up of the fabric"])

    # Tagging the second photo as the back: saved at once, the list follows.
    with page.expect_response(f"**/photos/{second.pk}/"):
        page.locator(f"[data-qc-card='{second.pk}'] [data-qc-shot]").select_option(label="Back")
    expect(missing).to_have_count(3)
    expect(page.locator(".qc-shot--done")).to_have_text(["✓ Front photo 1", "✓ Back photo 2"], use_inner_text=True)
    assert QCPhoto.objects.get(pk=second.pk).shot.name == "Back"

    # Pass asks first, listing the missing shots; going back changes nothing.
    page.get_by_role("button", name="Pass QC").click()
    confirm = page.locator("[data-qc-confirm]")
    expect(confirm).to_be_visible()
    expect(confirm.locator("[data-qc-confirm-list] li")).to_have_text(
        ["Label / size tag", "Measurements with a ruler", "Close-up of the fabric"]
    )
    confirm.get_by_role("button", name="Go back").click()
    expect(confirm).to_be_hidden()
    inspection.refresh_from_db()
    assert inspection.is_open and loads == []

    # The keyboard: ? lists the shortcuts; p asks again; confirming completes the round.
    page.keyboard.press("?")
    shortcuts = page.locator("[data-qc-shortcuts]")
    expect(shortcuts).to_contain_text("Draw a defect box on the selected photo")
    page.keyboard.press("Escape")
    page.keyboard.press("p")
    expect(confirm).to_be_visible()
    confirm.get_by_role("button", name="Pass QC · Complete without them").click()
    page.wait_for_url("**/admin/qc/qcqueueitem/")
    inspection.refresh_from_db()
    assert inspection.result == Inspection.Result.PASSED


def test_photos_are_reordered_by_dragging_or_buttons_and_captions_edited_in_place(bench):
    inspector = InspectorFactory()
    inspection = clothing_round(inspector)
    first, second, third = add_photos(inspection, 3, by=inspector)
    inspection.photos.update(caption="")
    page = bench
    loads = open_bench(page, inspection, inspector)
    cards = page.locator("[data-qc-card]")

    with page.expect_response("**/photos/order/"):
        page.get_by_role("button", name="Move photo 3 earlier").click()
    assert list(inspection.photos.values_list("pk", flat=True)) == [first.pk, third.pk, second.pk]
    with page.expect_response("**/photos/order/"):
        cards.nth(2).locator(".qc-card__media").drag_to(cards.nth(0).locator(".qc-card__media"))
    assert list(inspection.photos.values_list("pk", flat=True)) == [second.pk, first.pk, third.pk]
    expect(cards.nth(0)).to_have_attribute("data-qc-card", str(second.pk))

    with page.expect_response(f"**/photos/{first.pk}/"):
        cards.nth(1).get_by_placeholder("Caption").fill("Seam, close up")
        page.keyboard.press("Enter")
    assert QCPhoto.objects.get(pk=first.pk).caption == "Seam, close up"
    # The defects' photo menus follow the numbers and captions at once.
    menu = page.locator("select[name='defects-__prefix__-photo'] option")
    expect(menu).to_have_text(["Photo: none", "Photo 1", "Photo 2 · Seam, close up", "Photo 3"])

    # Shortcuts: j and k walk the photos, b marks a defect on the selected one; Escape cancels it
    # and leaves no empty defect behind.
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    page.keyboard.press("j")
    expect(cards.nth(1)).to_have_class(re.compile(r"\bqc-card--selected\b"))
    page.keyboard.press("b")
    dialog = page.locator("[data-qc-draw]")
    expect(dialog.get_by_role("button", name="Photo 2 · Seam, close up")).to_have_attribute("aria-pressed", "true")
    dialog.get_by_role("button", name="Place a box to move with the keys").click()  # no mouse needed
    expect(dialog.locator("[data-qc-draw-box]")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#defects-group tr.form-row.dynamic-defects")).to_have_count(0)

    # Typing a note and leaving asks first; saving does not.
    page.get_by_label("Note for the shopper").fill("All fine")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.get_by_role("link", name="Inspections").first.click()
    assert asked == ["beforeunload"] and loads == []
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_url(f"**/admin/qc/inspection/{inspection.pk}/change/")
    inspection.refresh_from_db()
    assert inspection.public_note == "All fine"
