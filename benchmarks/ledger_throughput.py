"""Order payments per second on PostgreSQL against pgbench TPC-B on the same server, interleaved.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python benchmarks/ledger_throughput.py \
        [--rounds 3] [--seconds 5] [--workers 1,2,8] [--scale 8] [--email]

Takes the server from DATABASE_URL and makes two scratch databases on it, dropped at the end:
`<name>_bench` (the project, migrated) and `<name>_pgbench` (`pgbench -i -s SCALE`), where
<name> is DATABASE_URL's database. Then, each round:

- the anchor: `pgbench` TPC-B with `-c 8 -j 2` (run again before each project series, so every
  project figure has an anchor measured just before it) and with `-c 1`, each after the vacuum
  pgbench does by default;
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

Printed: transactions per second of every run and the load average; the ratios of (a) and (b) at
8 workers to the pgbench -c 8 run just before them (median over rounds, with min-max); the
speed-up of 8 workers over 1; the queries of one payment; `ledger_check` at the end; and which
goals of issue 14 are met. With PostgreSQL on this machine it also prints the CPU time each
transaction costs (the client's and its server process's), which a busy neighbour changes far
less than the rates: when both sides are CPU-bound, the ratio of those costs is the ratio of the
rates on an otherwise idle machine. Never runs in the test suite.
"""

import argparse
import gc
import math
import multiprocessing
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlparse, urlunparse

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PGBENCH = shutil.which("pgbench") or "/usr/bin/pgbench"
GOALS = {"ledger_post": 0.25, "order_pay": 0.10}  # share of pgbench -c 8 tps (issue 14)
SPEEDUP_GOAL = 1.8  # 8 workers over 1
PRICE = Decimal("25.00")
TOP_UP = Decimal("1000000000.00")
TICK = os.sysconf("SC_CLK_TCK")
WARM_UP = 20  # calls each worker makes before it is timed


@dataclass
class Run:
    tps: float
    transactions: int
    cpu: float | None = None  # seconds of CPU, clients and their server processes together

    @property
    def cpu_ms_per_transaction(self) -> float | None:
        return None if self.cpu is None or not self.transactions else self.cpu / self.transactions * 1000


