"""The staff dashboard with 10,000 orders on PostgreSQL: median time of the admin index for a
superuser (every panel), against an anchor measured in the same run (Django's admin password
change page: the same admin chrome, session and permission checks, no dashboard).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/dashboard.py

Creates (and afterwards drops) a scratch database `cssbuy_qc_bench_dashboard` on that server,
migrates it, seeds ORDERS orders (default 10,000) straight into the tables with bulk_create, with
their QC rounds, defects, returns, tickets and ledger rows, then requests each page REQUESTS times
(default 30) through Django's test client, after a few warm-up requests, and prints the medians
and the queries the dashboard ran. KEEP_DB=1 keeps the database afterwards, to look into it.
`seed` is also what the dashboard's tests use for "many rows".
"""

import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ORDERS = int(os.environ.get("ORDERS", "10000"))
REQUESTS = int(os.environ.get("REQUESTS", "30"))
BENCH_DB = "cssbuy_qc_bench_dashboard"

# How the orders are spread over the statuses, as a shop in full swing might be.
STATUS_WEIGHTS = {
    "pending_payment": 3,
    "paid": 4,
    "purchased": 4,
    "shipped_to_warehouse": 8,
    "awaiting_qc": 6,
    "qc_failed": 4,
    "stored": 45,
    "return_requested": 2,
    "returning": 3,
    "seller_refunding": 2,
    "refunded": 6,
    "exchange_requested": 1,
    "exchange_returning": 1,
    "awaiting_replacement": 1,
    "return_refused": 1,
    "cancelled": 9,
}
INSPECTED = {
    "qc_failed", "stored", "return_requested", "returning", "seller_refunding", "refunded",
    "exchange_requested", "exchange_returning", "awaiting_replacement", "return_refused",
}  # fmt: skip
RETURNED = {
    "return_requested", "returning", "seller_refunding", "refunded", "exchange_requested",
    "exchange_returning", "awaiting_replacement", "return_refused",
}  # fmt: skip
SELLERS = [f"Seller {n:02d}" for n in range(40)]
# Status -> the ledger kind of its refund and the platform account it comes from.
REFUNDS = {
    "refunded": ("refund", "seller_refunds"),
    "cancelled": ("cancel_refund", "order_payments"),
    "compensated": ("compensation", "compensation"),
}
UNUSABLE = "!"  # the stored form of a password nobody can log in with
TICKET_STATUSES = ["open", "awaiting_support", "awaiting_shopper", "resolved", "closed"]


def _ticket(order, t: int, assignee, now: datetime):
    from tickets.models import Ticket

    status = TICKET_STATUSES[t % len(TICKET_STATUSES)]
    opened = now - timedelta(hours=t % 70)
    return Ticket(
        shopper=order.shopper,
        order=order,
        subject=f"About order {order.number}",
        status=status,
        assignee=None if t % 3 else assignee,
        opened_at=opened,
        first_response_due=opened + timedelta(hours=24),
        first_responded_at=opened + timedelta(hours=2) if status not in ("open", "awaiting_support") else None,
        resolved_at=now if status in ("resolved", "closed") else None,
        closed_at=now if status == "closed" else None,
    )


