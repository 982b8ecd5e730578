"""Comparing with the listing and taking the evidence away, in Chromium on a 375 px touch phone:
the shopper attaches screenshots when ordering, compares one with a QC photo once the item is
inspected (slider by keyboard and touch, zoom by double-tap, pinch and keys), and downloads the
order's evidence pack."""

import zipfile

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from cssbuy_qc.celery import app as celery_app
from notifications.services import notification_mark_read
from orders import services as orders
from orders.models import Order
from qc import services as qc
from qc.models import Defect, Inspection, QCPhoto
from tests.browser.conftest import WAIT_MS, image_width, log_in
from tests.evidence.conftest import check_manifest
from tests.factories import PASSWORD, InspectorFactory, SupportFactory, UserFactory, fund
from tests.qc.images import jpeg, png, upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def phone(django_db_serialized_rollback, browser, live_server, settings, tmp_path):
    """A 375 px touch screen on the live server, failing on JavaScript or CSP errors."""
    settings.MEDIA_ROOT = tmp_path / "media"
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 812}, has_touch=True, accept_downloads=True
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    celery_app.conf.task_always_eager = previous
    assert errors == [], f"JavaScript or CSP errors in the browser: {errors}"


def inspect_and_fail(order: Order) -> list[QCPhoto]:
    """The warehouse's part, through the services: bought, received, two photos, a boxed defect."""
    purchaser, inspector = SupportFactory(), InspectorFactory()
    order = orders.order_purchase(order=order, by=purchaser)
    order = orders.order_ship_to_warehouse(order=order, by=purchaser, tracking="YT12345678")
    order, inspection = qc.order_receive_and_open_round(order=order, by=inspector)
    photos = []
    for i, colour in enumerate([(90, 140, 110), (200, 200, 190)]):
        added = qc.photo_add(
            inspection=inspection,
            uploaded_file=upload(f"qc{i}.jpg", jpeg(size=(1200, 900), color=colour)),
            by=inspector,
            renditions_in_background=False,
        )
        qc.photo_make_renditions(photo_id=added.pk)
        photos.append(added)
    Defect.objects.create(
        inspection=inspection, kind="stain", description="Brown stain", photo=photos[0],
        box_x=0.3, box_y=0.3, box_w=0.2, box_h=0.2,
    )  # fmt: skip
    qc.inspection_complete(inspection=inspection, by=inspector, result=Inspection.Result.FAILED)
    return photos


def pinch(page, element, spread: int) -> None:
    """Two fingers on `element`, moved apart by `spread` px each (Chromium's touch input)."""
    box = element.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, gap: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": x - gap, "y": y, "id": 0}, {"x": x + gap, "y": y, "id": 1}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", 20)
    for gap in range(30, 20 + spread, 10):
        touch("touchMove", gap)
    touch("touchEnd", 0)


def test_attach_screenshots_compare_with_a_qc_photo_and_take_the_evidence(phone):
    page = phone
    shopper = UserFactory(email="comparer@example.com")
    fund(shopper, "500.00")

    # Ordering, with two screenshots of the listing.
    log_in(page, shopper.email, PASSWORD)
    page.goto("/orders/new/")
    page.get_by_label("Marketplace URL").fill("https://item.taobao.com/item.htm?id=42")
    page.get_by_label("Product").fill("Linen shirt, sage")
    page.get_by_label("Unit price (CNY)").fill("129.00")
    page.get_by_label("Domestic shipping (CNY)").fill("8.00")
    page.get_by_label("Screenshots of the listing").set_input_files(
        [
            {"name": "listing.png", "mimeType": "image/png", "buffer": png(size=(390, 844), color=(240, 240, 240))},
            {"name": "size-chart.png", "mimeType": "image/png", "buffer": png(size=(390, 600), color=(250, 230, 200))},
        ]
    )
    page.get_by_role("button", name="Place and pay").click()
    page.wait_for_url("**/orders/CB*/")
    order = Order.objects.get(shopper=shopper)
    assert order.listing_images.count() == 2
    thumbs = page.locator(".listing__image img")
    expect(thumbs).to_have_count(2)
    thumbs.first.scroll_into_view_if_needed()
    assert image_width(thumbs.first) > 0

    # Later, QC fails; the shopper compares a screenshot with the QC photos.
    photos = inspect_and_fail(order)
    notification_mark_read(user=shopper)
    page.goto(order.get_absolute_url())
    page.get_by_role("link", name="Compare with the QC photos").click()
    page.wait_for_url("**/compare/")
    listing_img, qc_img = page.locator('[data-cmp-img="listing"]'), page.locator('[data-cmp-img="qc"]')
    assert image_width(listing_img) > 0 and image_width(qc_img) > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()

    # Zoom: a double tap, the Fit button, a pinch, the keyboard.
    level = page.locator("[data-cmp-zoom-level]")
    qc_pane = page.locator(".cmp-pane--qc")
    box = qc_pane.bounding_box()
    for _ in range(2):
        page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(level).to_have_text("250%")
    page.get_by_role("button", name="Fit").click()
    expect(level).to_have_text("100%")
    pinch(page, qc_pane, 80)
    assert int(level.inner_text().rstrip("%")) > 150
    page.locator("[data-cmp-stage]").focus()
    page.keyboard.press("0")
    expect(level).to_have_text("100%")
    page.keyboard.press("+")
    expect(level).to_have_text("150%")
    page.keyboard.press("0")

    # The slider: with the keyboard, then a tap on the photos.
    page.get_by_role("button", name="Slider").click()
    slider = page.get_by_label("Slider: listing on the left, QC photo on the right")
    expect(slider).to_be_visible()
    slider.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    assert slider.input_value() == "55"
    top = page.locator("[data-cmp-top]")
    assert top.evaluate("el => el.style.clipPath") == "inset(0px 0px 0px 55%)"
    stage = page.locator("[data-cmp-stage]").bounding_box()
    page.touchscreen.tap(stage["x"] + stage["width"] * 0.2, stage["y"] + stage["height"] / 2)
    assert abs(int(slider.input_value()) - 20) <= 1
    assert slider.get_attribute("aria-valuetext").startswith("Listing 2")

    # Another QC photo, chosen from the strip: swapped in place, and kept in the address.
    page.locator(f'label:has(input[name="photo"][value="{photos[1].pk}"])').click()
    expect(qc_img).to_have_attribute("src", photos[1].display_url)
    assert f"photo={photos[1].pk}" in page.url
    assert image_width(qc_img) > 0

    # The evidence pack, downloaded from the order page.
    page.goto(order.get_absolute_url())
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the evidence pack (ZIP)").click()
    path = download.value.path()
    assert download.value.suggested_filename == f"evidence-{order.number}.zip"
    with zipfile.ZipFile(path) as archive:
        manifest = check_manifest(archive)
        kinds = [entry["kind"] for entry in manifest["files"]]
        assert kinds.count("qc_photo") == 2 and kinds.count("qc_photo_boxed") == 1
        assert kinds.count("listing_image") == 2
