"""Clicks, key presses and page loads of a 6-photo QC fail, as a warehouse inspector at 1366×768.

    .venv/bin/python benchmarks/inspection_clicks.py [--against REF] [--headed]

Seeds a throwaway site (SQLite, renditions made in-process as a worker would), logs in as an
inspector, opens an arrived order from the QC queue and fails it: six photos, two defects each
with its box drawn on its photo, two measurements, the parcel weight, then Fail QC and the
confirmation. Every click (a drag counts as one) and every key press the script makes is
counted; after the first load of the inspection page no page may load until the verdict's.
Asserts at most 25 clicks and no reload, and prints the counts and the wall time of the flow.

With `--against REF` the same fail is also done on the inspection page as it was at git
revision REF (read with `git archive`, nothing in the working tree changes), the way that page
needed it: the defect row added, its kind and photo picked from menus, the box drawn from the
row, measurements typed field by field, the page reloaded until the thumbnails showed. It is
an anchor, not a test: nothing is asserted about it. It never runs in the test suite.
"""

import argparse
import contextlib
import io
import os
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv/bin/python")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
VIEWPORT = {"width": 1366, "height": 768}
MAX_CLICKS = 25
EMAIL, PASSWORD = "bench-inspector@example.com", "bench-pass-2026-inspect"
SEED = f"""
from django.contrib.auth.models import Group
from accounts.models import User
from accounts.roles import INSPECTORS
from orders.models import Order
user = User.objects.create_user(email={EMAIL!r}, password={PASSWORD!r}, is_staff=True)
user.groups.add(Group.objects.get(name=INSPECTORS))
shopper = User.objects.create_user(email="bench-shopper@example.com", password={PASSWORD!r})
fields = dict(shopper=shopper, product_title="Linen shirt, sage", product_url="https://item.taobao.com/item.htm?id=1",
              option_text="L / sage", unit_price="129.00", status="awaiting_qc", remark="Check the seams, please.")
if any(f.name == "category" for f in Order._meta.get_fields()):
    fields["category"] = "clothing"
Order.objects.create(**fields)
"""


@dataclass
class Tally:
    """What the inspector did: clicks (a drag is one), key presses, and the pages loaded."""

    page: Page
    clicks: int = 0
    keys: int = 0
    loads: list[str] = field(default_factory=list)

    def click(self, locator) -> None:
        self.clicks += 1
        locator.click()

    def choose(self, locator, **option) -> None:
        """Pick from a <select> with the mouse: one click opens it, one picks."""
        self.clicks += 2
        locator.select_option(**option)

    def drag(self, start: tuple[float, float], end: tuple[float, float]) -> None:
        self.clicks += 1
        self.page.mouse.move(*start)
        self.page.mouse.down()
        self.page.mouse.move(*end, steps=8)
        self.page.mouse.up()

    def type(self, text: str) -> None:
        self.keys += len(text)
        self.page.keyboard.type(text)

    def press(self, key: str) -> None:
        self.keys += 1
        self.page.keyboard.press(key)


def photos(folder: Path) -> list[str]:
    """Six photo-like JPEGs (1600×1200), different enough to be six photos."""
    paths = []
    for n in range(6):
        image = Image.new("RGB", (1600, 1200), (236, 233, 226))
        draw = ImageDraw.Draw(image)
        draw.rounded_rectangle([320, 220, 1280, 1060], radius=80, fill=(40 * n % 256, 90, 200 - 25 * n))
        draw.text((40, 40), f"bench photo {n + 1}", fill=(20, 20, 20))
        path = folder / f"photo-{n + 1}.jpg"
        image.save(path, "JPEG", quality=85)
        paths.append(str(path))
    return paths


