"""The shopper's order page with a failed QC round against a minimal logged-in page, under
gunicorn with production settings on PostgreSQL, driven by wrk; interleaved rounds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qcbench [CACHE_URL=redis://127.0.0.1:6379/7] \
        .venv/bin/python benchmarks/qc_page.py [--rounds 3] [--seconds 10] [--connections 8]

Makes a scratch database `<name>_qcpage` on DATABASE_URL's server (dropped at the end; default
server postgres://postgres@127.0.0.1:5432), migrates it and builds, with the project's services,
a QC-failed order of 40 photos (small generated JPEGs with their renditions, in a temporary
MEDIA_ROOT), 10 defects, 5 measurements and 20 timeline events, and 19 more orders of the same
shopper. The cache is CACHE_URL (Redis, as production runs with more than one process), else
REDIS_URL, else each process's own memory; keys get a prefix of their own for the run.

gunicorn runs gunicorn.conf.py (2 gthread workers, not recycled during the run: a worker's
start-up would fall on one page's round) with DJANGO_DEBUG=false and the secure-cookie
settings relaxed for plain http as the README documents, and the benchmark's settings module
(benchmarks/qc_page_site: the site's URLs plus the anchor page, a view the product never
mounts: @login_required, 20 of the shopper's orders and their count, a bare template).

Each round runs `wrk -t2 -c<connections> -d<seconds>s` with the shopper's session cookie against
both pages, the order alternating from round to round. Printed: requests/s of each page per
round, the ratio (QC page / anchor) as median with min-max, the CPU each request cost the server
(gunicorn's processes and their PostgreSQL backends, read from /proc: a busy neighbour changes it
far less than the rates, and when the server is CPU-bound the inverse ratio of these costs is the
ratio of the rates on an idle machine), the queries of one view of each (first view after the
cache was emptied, then a repeat view), and what the thumbnails cost.
Never runs in the test suite.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WRK = shutil.which("wrk") or "/usr/bin/wrk"
GOAL = 0.8  # issue 14: the QC page serves at least 0.8x the anchor's requests/s
PHOTOS, DEFECTS, MEASUREMENTS, EVENTS, ORDERS = 40, 10, 5, 20, 20


def _with_db(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


def _recreate(url: str, name: str, *, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(_with_db(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def _environment(database_url: str, media_root: str) -> dict[str, str]:
    cache_url = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL") or "locmemcache://"
    return {
        "DJANGO_SETTINGS_MODULE": "benchmarks.qc_page_site.settings",
        "DJANGO_READ_DOT_ENV": "false",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "benchmark-only-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
        # Plain http on the loopback, as the README's "production settings over http" says.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "DJANGO_SECURE_COOKIES": "false",
        "DATABASE_URL": database_url,
        "CACHE_URL": cache_url,
        "CACHE_KEY_PREFIX": f"qcbench-{uuid.uuid4().hex[:8]}",
        "CELERY_BROKER_URL": "memory://",
        "MEDIA_ROOT": media_root,
        "BENCH_STATIC_ROOT": str(Path(media_root) / "static"),
    }


def seed():
    """The shopper, the QC-failed order with its evidence and timeline, and 19 more orders."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from orders import services as order_services
    from orders.models import Order
    from qc import services
    from qc.models import Defect, Inspection, Measurement
    from tests.factories import InspectorFactory, UserFactory, fund
    from tests.qc.images import jpeg, upload

    shopper = UserFactory(email="bench-shopper@example.com")
    inspector = InspectorFactory(email="bench-inspector@example.com")
    staff = UserFactory(email="bench-staff@example.com", is_staff=True, is_superuser=True)
    fund(shopper, "100000.00")
    fields = {
        "product_url": "https://item.taobao.com/item.htm?id=424242",
        "option_text": "M / sage",
        "unit_price": Decimal("129.00"),
        "quantity": 1,
        "domestic_shipping": Decimal("8.00"),
        "seller_name": "Hangzhou Linen House",
    }
    order = order_services.order_place_and_pay(shopper=shopper, product_title="Linen shirt", **fields)
    for n in range(ORDERS - 1):
        order_services.order_place(shopper=shopper, product_title=f"Other item {n}", **fields)
    order = order_services.order_purchase(order=order, by=staff)
    order = order_services.order_ship_to_warehouse(order=order, by=staff, tracking="SF1234567890")
    order = order_services.order_receive(order=order, by=staff)
    inspection = services.inspection_open(order=order, by=inspector)
    photos = []
    for i in range(PHOTOS):
        photo = services.photo_add(
            inspection=inspection,
            uploaded_file=upload(f"p{i}.jpg", jpeg(size=(800, 600), color=(i * 6 % 256, 80, 120))),
            by=inspector,
            caption=f"Seam detail {i + 1}",
        )
        services.photo_make_renditions(photo_id=photo.pk)
        photos.append(photo)
    kinds = [kind for kind, _label in Defect.Kind.choices]
    for i in range(DEFECTS):
        Defect.objects.create(
            inspection=inspection,
            kind=kinds[i % len(kinds)],
            severity=Defect.Severity.MAJOR if i % 2 else Defect.Severity.MINOR,
            description=f"Open seam near the hem, about {i + 2} cm",
            photo=photos[i * 3],
            box_x=0.1,
            box_y=0.2,
            box_w=0.3,
            box_h=0.25,
            position=i,
        )
    for i in range(MEASUREMENTS):
        Measurement.objects.create(
            inspection=inspection, name=f"Chest {i}", listed_value="55.00", measured_value="51.50", unit="cm"
        )
    services.inspection_complete(inspection=inspection, by=inspector, result=Inspection.Result.FAILED)
    order = Order.objects.get(pk=order.pk)
    with order_services.order_locked(order) as locked:
        for n in range(EVENTS - locked.events.filter(shopper_visible=True).count()):
            order_services.order_record_event(
                locked=locked, name="note", by=inspector, note=f"Warehouse note {n + 1}: item re-checked."
            )
    assert order.events.filter(shopper_visible=True).count() == EVENTS
    assert order.decision_deadline and order.decision_deadline > timezone.now() + timedelta(hours=1)
    return shopper, order


