"""The QC photo viewer on a phone (Chromium, 375 px, touch): open, tap a box, swipe, zoom with the
defect boxes staying on the flaw, the full rendition when zoomed in, download, close; and axe
with the viewer open."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from cssbuy_qc.celery import app as celery_app
from orders.models import Order
from qc import services
from qc.models import Defect, Inspection
from tests.browser.conftest import WAIT_MS, log_in
from tests.factories import PASSWORD, InspectorFactory, OrderFactory, UserFactory
from tests.qc.images import jpeg, upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

STAIN = (0.20, 0.30, 0.25, 0.20)
SEAM = (0.60, 0.55, 0.30, 0.25)


@pytest.fixture
def failed_order(settings, tmp_path):
    """A failed round of two photos, the first larger than the display rendition, with two boxes."""
    settings.MEDIA_ROOT = tmp_path / "media"
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    shopper = UserFactory(email="buyer@example.com")
    inspector = InspectorFactory()
    order = OrderFactory(shopper=shopper, status=Order.Status.AWAITING_QC, product_title="Linen shirt")
    inspection = services.inspection_open(order=order, by=inspector)
    photos = []
    for i, (size, colour) in enumerate([((2400, 1800), (90, 140, 110)), ((800, 600), (200, 200, 190))]):
        photo = services.photo_add(
            inspection=inspection,
            uploaded_file=upload(f"p{i}.jpg", jpeg(size=size, color=colour)),
            by=inspector,
            caption=["Front", "Back"][i],
            renditions_in_background=False,
        )
        services.photo_make_renditions(photo_id=photo.pk)
        photos.append(photo)
    for position, (kind, severity, text, box) in enumerate(
        [("stain", "major", "Brown stain on the front", STAIN), ("damage", "minor", "Seam open, 4 cm", SEAM)]
    ):
        x, y, w, h = box
        Defect.objects.create(
            inspection=inspection, kind=kind, severity=severity, description=text, photo=photos[0],
            box_x=x, box_y=y, box_w=w, box_h=h, position=position,
        )  # fmt: skip
    services.inspection_complete(inspection=inspection, by=inspector, result=Inspection.Result.FAILED)
    yield order, photos
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def phone(browser, live_server, django_db_serialized_rollback):
    """A touch phone, 375 px wide, failing on JavaScript or CSP errors."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 740}, has_touch=True, is_mobile=True
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    assert errors == [], f"JavaScript or CSP errors in the browser: {errors}"


IMAGE = ".pswp__item[aria-hidden='false'] img.pswp__img:not(.pswp__img--placeholder)"


def _settled_rects(page) -> dict[str, dict]:
    """Once nothing moves any more (the same layout two frames running): where the shown photo
    and its boxes are, read in one go."""
    read = f"""() => new Promise(resolve => requestAnimationFrame(() => {{
        const rect = (e) => {{
            const r = e.getBoundingClientRect();
            return {{x: r.x, y: r.y, w: r.width, h: r.height}};
        }};
        const rects = {{image: rect(document.querySelector("{IMAGE}"))}};
        for (const box of document.querySelectorAll(".pswp__item[aria-hidden='false'] .qc-pswp-box")) {{
            rects[box.dataset.number] = rect(box);
        }}
        resolve(rects);
    }}))"""
    previous = page.evaluate(read)
    for _ in range(300):  # frames; a guard against an endless animation, not a wait for time
        current = page.evaluate(read)
        if current == previous:
            return current
        previous = current
    raise AssertionError("the viewer never stopped moving")


def _assert_box_on(box: dict, image: dict, fractions: tuple[float, ...]) -> None:
    """The box covers the same part of the photo, in the photo's own proportions (2 px of border)."""
    x, y, w, h = fractions
    assert box["x"] == pytest.approx(image["x"] + x * image["w"], abs=3)
    assert box["y"] == pytest.approx(image["y"] + y * image["h"], abs=3)
    assert box["w"] == pytest.approx(w * image["w"], abs=3)
    assert box["h"] == pytest.approx(h * image["h"], abs=3)


