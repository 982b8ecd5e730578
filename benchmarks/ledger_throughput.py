"""Ledger throughput on PostgreSQL: order payments per second with 8 concurrent workers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/ledger_throughput.py

Creates (and afterwards drops) a scratch database `cssbuy_qc_bench` on that server, migrates it,
gives each worker its own shopper with enough balance, then has 8 worker processes (like 8
web workers; threads would only measure the GIL) pay orders through
`orders.services.order_pay` (the real service: order row lock, account locks, entries, cached
balances, timeline event) and reports payments per second and the `ledger_check` result.
"""

import multiprocessing
import os
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg

WORKERS = int(os.environ.get("WORKERS", "8"))
PAYMENTS_PER_WORKER = int(os.environ.get("PAYMENTS_PER_WORKER", "150"))
BENCH_DB = "cssbuy_qc_bench"


def _admin_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    return url


def _with_db(url: str, name: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path=f"/{name}"))


def _recreate(admin_url: str, *, drop_only: bool = False) -> None:
    with psycopg.connect(_with_db(admin_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def main() -> None:
    admin_url = _admin_url()
    _recreate(admin_url)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "cssbuy_qc.settings",
            "DJANGO_READ_DOT_ENV": "false",
            "DJANGO_DEBUG": "true",
            "DJANGO_SECRET_KEY": "benchmark",
            "DATABASE_URL": _with_db(admin_url, BENCH_DB),
            "CELERY_BROKER_URL": "memory://",
            "DATABASE_CONN_MAX_AGE": "0",
        }
    )
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User
    from ledger.selectors import ledger_violations
    from ledger.services import wallet_topup
    from orders.models import Order
    from orders.services import order_pay

    try:
        call_command("migrate", verbosity=0)
        price = Decimal("25.00")
        shoppers, orders = [], []
        for w in range(WORKERS):
            shopper = User.objects.create_user(email=f"bench{w}@example.com", password=None)
            wallet_topup(
                user=shopper, amount=price * PAYMENTS_PER_WORKER, by=None, reason="benchmark", token=f"bench-{w}"
            )
            shoppers.append(shopper)
            orders.append(
                [
                    Order.objects.create(
                        shopper=shopper,
                        product_title="Bench item",
                        product_url="https://item.taobao.com/item.htm?id=1",
                        unit_price=price,
                        domestic_shipping=Decimal("0.00"),
                    )
                    for _ in range(PAYMENTS_PER_WORKER)
                ]
            )
        connection.close()  # each forked worker opens its own

        context = multiprocessing.get_context("fork")
        barrier = context.Barrier(WORKERS + 1)

        def work(w: int) -> None:
            barrier.wait()
            for order in orders[w]:
                order_pay(order=order, by=shoppers[w])
            connection.close()

        processes = [context.Process(target=work, args=(w,)) for w in range(WORKERS)]
        for p in processes:
            p.start()
        barrier.wait()
        started = time.perf_counter()
        for p in processes:
            p.join()
        elapsed = time.perf_counter() - started
        failures = [p.exitcode for p in processes if p.exitcode != 0]

        total = WORKERS * PAYMENTS_PER_WORKER
        problems = ledger_violations()
        print(f"{total} order payments by {WORKERS} concurrent workers in {elapsed:.2f} s")
        print(f"Throughput: {total / elapsed:.0f} payments/s")
        print(f"Workers that failed: {len(failures)}")
        print("ledger_check: " + ("clean" if not problems else f"{len(problems)} violations: {problems[:3]}"))
        connection.close()
        if failures or problems:
            sys.exit(1)
    finally:
        from django.db import connections

        connections.close_all()
        _recreate(admin_url, drop_only=True)


if __name__ == "__main__":
    main()