def _process_cpu(pid: int) -> float | None:
    """CPU seconds a process of this machine has used, if it can be read."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


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


def pgbench(url: str, db: str, *, clients: int, seconds: int) -> Run:
    """One TPC-B run, after the vacuum pgbench does by default (done here, so that its CPU is
    not counted), with the CPU of pgbench and of its server processes."""
    with psycopg.connect(_with_db(url, db), autocommit=True) as conn:
        for sql in ["VACUUM pgbench_branches", "VACUUM pgbench_tellers", "TRUNCATE pgbench_history"]:
            conn.execute(sql)
    args, env = _pgbench_env(url)
    backends: dict[int, float] = {}
    done = threading.Event()

    def watch_backends() -> None:
        # pgbench's server processes end with it: keep the last CPU figure read from each.
        with psycopg.connect(_with_db(url, "postgres"), autocommit=True) as conn:
            while not done.is_set():
                rows = conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'", [db]
                )
                for (pid,) in rows.fetchall():
                    cpu = _process_cpu(pid)
                    if cpu is not None:
                        backends[pid] = cpu
                done.wait(0.05)

    watcher = threading.Thread(target=watch_backends)
    watcher.start()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        out = subprocess.run(
            [PGBENCH, *args, "-n", "-c", str(clients), "-j", str(min(2, clients)), "-T", str(seconds), db],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        done.set()
        watcher.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out).group(1))
    transactions = int(re.search(r"number of transactions actually processed: (\d+)", out).group(1))
    return Run(tps, transactions, client + sum(backends.values()) if backends else None)


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


def _measured(work, barrier, seconds: float, results, *, stop_after: int | None = None) -> None:
    """Call `work(i)` WARM_UP times, then from the barrier on for `seconds` (or until `stop_after`
    calls in all), and report the timed calls, their time, and the CPU of this process and of its
    server process. The warm-up measures a worker as it runs for days: with its connection open,
    its caches filled, and the memory it shares with the parent process copied already."""
    from django.db import connection

    for i in range(WARM_UP):
        work(i)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    done = WARM_UP
    barrier.wait()
    server, client, started = _process_cpu(backend), time.process_time(), time.perf_counter()
    while time.perf_counter() - started < seconds and (stop_after is None or done < stop_after):
        work(done)
        done += 1
    elapsed, client = time.perf_counter() - started, time.process_time() - client
    server_after = _process_cpu(backend)
    cpu = client + server_after - server if server is not None and server_after is not None else None
    results.put((done - WARM_UP, elapsed, cpu, done == stop_after))


def _post_payments(worker: int, run: str, shopper_id: int, barrier, seconds: float, results) -> None:
    from accounts.models import User
    from ledger.models import Account, LedgerTransaction
    from ledger.services import ledger_post, platform_account, wallet_for

    wallet = wallet_for(user=User.objects.get(pk=shopper_id))
    platform = platform_account(Account.Kind.ORDER_PAYMENTS)

    def post(i: int) -> None:
        ledger_post(
            key=f"bench:{run}:{worker}:{i}",
            kind=LedgerTransaction.Kind.PAYMENT,
            legs=[(wallet, -PRICE), (platform, PRICE)],
            description="Payment for a benchmark order",
        )

    _measured(post, barrier, seconds, results)


def _pay_orders(worker: int, run: str, shopper_id: int, barrier, seconds: float, results) -> None:
    from accounts.models import User
    from orders.models import Order
    from orders.services import order_pay

    shopper = User.objects.get(pk=shopper_id)
    orders = list(Order.objects.filter(shopper=shopper, product_title=f"Bench {run}").order_by("pk"))
    _measured(lambda i: order_pay(order=orders[i], by=shopper), barrier, seconds, results, stop_after=len(orders))


def _in_workers(target, *, workers: int, run: str, shoppers: list[int], seconds: float) -> tuple[Run, bool]:
    """`workers` processes running `target` together for `seconds`; whether one ran out of work."""
    from django.db import connections

    connections.close_all()  # each forked worker opens its own connection
    # Objects made so far are never collected in the workers, so the collector does not copy
    # the memory they share with this process (gc.freeze's documented use before fork()).
    gc.collect()
    gc.freeze()
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
    gc.unfreeze()
    if any(p.exitcode for p in processes):
        sys.exit(f"A worker of {run} failed (exit codes {[p.exitcode for p in processes]})")
    transactions = sum(done for done, *_ in outcomes)
    cpus = [cpu for _, _, cpu, _ in outcomes]
    tps = transactions / max(elapsed for _, elapsed, _, _ in outcomes)
    cpu = None if None in cpus else sum(cpus)
    return Run(tps, transactions, cpu), any(ran_out for *_, ran_out in outcomes)


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
    most, fewest, seconds = max(counts), min(counts), options.seconds

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
        _orders_for(shoppers[:1], 500 + WARM_UP, "warm")
        warm, _ = _in_workers(_pay_orders, workers=1, run="warm", shoppers=shoppers, seconds=1)
        per_worker = math.ceil(warm.tps * seconds * 3) + 200

        runs: dict[str, list[Run]] = defaultdict(list)
        ratios: dict[str, list[float]] = defaultdict(list)
        speedups: dict[str, list[float]] = defaultdict(list)
        ran_out = False
        for r in range(options.rounds):
            order = counts[r % len(counts) :] + counts[: r % len(counts)]
            line = [f"round {r + 1} (load {_load()}):"]
            for label, target in [("ledger_post", _post_payments), ("order_pay", _pay_orders)]:
                anchor = pgbench(url, pgbench_db, clients=8, seconds=seconds)
                runs["pgbench -c 8"].append(anchor)
                line.append(f"pgbench -c 8 {anchor.tps:.0f} tps |")
                tps = {}
                for workers in order:
                    run = f"{r}-{workers}"
                    if target is _pay_orders:
                        _orders_for(shoppers[:workers], per_worker + WARM_UP, run)
                    result, out = _in_workers(target, workers=workers, run=run, shoppers=shoppers, seconds=seconds)
                    ran_out |= out
                    runs[f"{label} x{workers}"].append(result)
                    tps[workers] = result.tps
                line.append(f"{label} " + " ".join(f"x{w} {tps[w]:.0f}/s" for w in counts) + " |")
                ratios[label].append(tps[most] / anchor.tps)
                speedups[label].append(tps[most] / tps[fewest])
            single = pgbench(url, pgbench_db, clients=1, seconds=seconds)
            runs["pgbench -c 1"].append(single)
            line.append(f"pgbench -c 1 {single.tps:.0f} tps")
            print(" ".join(line), flush=True)

        from ledger.selectors import ledger_violations

        started = time.perf_counter()
        problems = ledger_violations()
        check_took = time.perf_counter() - started

        print(f"\nMedians over {options.rounds} rounds of {seconds} s (min-max), load average now {_load()}:")
        for key, results in runs.items():
            unit = "tps" if key.startswith("pgbench") else "payments/s"
            cpu = [r.cpu_ms_per_transaction for r in results if r.cpu_ms_per_transaction is not None]
            per = f", CPU {_spread(cpu, '{:.2f}')} ms per transaction" if cpu else ""
            print(f"  {key:<16} {_spread([r.tps for r in results])} {unit}{per}")
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
            verdict = "met" if statistics.median(ratios[label]) >= goal else "NOT met"
            share = _spread([x * 100 for x in ratios[label]], "{:.1f}")
            print(f"  {label} at {most} workers / pgbench -c 8: {share} % (goal >= {goal:.0%}): {verdict}")
        for label in GOALS:
            verdict = "met" if statistics.median(speedups[label]) >= SPEEDUP_GOAL else "NOT met"
            speedup = _spread(speedups[label], "{:.2f}")
            print(f"  {label} {most} workers / {fewest} worker: {speedup}x (goal >= {SPEEDUP_GOAL}x): {verdict}")
        anchor_cpu = [r.cpu_ms_per_transaction for r in runs["pgbench -c 8"]]
        if None not in anchor_cpu:
            print("\nCPU per transaction, pgbench -c 8 over the project at 8 workers (the rate ratio when CPU-bound):")
            for label in GOALS:
                cpu = [r.cpu_ms_per_transaction for r in runs[f"{label} x{most}"]]
                if None not in cpu:
                    print(f"  {label}: {statistics.median(anchor_cpu) / statistics.median(cpu) * 100:.1f} %")
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
