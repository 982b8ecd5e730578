"""Lighthouse 12 on the shopper's pages, served as in production: gunicorn, DEBUG off,
compressed and cacheable static files (WhiteNoise, after collectstatic), over plain http on
127.0.0.1 (the three HTTPS-only settings switched off, as the README's "Production settings on
a laptop" does), with the demo data and a QC-failed order with 40 photos, logged in.

    .venv/bin/python benchmarks/lighthouse.py [--lighthouse PATH] [--runs 3] [--reports DIR]

Pages: /orders/, the QC-failed order with 40 photos, /balance/, /tickets/, a ticket thread and
/orders/new/, each scored for performance, accessibility, best practices and SEO (Lighthouse's
default mobile run: a mid-range phone, simulated slow 4G). The goal is 98 or more on each.
Each page is scored `--runs` times and the median of each category is shown (Lighthouse's own
advice: one run varies with the load of the machine, its CPU time is multiplied by 4).

Lighthouse comes from npm: the path given, or `lighthouse@12.2.3` installed once into a cache
folder outside the repository (~/.cache/cssbuy-qc/lighthouse-12.2.3, needs the network once).
It drives a headless Chromium (CHROME_PATH, /usr/bin/chromium by default) that this script
starts and logs in through the login form first, so the session cookie goes with every request
(the page and its photos) as in a shopper's browser; Lighthouse keeps cookies between runs and
clears the cache before each. Needs no database or broker: the site runs on a throwaway SQLite
database.
"""

import argparse
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.webserver import free_port, gunicorn  # noqa: E402 - after the path is set

LIGHTHOUSE_VERSION = "12.2.3"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "cssbuy-qc"
CACHE = CACHE / f"lighthouse-{LIGHTHOUSE_VERSION}"
CATEGORIES = {
    "performance": "Performance",
    "accessibility": "Accessibility",
    "best-practices": "Best practices",
    "seo": "SEO",
}
GOAL = 98
SHOPPER, PASSWORD = "shopper@example.com", "demo-pass-2026"  # the demo's (README)
PHOTOS = 40
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")


def lighthouse_command(given: str | None) -> list[str]:
    """The lighthouse executable: the one given, else the cached install (made if missing)."""
    if given:
        return [given]
    binary = CACHE / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        print(f"Installing lighthouse@{LIGHTHOUSE_VERSION} into {CACHE} ...", flush=True)
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(CACHE), "--no-audit", "--no-fund", f"lighthouse@{LIGHTHOUSE_VERSION}"],
            check=True,
        )
    return [str(binary)]


def site_env(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_READ_DOT_ENV": "false",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "DJANGO_SECURE_COOKIES": "false",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "MEDIA_ROOT": str(folder / "media"),
        "CELERY_BROKER_URL": "memory://",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "WEB_CONCURRENCY": "2",
        "LOG_LEVEL": "WARNING",
    }


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def seed_order_with_photos() -> None:
    """(In a child process with the site's environment.) A QC-failed order of the demo shopper
    with PHOTOS photos, through the real services; prints the paths of the pages to score."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cssbuy_qc.settings")
    django.setup()
    from decimal import Decimal
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    from accounts.models import User
    from orders import services as orders
    from qc import services as qc
    from qc.models import Defect, Inspection
    from tickets.models import Ticket

    shopper = User.objects.get(email=SHOPPER)
    support = User.objects.get(email="support@example.com")
    inspector = User.objects.get(email="inspector@example.com")
    order = orders.order_place(
        shopper=shopper,
        product_title="Quilted parka, 40 QC photos",
        product_url="https://item.taobao.com/item.htm?id=6299999999",
        option_text="L / black",
        unit_price=Decimal("459.00"),
        quantity=1,
        domestic_shipping=Decimal("14.00"),
        seller_name="Harbin Warm",
    )
    order = orders.order_pay(order=order, by=shopper)
    order = orders.order_purchase(order=order, by=support)
    order = orders.order_ship_to_warehouse(order=order, by=support, tracking="YT0000004040")
    order = orders.order_receive(order=order, by=inspector)
    inspection = qc.inspection_open(order=order, by=inspector)
    photos = []
    for number in range(1, PHOTOS + 1):
        image = Image.new("RGB", (1200, 900), (236, 233, 226))
        draw = ImageDraw.Draw(image)
        shade = (40 + number * 5 % 120, 60, 90 + number * 3 % 100)
        draw.rounded_rectangle([240, 160, 960, 800], radius=60, fill=shade)
        draw.text((40, 30), f"QC #{number}", fill=(30, 30, 30))
        data = BytesIO()
        image.save(data, "JPEG", quality=86)
        photo = qc.photo_add(
            inspection=inspection,
            uploaded_file=SimpleUploadedFile(f"qc-{number}.jpg", data.getvalue(), content_type="image/jpeg"),
            by=inspector,
            caption=f"Angle {number}",
            renditions_in_background=False,
        )
        qc.photo_make_renditions(photo_id=photo.pk)
        photos.append(photo)
    for position, photo in enumerate(photos[:3]):
        Defect.objects.create(
            inspection=inspection,
            kind=Defect.Kind.DAMAGE,
            severity=Defect.Severity.MAJOR,
            description="Torn lining near the zip.",
            photo=photo,
            box_x=0.3,
            box_y=0.4,
            box_w=0.2,
            box_h=0.15,
            position=position,
        )
    qc.inspection_complete(inspection=inspection, by=inspector, result=Inspection.Result.FAILED)
    ticket = Ticket.objects.filter(shopper=shopper).order_by("id").first()
    print(json.dumps({"order": order.get_absolute_url(), "ticket": ticket.get_absolute_url()}))


@contextmanager
def chromium(folder: Path) -> Iterator[int]:
    """A headless Chromium with its own profile; yields its DevTools port, stops it after."""
    port = free_port()
    process = subprocess.Popen(
        [CHROME, "--headless=new", "--no-sandbox", "--disable-gpu", f"--remote-debugging-port={port}",
         f"--user-data-dir={folder / 'chromium'}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("Chromium did not start") from None
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def log_in(base: str, chrome_port: int) -> None:
    """Log the demo shopper in through the login form, in the browser Lighthouse will drive."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{chrome_port}")
        page = browser.contexts[0].new_page()
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", SHOPPER)
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url("**/orders/")
        page.close()