def seed(*, orders: int, now: datetime) -> None:
    """`orders` orders in every status, with what they would have by then: QC rounds (a quarter
    failed, with defects), returns, tickets for a fifth of them, payments, top-ups and refunds in
    the ledger; spread over the last 40 days. Straight into the tables, in one transaction."""
    import pgtrigger
    from django.db import transaction

    from accounts.models import User
    from ledger.models import Account, Entry, LedgerTransaction
    from orders.models import Order
    from qc.models import Defect, Inspection
    from refunds.models import ReturnRequest
    from tickets.models import Ticket

    statuses = [status for status, weight in STATUS_WEIGHTS.items() for _ in range(weight)]
    kinds = [choice for choice, _label in Defect.Kind.choices]
    # The ledger's own checks, run by PostgreSQL once per row at commit, would take most of the
    # time; ledger_violations() checks the seeded ledger afterwards instead.
    checks = ("ledger.Entry:transaction_balanced", "ledger.LedgerTransaction:has_entries")
    with pgtrigger.ignore(*checks), transaction.atomic():
        staff = User.objects.bulk_create(
            [User(email=f"bench-inspector{n}@example.com", is_staff=True, password=UNUSABLE) for n in range(5)]
        )
        shoppers = User.objects.bulk_create(
            [User(email=f"bench-shopper{n}@example.com", password=UNUSABLE) for n in range(max(orders // 10, 1))]
        )
        wallets = Account.objects.bulk_create([Account(kind=Account.Kind.WALLET, user=user) for user in shoppers])
        wallet_of = {wallet.user_id: wallet for wallet in wallets}
        platform = {account.kind: account for account in Account.objects.filter(user=None)}
        made = Order.objects.bulk_create(
            [
                Order(
                    shopper=shoppers[n % len(shoppers)],
                    product_title=f"Bench item {n}",
                    product_url=f"https://item.taobao.com/item.htm?id={n}",
                    option_text="M",
                    unit_price=Decimal("99.00") + n % 50,
                    domestic_shipping=Decimal("8.00"),
                    seller_name=SELLERS[n % len(SELLERS)],
                    status=statuses[n % len(statuses)],
                    status_changed_at=now - timedelta(hours=(n * 7) % 120),
                    created_at=now - timedelta(hours=(n * 13) % (40 * 24) + 1),
                    decision_deadline=now + timedelta(hours=(n % 150) - 20)
                    if statuses[n % len(statuses)] in ("qc_failed", "stored")
                    else None,
                )
                for n in range(orders)
            ],
            batch_size=2000,
        )
        inspections, returns, tickets, txns, legs = [], [], [], [], []
        for n, order in enumerate(made):
            completed = now - timedelta(hours=(n * 11) % (35 * 24))
            if order.status in INSPECTED:
                failed = order.status != "stored" or n % 4 == 0
                inspections.append(
                    Inspection(
                        order=order,
                        round_number=1,
                        inspector=staff[n % len(staff)],
                        result="failed" if failed else "passed",
                        opened_at=completed - timedelta(minutes=20),
                        completed_at=completed,
                    )
                )
            if order.status in RETURNED:
                exchange = "exchange" in order.status or order.status == "awaiting_replacement"
                returns.append(
                    ReturnRequest(
                        order=order,
                        kind="exchange" if exchange else "refund",
                        fault="seller",
                        quote={"kind": "refund", "fault": "seller", "lines": [], "total": str(order.total)},
                        requested_by=order.shopper,
                        requested_at=completed + timedelta(hours=5),
                        shipped_at=completed + timedelta(hours=9) if order.status != "return_requested" else None,
                        seller_received_at=completed + timedelta(hours=60)
                        if order.status == "seller_refunding"
                        else None,
                        resolved_at=completed + timedelta(hours=80) if order.status == "refunded" else None,
                    )
                )
            if n % 5 == 0:
                tickets.append(_ticket(order, n // 5, staff[0], now))
            wallet = wallet_of[order.shopper_id]
            if order.status != "pending_payment":
                paid_at = order.created_at + timedelta(minutes=5)
                txns.append(LedgerTransaction(kind="topup", idempotency_key=f"bench-topup:{n}", created_at=paid_at))
                legs.append([(wallet, order.total), (platform["topups"], -order.total)])
                txns.append(
                    LedgerTransaction(
                        kind="payment", idempotency_key=f"bench-pay:{n}", order=order, created_at=paid_at
                    )
                )
                legs.append([(wallet, -order.total), (platform["order_payments"], order.total)])
            if order.status in REFUNDS and n % 7:
                kind, source = REFUNDS[order.status] if n % 3 else REFUNDS["compensated"]
                refunded_at = completed + timedelta(hours=80)
                txns.append(
                    LedgerTransaction(
                        kind=kind, idempotency_key=f"bench-{kind}:{n}", order=order, created_at=refunded_at
                    )
                )
                legs.append([(wallet, order.total), (platform[source], -order.total)])
        Inspection.objects.bulk_create(inspections, batch_size=2000)
        Defect.objects.bulk_create(
            [
                Defect(inspection=inspection, kind=kinds[(n + k) % len(kinds)], description="Bench defect")
                for n, inspection in enumerate(inspections)
                if inspection.result == "failed"
                for k in range(1 + n % 2)
            ],
            batch_size=2000,
        )
        ReturnRequest.objects.bulk_create(returns, batch_size=2000)
        Ticket.objects.bulk_create(tickets, batch_size=2000)
        LedgerTransaction.objects.bulk_create(txns, batch_size=2000)
        # Wallets keep a running balance on each entry; platform accounts derive theirs.
        running: dict[int, Decimal] = {}
        entries = []
        for txn, pair in zip(txns, legs, strict=True):
            for account, amount in pair:
                after = None
                if account.kind == Account.Kind.WALLET:
                    after = running[account.pk] = running.get(account.pk, Decimal(0)) + amount
                entries.append(
                    Entry(
                        transaction=txn, account=account, amount=amount, balance_after=after, created_at=txn.created_at
                    )
                )
        Entry.objects.bulk_create(entries, batch_size=5000)
        _cache_balances(Account)


def _cache_balances(Account) -> None:
    """Set every wallet's cached balance to the sum of its entries, as ledger_check expects."""
    from django.db.models import OuterRef, Subquery, Sum
    from django.db.models.functions import Coalesce

    from ledger.models import Entry

    total = (
        Entry.objects.filter(account=OuterRef("pk")).values("account").annotate(total=Sum("amount")).values("total")
    )
    Account.objects.filter(kind=Account.Kind.WALLET).update(balance=Coalesce(Subquery(total), Decimal(0)))


def _with_db(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


def _recreate(admin_url: str, *, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(_with_db(admin_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def _median_ms(client, url: str) -> float:
    for _ in range(3):  # warm-up: connection, template loading, translation catalogues
        assert client.get(url).status_code == 200
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(times)


def main() -> None:
    admin_url = os.environ.get("DATABASE_URL", "")
    if not admin_url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    _recreate(admin_url)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "cssbuy_qc.settings",
            "DJANGO_READ_DOT_ENV": "false",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "benchmark",
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": _with_db(admin_url, BENCH_DB),
            "CELERY_BROKER_URL": "memory://",
        }
    )
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import logging

    import django

    django.setup()
    logging.disable(logging.INFO)  # one access-log line per request would be timed too
    from django.conf import settings

    # Static file URLs without `collectstatic`'s manifest, as in the tests (the pages are the same).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.core.management import call_command
    from django.db import connection, connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import User
    from ledger.selectors import ledger_violations
    from orders.models import Order

    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"Migrated in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        seed(orders=ORDERS, now=timezone.now())
        seeded = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        check = ledger_violations() or "clean"
        print(f"Seeded {Order.objects.count():,} orders in {seeded:.1f} s; ledger_check: {check}")
        admin = User.objects.create_superuser(email="bench-admin@example.com", password=None)
        client = Client()
        client.force_login(admin)
        dashboard = _median_ms(client, "/admin/")
        anchor = _median_ms(client, "/admin/password_change/")
        with CaptureQueriesContext(connection) as queries:
            client.get("/admin/")
        print(f"Dashboard (superuser, every panel): median {dashboard:.1f} ms over {REQUESTS} requests")
        print(f"Queries the dashboard ran: {len(queries)}")
        print(f"Anchor (admin password change page): median {anchor:.1f} ms")
        print(f"Dashboard / anchor: {dashboard / anchor:.1f}x; the dashboard's own work: {dashboard - anchor:.1f} ms")
    finally:
        connections.close_all()
        if not os.environ.get("KEEP_DB"):
            _recreate(admin_url, drop_only=True)


if __name__ == "__main__":
    main()