@contextlib.contextmanager
def site(project: Path) -> Iterator[str]:
    """The project at `project` served on a free port with a fresh seeded SQLite database."""
    with tempfile.TemporaryDirectory() as scratch:
        env = {
            **os.environ,
            "DJANGO_READ_DOT_ENV": "false",
            "DJANGO_DEBUG": "true",
            "DJANGO_SECRET_KEY": "benchmark-only-" + "x" * 40,
            "DATABASE_URL": f"sqlite:///{scratch}/db.sqlite3",
            "MEDIA_ROOT": f"{scratch}/media",
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "CELERY_BROKER_URL": "memory://",
        }
        env.pop("REDIS_URL", None)
        run = {"cwd": project, "env": env, "check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        subprocess.run([PYTHON, "manage.py", "migrate"], **run)
        subprocess.run([PYTHON, "manage.py", "shell", "-c", SEED], **run)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen(
            [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=project,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(300):
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
                time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            server.wait(timeout=30)


def open_from_queue(page: Page, tally: Tally) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/orders/")
    page.goto("/admin/qc/qcqueueitem/")
    tally.click(page.get_by_role("link", name="Inspect", exact=True))
    page.wait_for_url("**/admin/qc/inspection/*/change/")
    page.on("framenavigated", lambda frame: tally.loads.append(frame.url) if frame == page.main_frame else None)


def pick_files(page: Page, tally: Tally, opener, files: list[str]) -> None:
    """The file chooser: a click opens it, a click on Open takes the selected files."""
    with page.expect_file_chooser() as chooser:
        tally.click(opener)
    tally.clicks += 1
    chooser.value.set_files(files)


def box_drag(tally: Tally, image, start: tuple[float, float], end: tuple[float, float]) -> None:
    box = image.bounding_box()
    at = lambda x, y: (box["x"] + box["width"] * x, box["y"] + box["height"] * y)  # noqa: E731
    tally.drag(at(*start), at(*end))


DEFECTS = [("Stain", "Brown stain on the front, 3 cm"), ("Damage", "Seam open at the left sleeve, 4 cm")]
MEASUREMENTS = [("Chest width", "56", "52.5"), ("Length", "72", "71.5")]


def fail_today(page: Page, tally: Tally, files: list[str]) -> None:
    """The fail on this tree's inspection page."""
    pick_files(page, tally, page.get_by_text("choose photos"), files)
    expect(page.locator("img.qc-card__thumb")).to_have_count(6, timeout=120_000)
    tally.click(page.get_by_label("Parcel weight (g)"))
    tally.type("640")
    for number, (kind, description) in enumerate(DEFECTS, start=1):
        tally.click(page.get_by_role("button", name=f"Mark a defect on photo {number}"))
        dialog = page.locator("[data-qc-draw]")
        image = dialog.locator("[data-qc-draw-image]")
        expect(image).to_be_visible()
        box_drag(tally, image, (0.3, 0.3), (0.55, 0.5))
        tally.type(description)  # the description has the focus once the box is drawn
        tally.click(dialog.get_by_label(kind, exact=True))
        tally.click(dialog.get_by_role("button", name="Use this box"))
        expect(dialog).to_be_hidden()
    for name, listed, measured in MEASUREMENTS:
        tally.click(page.get_by_role("button", name="Add another Measurement"))
        tally.type(name)  # the new row's first field has the focus
        tally.press("Tab")
        tally.type(listed)
        tally.press("Tab")
        tally.type(measured)
    tally.click(page.get_by_role("button", name="Fail QC", exact=True))
    tally.click(page.locator("[data-qc-confirm-ok]"))
    page.wait_for_url("**/admin/qc/qcqueueitem/")


def fail_as_before(page: Page, tally: Tally, files: list[str]) -> None:
    """The fail on the inspection page of before: menus for kind and photo, a reload to see the
    thumbnails, a native confirm."""
    pick_files(page, tally, page.locator("#qc-upload-input"), files)
    expect(page.get_by_text("Uploaded 6 of 6.")).to_be_visible(timeout=120_000)
    while page.locator("img.qc-admin-thumb").count() < 6:
        tally.press("F5")  # a page that never shows its photos by itself
        page.reload()
    for number, (kind, description) in enumerate(DEFECTS, start=1):
        tally.click(page.get_by_text("Add another Defect"))
        row = page.locator("#defects-group tr.form-row.dynamic-defects").last
        tally.choose(row.locator("select[name$='-kind']"), label=kind)
        tally.click(row.locator("textarea[name$='-description']"))
        tally.type(description)
        tally.choose(row.locator("select[name$='-photo']"), index=number)
        tally.click(row.get_by_role("button", name="Draw box"))
        image = page.locator("[data-qc-draw-image]")
        image.scroll_into_view_if_needed()
        box_drag(tally, image, (0.3, 0.3), (0.55, 0.5))
        tally.click(page.get_by_role("button", name="Use this box"))
    for name, listed, measured in MEASUREMENTS:
        tally.click(page.get_by_text("Add another Measurement"))
        row = page.locator("#measurements-group tr.form-row.dynamic-measurements").last
        for selector, value in (("-name", name), ("-listed_value", listed), ("-measured_value", measured)):
            tally.click(row.locator(f"input[name$='{selector}']"))
            tally.type(value)
    page.once("dialog", lambda dialog: dialog.accept())
    tally.click(page.get_by_role("button", name="Fail QC"))
    tally.clicks += 1  # OK in the browser's confirm
    page.wait_for_url("**/admin/qc/qcqueueitem/")


def measure(project: Path, flow, files: list[str], headed: bool) -> tuple[Tally, float]:
    with site(project) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=not headed, args=["--no-sandbox"])
        page = browser.new_context(base_url=base, viewport=VIEWPORT).new_page()
        page.set_default_timeout(60_000)
        tally = Tally(page)
        started = time.perf_counter()
        open_from_queue(page, tally)
        flow(page, tally, files)
        elapsed = time.perf_counter() - started
        expect(page.get_by_text("The shopper has been notified")).to_be_visible()
        browser.close()
    return tally, elapsed


def archived(revision: str, folder: Path) -> Path:
    """The tree at `revision`, extracted into `folder` (with this checkout's virtualenv)."""
    data = subprocess.run(["git", "archive", revision], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(folder, filter="data")
    (folder / ".venv").symlink_to(ROOT / ".venv")
    return folder


def report(label: str, tally: Tally, elapsed: float) -> None:
    print(
        f"{label}: {tally.clicks} clicks, {tally.keys} key presses, "
        f"{len(tally.loads)} page loads after the first, {elapsed:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", metavar="REF", help="also measure the inspection page at this git revision")
    parser.add_argument("--headed", action="store_true", help="show the browser")
    options = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        files = photos(Path(scratch))
        print("A 6-photo QC fail with 2 boxed defects and 2 measurements, at 1366×768:")
        if options.against:
            before, elapsed = measure(
                archived(options.against, Path(scratch) / "before"), fail_as_before, files, options.headed
            )
            report(f"  before ({options.against})", before, elapsed)
        today, elapsed = measure(ROOT, fail_today, files, options.headed)
        report("  this tree", today, elapsed)
    print(f"script wall time: {time.perf_counter() - started:.1f} s")
    # The only page load after the first is the verdict's (the queue it lands on).
    assert len(today.loads) == 1 and today.loads[0].endswith("/admin/qc/qcqueueitem/"), today.loads
    assert today.clicks <= MAX_CLICKS, f"{today.clicks} clicks; the goal is at most {MAX_CLICKS}"
    print(f"goal met: at most {MAX_CLICKS} clicks, no page reload before the verdict")


if __name__ == "__main__":
    sys.exit(main())