def _touch(page, *fingers: tuple[tuple[float, float], tuple[float, float]]) -> None:
    """Fingers moving across the screen together (one: a swipe; two apart: a pinch), as the touch
    events a phone sends."""
    cdp = page.context.new_cdp_session(page)
    steps = 8

    def points(step: int) -> list[dict]:
        return [
            {"x": a[0] + (b[0] - a[0]) * step / steps, "y": a[1] + (b[1] - a[1]) * step / steps, "id": i}
            for i, (a, b) in enumerate(fingers)
        ]

    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": points(0)})
    for step in range(1, steps + 1):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": points(step)})
    # The fingers leave one by one (a point missing from a move is lifted), as real ones do.
    for lifted in range(1, len(fingers)):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": points(steps)[lifted:]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def test_a_shopper_zooms_into_a_flaw_on_a_phone(phone, failed_order):
    order, photos = failed_order
    page = phone
    log_in(page, order.shopper.email, PASSWORD)
    page.goto(order.get_absolute_url())
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # A tap on the first thumbnail opens the viewer on an opaque background.
    thumb = page.locator("a[data-qc-photo]").first
    thumb.tap()
    viewer = page.get_by_role("dialog", name="QC photo viewer")
    expect(viewer).to_be_visible()
    expect(viewer).not_to_have_attribute("aria-busy", "true")
    expect(viewer.get_by_text("Photo 1 of 2")).to_be_visible()
    image = page.locator(IMAGE)
    image.evaluate("img => img.decode()")
    assert page.locator(".pswp__bg").evaluate("e => getComputedStyle(e).opacity") == "1"
    assert image.evaluate("img => img.currentSrc").endswith(photos[0].display_url)

    # The two boxes sit on their flaws; the first defect's words are shown at once.
    rects = _settled_rects(page)
    _assert_box_on(rects["1"], rects["image"], STAIN)
    _assert_box_on(rects["2"], rects["image"], SEAM)
    words = page.locator(".qc-pswp-caption__defect")
    expect(words).to_have_text("1. Stain · Major: Brown stain on the front")

    # A tap on the other box shows its description (not a hover tooltip); so does its number.
    page.locator(".qc-pswp-box[data-number='2']").tap()
    expect(words).to_have_text("2. Damage · Minor: Seam open, 4 cm")
    expect(page.get_by_role("button", name="2 Damage")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="1 Stain").tap()
    expect(words).to_have_text("1. Stain · Major: Brown stain on the front")

    # A swipe moves to the next photo, the arrow key back.
    _touch(page, ((320, 300), (40, 300)))
    expect(viewer.get_by_text("Photo 2 of 2")).to_be_visible()
    expect(page.locator(".pswp__qc-caption").get_by_text("Back", exact=True)).to_be_visible()
    page.keyboard.press("ArrowLeft")
    expect(viewer.get_by_text("Photo 1 of 2")).to_be_visible()

    # Two fingers moving apart zoom in, with the boxes; the - key zooms back out.
    fitted = _settled_rects(page)["image"]
    _touch(page, ((160, 320), (80, 320)), ((215, 320), (295, 320)))  # apart around a fixed centre
    pinched = _settled_rects(page)
    assert pinched["image"]["w"] > fitted["w"] * 1.5
    _assert_box_on(pinched["1"], pinched["image"], STAIN)
    for _ in range(6):
        page.keyboard.press("-")
    assert _settled_rects(page)["image"] == fitted

    # A double tap zooms in; the boxes stay on the same part of the photo.
    centre = (fitted["x"] + fitted["w"] * 0.1, fitted["y"] + fitted["h"] * 0.1)
    page.touchscreen.tap(*centre)
    page.touchscreen.tap(*centre)
    page.wait_for_function(
        f'() => document.querySelector("{IMAGE}").getBoundingClientRect().width > {fitted["w"] * 2}'
    )
    zoomed = _settled_rects(page)
    _assert_box_on(zoomed["1"], zoomed["image"], STAIN)
    _assert_box_on(zoomed["2"], zoomed["image"], SEAM)

    # The + key zooms to the full resolution: the browser fetches the full rendition.
    for _ in range(6):
        page.keyboard.press("+")
    page.wait_for_function(f"() => document.querySelector(\"{IMAGE}\").currentSrc.endsWith('/full/')")
    full = _settled_rects(page)
    assert full["image"]["w"] == pytest.approx(2400, abs=1)  # one photo pixel per CSS pixel
    _assert_box_on(full["1"], full["image"], STAIN)
    download = page.get_by_role("link", name="Download the full-resolution photo")
    assert download.get_attribute("href") == f"{photos[0].full_url}?download=1"
    assert download.get_attribute("download") == ""

    # Axe finds nothing to fix with the viewer open.
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_snapshot()

    # Escape closes; focus is back on the thumbnail that opened it.
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    assert page.evaluate("document.activeElement.getAttribute('data-qc-photo')") == str(photos[0].pk)


def test_the_defect_list_opens_the_photo_on_that_defect(phone, failed_order):
    order, _photos = failed_order
    page = phone
    log_in(page, order.shopper.email, PASSWORD)
    page.goto(order.get_absolute_url())

    page.locator("[data-qc-defect='2']").get_by_role("link", name="See photo 1").tap()
    expect(page.get_by_role("dialog", name="QC photo viewer")).not_to_have_attribute("aria-busy", "true")

    expect(page.locator(".qc-pswp-caption__defect")).to_have_text("2. Damage · Minor: Seam open, 4 cm")
    # The box toggle of the page holds in the viewer too.
    page.get_by_role("button", name="Show defect boxes").tap()
    expect(page.locator(".qc-pswp-box").first).to_be_hidden()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("checkbox", name="Show defect boxes")).not_to_be_checked()
    expect(page.locator(".qc-gallery svg.qc-boxes").first).to_be_hidden()