def score(command: list[str], url: str, chrome_port: int, report: Path) -> dict[str, int]:
    subprocess.run(
        [
            *command,
            url,
            f"--port={chrome_port}",
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            f"--only-categories={','.join(CATEGORIES)}",
        ],
        check=True,
        env={**os.environ, "CHROME_PATH": CHROME},
    )
    result = json.loads(report.read_text())
    return {key: round(result["categories"][key]["score"] * 100) for key in CATEGORIES}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lighthouse", help="path of a lighthouse executable (else the cached npm install)")
    parser.add_argument("--runs", type=int, default=3, help="runs per page; the median is shown (default 3)")
    parser.add_argument("--reports", type=Path, help="keep each page's JSON reports in this folder")
    args = parser.parse_args()
    command = lighthouse_command(args.lighthouse)

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        env = site_env(folder)
        print("Migrating, collecting static files, seeding the demo ...", flush=True)
        manage(env, "migrate")
        manage(env, "collectstatic", "--noinput")
        manage(env, "seed_demo", "--not-production")
        seeded = subprocess.run(
            [sys.executable, __file__, "--seed-order"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        )
        made = json.loads(seeded.stdout.strip().splitlines()[-1])
        pages = {
            "Order list": "/orders/",
            f"QC-failed order, {PHOTOS} photos": made["order"],
            "Balance": "/balance/",
            "Tickets": "/tickets/",
            "Ticket thread": made["ticket"],
            "New order": "/orders/new/",
        }
        reports = args.reports or folder / "reports"
        reports.mkdir(parents=True, exist_ok=True)
        with gunicorn(log=folder / "gunicorn.log", env=env) as port, chromium(folder) as chrome_port:
            base = f"http://127.0.0.1:{port}"
            log_in(base, chrome_port)
            rows = []
            for name, path in pages.items():
                print(f"Lighthouse: {name} ({path}) ...", flush=True)
                slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
                runs = [
                    score(command, base + path, chrome_port, reports / f"{slug}-{n}.json") for n in range(args.runs)
                ]
                print("  " + ", ".join(" ".join(str(run[key]) for key in CATEGORIES) for run in runs), flush=True)
                median = {key: round(statistics.median(run[key] for run in runs)) for key in CATEGORIES}
                rows.append((name, path, median))

    width = max(len(name) for name, _path, _scores in rows)
    print(
        f"\nLighthouse {LIGHTHOUSE_VERSION}, mobile, gunicorn with production settings, median of {args.runs} runs "
        f"(goal: {GOAL} each)\n"
    )
    print(f"| {'page'.ljust(width)} | " + " | ".join(CATEGORIES.values()) + " |")
    print(f"|{'-' * (width + 2)}|" + "|".join("-" * (len(label) + 2) for label in CATEGORIES.values()) + "|")
    for name, _path, scores in rows:
        cells = [str(scores[key]).rjust(len(label)) for key, label in CATEGORIES.items()]
        print(f"| {name.ljust(width)} | " + " | ".join(cells) + " |")
    below = [(name, key, scores[key]) for name, _path, scores in rows for key in CATEGORIES if scores[key] < GOAL]
    if args.reports:
        print(f"\nReports in {reports}")
    for name, key, value in below:
        print(f"Below the goal: {name}, {CATEGORIES[key]} {value}")
    return 1 if below else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--seed-order"]:
        seed_order_with_photos()
    else:
        sys.exit(main())
