"""Order payments per second on PostgreSQL against pgbench TPC-B on the same server, interleaved.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python benchmarks/ledger_throughput.py \
        [--rounds 3] [--seconds 5] [--workers 1,2,8] [--scale 8]

Takes the server from DATABASE_URL and makes two scratch databases on it, dropped at the end:
`<name>_bench` (the project, migrated) and `<name>_pgbench` (`pgbench -i -s SCALE`), where
<name> is DATABASE_URL's database. Then, each round:

- the anchor: `pgbench` TPC-B with `-c 8 -j 2` (run again before each project series, so every
  project figure has an anchor measured just before it) and with `-c 1`;
- (a) the ledger posting itself: `ledger.services.ledger_post` of a payment-like transaction
  (shopper wallet -> "order payments", 2 legs), each in its own database transaction, fresh keys;
- (b) the whole pay-an-order step: `orders.services.order_pay` (order row lock, transition,
  timeline event, the shopper's notification row, the ledger posting) on pending orders. The
  benchmark's shoppers turned off the "order paid" email, so no email task is handed to the
  broker after commit (that is the broker's cost, about 1 ms of CPU per email with Redis); with
  `--email` they keep it and the tasks go to CELERY_BROKER_URL (default: Kombu's in-memory
  transport);

each with 1, 2 and 8 worker processes (like web workers: processes, since threads would measure
the GIL), in an order that rotates from round to round. Every worker has its own shopper.
Printed: payments/s per run, the load average, the ratios of (a) and (b) at 8 workers to the
pgbench -c 8 run just before them (median over rounds, with min-max), the speed-up of 8 workers
over 1, the queries of one payment, `ledger_check` at the end, and which goals of issue 14 are met.
The machine may be shared: the interleaved ratios are what counts. Never runs in the test suite.
"""

import argparse
import math
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlparse, urlunparse

import psycopg

ROOT = Path(__file__).resolve().parent.parent
GOALS = {"ledger_post": 0.25, "order_pay": 0.10}  # share of pgbench -c 8 tps (issue 14)
SPEEDUP_GOAL = 1.8  # 8 workers over 1
PRICE = Decimal("25.00")
TOP_UP = Decimal("1000000000.00")


# --- Databases --------------------------------------------------------------------------------


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/bench")
    return url