def _queries(client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(queries)


TICK = os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def server_cpu(port: int, database: str) -> dict[int, float]:
    """CPU seconds used so far by the gunicorn processes on `port` and by the PostgreSQL server
    processes of `database` (when the server runs on this machine), by process id."""
    import psycopg

    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    words = cmdline.read()
            except OSError:
                continue
            if b"gunicorn" in words and f"127.0.0.1:{port}".encode() in words:
                pids.append(int(entry))
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'"
            " AND pid <> pg_backend_pid()",
            [database],
        ).fetchall()
    pids += [pid for (pid,) in rows]
    return {pid: _process_cpu(pid) for pid in pids}


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def wrk(port: int, path: str, *, cookie: str, seconds: int, connections: int) -> tuple[float, int]:
    """Requests per second and requests made."""
    out = subprocess.run(
        [WRK, "-t2", f"-c{connections}", f"-d{seconds}s", "-H", f"Cookie: {cookie}", f"http://127.0.0.1:{port}{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        sys.exit(f"wrk saw errors on {path}:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return rate, int(re.search(r"(\d+) requests in", out).group(1))


def _profile(client, path: str, views: int) -> None:
    import cProfile
    import pstats
    import time

    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(views):
        client.get(path)
    profiler.disable()
    print(f"{(time.perf_counter() - started) / views * 1000:.1f} ms per view (profiled)")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--profile", type=int, metavar="N", help="cProfile N views of the QC page instead of wrk")
    args = parser.parse_args()

    server = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/qcbench"
    if not server.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must be a PostgreSQL database")
    name = f"{urlparse(server).path.lstrip('/') or 'qcbench'}_qcpage"
    database_url = _with_db(server, name)
    media_root = tempfile.mkdtemp(prefix="qcbench-media-")
    env = _environment(database_url, media_root)
    os.environ.update(env)
    _recreate(server, name)
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.test import Client

        from tests.webserver import get, gunicorn

        call_command("migrate", verbosity=0)
        call_command("collectstatic", verbosity=0, interactive=False)
        shopper, order = seed()
        qc_path, anchor_path = order.get_absolute_url(), "/bench/minimal/"

        client = Client()
        client.force_login(shopper)
        cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        cold = {path: _queries(client, path) for path in (qc_path, anchor_path)}
        warm = {path: _queries(client, path) for path in (qc_path, anchor_path)}
        body = client.get(qc_path).content.decode()
        thumbs = re.findall(r'<img src="([^"]+)"[^>]*loading="lazy"', body)
        thumb_queries = _queries(client, thumbs[0]) if thumbs else None
        anonymous = Client().get(thumbs[0]).status_code if thumbs else None
        from django.db import connections

        if args.profile:
            _profile(client, qc_path, args.profile)
            return
        connections.close_all()

        print(f"QC page {qc_path}: {len(thumbs)} thumbnails; anchor {anchor_path}")
        print(f"Cache: {settings.CACHES['default']['BACKEND']}; {os.cpu_count()} CPUs")
        # Workers are not recycled during the run (gunicorn.conf.py's max_requests): a new worker's
        # start-up (about a second of CPU) would land on whichever page's round it fell in, and the
        # CPU of the worker that left would not be counted.
        with (
            tempfile.TemporaryDirectory() as logs,
            gunicorn("--max-requests", "0", log=Path(logs) / "gunicorn.log", env=env) as port,
        ):
            for path in (qc_path, anchor_path):
                status, _raw = get(port, path, cookie=cookie)
                assert status == 200, (path, status)
                wrk(port, path, cookie=cookie, seconds=2, connections=args.connections)  # warm-up
            rates: dict[str, list[float]] = {qc_path: [], anchor_path: []}
            cpu_ms: dict[str, list[float]] = {qc_path: [], anchor_path: []}  # gunicorn + PostgreSQL
            load = os.getloadavg()[0]
            for round_number in range(args.rounds):
                order_of_pages = [qc_path, anchor_path] if round_number % 2 == 0 else [anchor_path, qc_path]
                for path in order_of_pages:
                    before = server_cpu(port, name)
                    rate, requests = wrk(port, path, cookie=cookie, seconds=args.seconds, connections=args.connections)
                    rates[path].append(rate)
                    cpu_ms[path].append(cpu_used(before, server_cpu(port, name)) / requests * 1000)
                print(
                    f"round {round_number + 1}: QC page {rates[qc_path][-1]:8.1f} req/s "
                    f"({cpu_ms[qc_path][-1]:.2f} ms CPU each), anchor {rates[anchor_path][-1]:8.1f} req/s "
                    f"({cpu_ms[anchor_path][-1]:.2f} ms CPU each), "
                    f"ratio {rates[qc_path][-1] / rates[anchor_path][-1]:.3f}"
                )
        ratios = [qc / anchor for qc, anchor in zip(rates[qc_path], rates[anchor_path], strict=True)]
        print(f"load average before / after: {load:.2f} / {os.getloadavg()[0]:.2f}")
        print(f"wrk -t2 -c{args.connections} -d{args.seconds}s, {args.rounds} rounds")
        print(f"  QC page: median {statistics.median(rates[qc_path]):.1f} req/s")
        print(f"  anchor:  median {statistics.median(rates[anchor_path]):.1f} req/s")
        print(f"  ratio:   median {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f})")
        cpu_ratios = [anchor / qc for qc, anchor in zip(cpu_ms[qc_path], cpu_ms[anchor_path], strict=True)]
        print(
            "  CPU per request (gunicorn + its PostgreSQL processes): "
            f"QC page {statistics.median(cpu_ms[qc_path]):.2f} ms,"
            f" anchor {statistics.median(cpu_ms[anchor_path]):.2f} ms; anchor/QC {statistics.median(cpu_ratios):.3f}"
            f" (min {min(cpu_ratios):.3f}, max {max(cpu_ratios):.3f}): the ratio of the rates on an idle machine"
        )
        print(f"Queries per view, first (empty cache) / repeat: QC page {cold[qc_path]} / {warm[qc_path]}, ", end="")
        print(f"anchor {cold[anchor_path]} / {warm[anchor_path]}")
        if thumbs:
            print(f"Thumbnail {thumbs[0]}: {thumb_queries} queries; anonymous request gets {anonymous}")
        met = statistics.median(ratios) >= GOAL
        print(f"Goal >= {GOAL}x: {'met' if met else 'NOT met'}")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            _recreate(server, name, drop_only=True)
        shutil.rmtree(media_root, ignore_errors=True)


if __name__ == "__main__":
    main()