def _with_db(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


def _recreate(url: str, name: str, *, drop_only: bool = False) -> None:
    with psycopg.connect(_with_db(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def _pgbench_env(url: str) -> tuple[list[str], dict[str, str]]:
    parts = urlparse(url)
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", unquote(parts.username or "")]
    env = {**os.environ}
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    return args, env


def pgbench(url: str, db: str, *, clients: int, seconds: int) -> float:
    """TPC-B tps of one pgbench run (after its usual vacuum of the small tables)."""
    args, env = _pgbench_env(url)
    jobs = min(2, clients)
    out = subprocess.run(
        [PGBENCH, *args, "-c", str(clients), "-j", str(jobs), "-T", str(seconds), db],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out).group(1))


PGBENCH = shutil.which("pgbench") or "/usr/bin/pgbench"


# --- The project, in worker processes ---------------------------------------------------------


def _django(url: str) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "cssbuy_qc.settings",
            "DJANGO_READ_DOT_ENV": "false",
            "DJANGO_DEBUG": "false",  # DEBUG would record every query in memory
            "DJANGO_SECRET_KEY": "benchmark",
            "DATABASE_URL": url,
            "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "memory://"),
            "CELERY_TASK_ALWAYS_EAGER": "false",
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _post_payments(worker: int, run: str, shopper_id: int, barrier, seconds: float, results) -> None:
    from accounts.models import User
    from ledger.models import Account, LedgerTransaction
    from ledger.services import ledger_post, platform_account, wallet_for

    wallet = wallet_for(user=User.objects.get(pk=shopper_id))
    platform = platform_account(Account.Kind.ORDER_PAYMENTS)
    done = 0
    barrier.wait()
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        ledger_post(
            key=f"bench:{run}:{worker}:{done}",
            kind=LedgerTransaction.Kind.PAYMENT,
            legs=[(wallet, -PRICE), (platform, PRICE)],
            description="Payment for a benchmark order",
        )
        done += 1
    results.put((done, time.perf_counter() - started, False))


def _pay_orders(worker: int, run: str, shopper_id: int, barrier, seconds: float, results) -> None:
    from accounts.models import User
    from orders.models import Order
    from orders.services import order_pay

    shopper = User.objects.get(pk=shopper_id)
    orders = list(Order.objects.filter(shopper=shopper, product_title=f"Bench {run}").order_by("pk"))
    done = 0
    barrier.wait()
    started = time.perf_counter()
    while time.perf_counter() - started < seconds and done < len(orders):
        order_pay(order=orders[done], by=shopper)
        done += 1
    results.put((done, time.perf_counter() - started, done == len(orders)))


def _in_workers(target, *, workers: int, run: str, shoppers: list[int], seconds: float) -> tuple[float, bool]:
    """Payments per second of `workers` processes running `target` together for `seconds`."""
    from django.db import connections

    connections.close_all()  # each forked worker opens its own connection
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(workers)
    results = context.Queue()
    processes = [
        context.Process(target=target, args=(w, run, shoppers[w], barrier, seconds, results)) for w in range(workers)
    ]
    for p in processes:
        p.start()
    outcomes = [results.get() for _ in processes]
    for p in processes:
        p.join()
    if any(p.exitcode for p in processes):
        sys.exit(f"A worker of {run} failed (exit codes {[p.exitcode for p in processes]})")
    return sum(done for done, _, _ in outcomes) / max(elapsed for _, elapsed, _ in outcomes), any(
        ran_out for _, _, ran_out in outcomes
    )


def _orders_for(shoppers: list[int], per_worker: int, run: str) -> None:
    """Pending orders for each worker's shopper in `run` (made in bulk: placing is not measured)."""
    from orders.models import Order

    Order.objects.bulk_create(
        Order(
            shopper_id=shopper_id,
            product_title=f"Bench {run}",
            product_url="https://item.taobao.com/item.htm?id=1",
            unit_price=PRICE,
            domestic_shipping=Decimal("0.00"),
        )
        for shopper_id in shoppers
        for _ in range(per_worker)
    )


def _setup(workers: int, *, email: bool) -> list[int]:
    from django.core.management import call_command

    from accounts.models import User
    from ledger.services import wallet_topup
    from notifications.models import Event
    from notifications.services import notification_preferences_set

    call_command("migrate", verbosity=0)
    shoppers = []
    for w in range(workers + 1):  # the last one is for counting queries
        shopper = User.objects.create_user(email=f"bench{w}@example.com", password=None)
        wallet_topup(user=shopper, amount=TOP_UP, by=None, reason="benchmark", token=f"bench-{w}")
        if not email:
            notification_preferences_set(user=shopper, email_events=set(Event.values) - {Event.ORDER_PAID})
        shoppers.append(shopper.pk)
    return shoppers


def _queries_of_one_payment(shopper_id: int) -> dict[str, tuple[int, int]]:
    """(queries, savepoint statements) of one ledger_post and one order_pay, as a worker runs them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from ledger.models import Account, LedgerTransaction
    from ledger.services import ledger_post, platform_account, wallet_for
    from orders.models import Order
    from orders.services import order_pay

    shopper = User.objects.get(pk=shopper_id)
    wallet, platform = wallet_for(user=shopper), platform_account(Account.Kind.ORDER_PAYMENTS)
    _orders_for([shopper_id], 1, "queries")
    order = Order.objects.get(shopper=shopper, product_title="Bench queries")
    counts = {}
    for name, call in [
        (
            "ledger_post",
            lambda: ledger_post(
                key="bench:queries",
                kind=LedgerTransaction.Kind.PAYMENT,
                legs=[(wallet, -PRICE), (platform, PRICE)],
                description="Payment for a benchmark order",
            ),
        ),
        ("order_pay", lambda: order_pay(order=order, by=shopper)),
    ]:
        with CaptureQueriesContext(connection) as captured:
            call()
        sql = [q["sql"] for q in captured.captured_queries]
        counts[name] = (len(sql), sum(1 for s in sql if "SAVEPOINT" in s))
    return counts


# --- Figures ----------------------------------------------------------------------------------


def _spread(values: list[float], fmt: str = "{:.0f}") -> str:
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5, help="length of every run")
    parser.add_argument("--workers", default="1,2,8", help="worker process counts")
    parser.add_argument("--scale", type=int, default=8, help="pgbench scale (branches; >= its 8 clients)")
    parser.add_argument("--email", action="store_true", help="shoppers keep the order-paid email")
    options = parser.parse_args()
    counts = [int(n) for n in options.workers.split(",")]
    most, seconds = max(counts), options.seconds

    url = _server_url()
    name = urlparse(url).path.lstrip("/") or "postgres"
    project_db, pgbench_db = f"{name}_bench", f"{name}_pgbench"
    print(f"{os.cpu_count()} CPUs, load average {_load()}; PostgreSQL at {urlparse(url).hostname}")
    print(
        "order_pay " + ("with" if options.email else "without") + " the order-paid email task published after commit"
    )
    _recreate(url, project_db)
    _recreate(url, pgbench_db)
    django_ready = False
    try:
        args, env = _pgbench_env(url)
        subprocess.run(
            [PGBENCH, *args, "-i", "-q", "-s", str(options.scale), pgbench_db],
            env=env,
            check=True,
            capture_output=True,
        )
        _django(_with_db(url, project_db))
        django_ready = True
        shoppers = _setup(most, email=options.email)
        queries = _queries_of_one_payment(shoppers[-1])
        shoppers = shoppers[:-1]

        # A pool of pending orders large enough for the fastest worker: one alone, measured here.
        _orders_for(shoppers[:1], 500, "warm")
        warm, _ = _in_workers(_pay_orders, workers=1, run="warm", shoppers=shoppers, seconds=1)
        per_worker = math.ceil(warm * seconds * 2) + 100

        figures: dict[str, list[float]] = defaultdict(list)
        ratios: dict[str, list[float]] = defaultdict(list)
        speedups: dict[str, list[float]] = defaultdict(list)
        ran_out = False
        for r in range(options.rounds):
            order = counts[r % len(counts) :] + counts[: r % len(counts)]
            line = [f"round {r + 1} (load {_load()}):"]
            for label, target in [("ledger_post", _post_payments), ("order_pay", _pay_orders)]:
                anchor = pgbench(url, pgbench_db, clients=8, seconds=seconds)
                figures["pgbench -c 8"].append(anchor)
                line.append(f"pgbench -c 8 {anchor:.0f} tps |")
                tps = {}
                for workers in order:
                    run = f"{r}-{workers}"
                    if target is _pay_orders:
                        _orders_for(shoppers[:workers], per_worker, run)
                    tps[workers], out = _in_workers(
                        target, workers=workers, run=run, shoppers=shoppers, seconds=seconds
                    )
                    ran_out |= out
                    figures[f"{label} x{workers}"].append(tps[workers])
                line.append(f"{label} " + " ".join(f"x{w} {tps[w]:.0f}/s" for w in counts) + " |")
                ratios[label].append(tps[most] / anchor)
                speedups[label].append(tps[most] / tps[min(counts)])
            single = pgbench(url, pgbench_db, clients=1, seconds=seconds)
            figures["pgbench -c 1"].append(single)
            line.append(f"pgbench -c 1 {single:.0f} tps")
            print(" ".join(line), flush=True)

        from ledger.selectors import ledger_violations

        started = time.perf_counter()
        problems = ledger_violations()
        check_took = time.perf_counter() - started

        print(f"\nMedians over {options.rounds} rounds of {seconds} s (min-max), load average now {_load()}:")
        for key, values in figures.items():
            unit = "tps" if key.startswith("pgbench") else "payments/s"
            print(f"  {key:<16} {_spread(values)} {unit}")
        for label, (n, savepoints) in queries.items():
            print(f"  queries of one {label}: {n} ({savepoints} savepoint statements), BEGIN/COMMIT included")
        if ran_out:
            print("  note: a worker used up its pending orders before the end of its run")
        print(
            f"  ledger_check: {'clean' if not problems else f'{len(problems)} violations: {problems[:3]}'}"
            f" (took {check_took:.2f} s)"
        )
        print("\nGoals (issue 14):")
        for label, goal in GOALS.items():
            median = statistics.median(ratios[label])
            verdict = "met" if median >= goal else "NOT met"
            print(
                f"  {label} at {most} workers / pgbench -c 8: {_spread([x * 100 for x in ratios[label]], '{:.1f}')} %"
                f" (goal >= {goal:.0%}): {verdict}"
            )
        for label in GOALS:
            median = statistics.median(speedups[label])
            verdict = "met" if median >= SPEEDUP_GOAL else "NOT met"
            print(
                f"  {label} {most} workers / 1 worker: {_spread(speedups[label], '{:.2f}')}x"
                f" (goal >= {SPEEDUP_GOAL}x): {verdict}"
            )
        if problems:
            sys.exit(1)
    finally:
        if django_ready:
            from django.db import connections

            connections.close_all()
        _recreate(url, project_db, drop_only=True)
        _recreate(url, pgbench_db, drop_only=True)


if __name__ == "__main__":
    main()
