"""Run by tests/test_sqlite.py in a subprocess whose DATABASE_URL is a SQLite file.

`make run` uses SQLite: migrate, seed the demo, render the shopper's pages and the admin, and
run background work while another connection holds the write lock. Each check prints
"ok: <name>" when it passes; the first failure stops the script.
"""

import os
import sqlite3
import sys
from io import BytesIO, StringIO

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cssbuy_qc.settings")
django.setup()

from celery.signals import task_retry  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from PIL import Image  # noqa: E402

from accounts.models import User  # noqa: E402
from ledger.models import Account, Entry  # noqa: E402
from ledger.selectors import ledger_violations, platform_balance, wallet_balance  # noqa: E402
from ledger.services import wallet_topup  # noqa: E402
from notifications.models import Notification, NotificationPreference  # noqa: E402
from orders.models import Order  # noqa: E402
from orders.services import order_pay  # noqa: E402
from qc import services as qc  # noqa: E402
from qc.models import QCPhoto  # noqa: E402
from qc.tasks import make_photo_renditions  # noqa: E402

assert connection.vendor == "sqlite", connection.vendor
call_command("migrate", verbosity=0)
call_command("seed_demo", stdout=StringIO())
call_command("seed_demo", stdout=StringIO())
setup_test_environment()

shopper = User.objects.get(email="shopper@example.com")
statuses = set(Order.objects.filter(shopper=shopper).values_list("status", flat=True))
assert statuses == set(Order.Status.values), sorted(set(Order.Status.values) - statuses)

client = Client()
client.force_login(shopper)
pages = ["/orders/", "/notifications/", *[o.get_absolute_url() for o in Order.objects.filter(shopper=shopper)]]
for url in pages:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)

admin = Client()
admin.force_login(User.objects.get(email="admin@example.com"))
order = Order.objects.filter(shopper=shopper).first()
for url in ["/admin/", "/admin/orders/order/", f"/admin/orders/order/{order.pk}/change/"]:
    response = admin.get(url)
    assert response.status_code == 200, (url, response.status_code)
print(f"ok: demo and {len(pages)} shopper pages")

# The ledger's postings are plain SQL that SQLite runs too (without the row locks): a payment
# moves the same money, the statement runs on, the platform balance is the sum of its entries,
# the same key posts once, and ledger_check is clean.
unpaid = Order.objects.filter(shopper=shopper, status=Order.Status.PENDING_PAYMENT).first()
wallet_topup(user=shopper, amount=unpaid.total, by=None, reason="smoke", token="sqlite-smoke")
balance, payments = wallet_balance(user=shopper), platform_balance(kind=Account.Kind.ORDER_PAYMENTS)
order_pay(order=unpaid, by=shopper)
assert wallet_balance(user=shopper) == balance - unpaid.total
assert platform_balance(kind=Account.Kind.ORDER_PAYMENTS) == payments + unpaid.total
assert Entry.objects.filter(account__user=shopper).latest("id").balance_after == balance - unpaid.total
# The order's lock, its timeline line and the notice are statements written out too (common.sql).
event = unpaid.events.latest("id")
assert (event.from_status, event.to_status, event.actor_id) == ("pending_payment", "paid", shopper.pk), event
notice = Notification.objects.filter(user=shopper).latest("id")
turned_off = NotificationPreference.objects.filter(user=shopper, event=notice.event, email=False).exists()
assert notice.event == "order_paid" and notice.email_wanted is not turned_off and notice.details["facts"], notice
assert Order.objects.get(pk=unpaid.pk).status == Order.Status.PAID
_txn, created = wallet_topup(user=shopper, amount=unpaid.total, by=None, reason="smoke", token="sqlite-smoke")
assert not created
assert ledger_violations() == [], ledger_violations()
print("ok: the ledger's postings")

# Several processes write at once under `make run` (web, worker, beat): write-ahead logging
# lets readers go on while one writes, and transactions take the write lock when they begin,
# waiting for it (the busy timeout) instead of failing halfway through.
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    assert cursor.fetchone()[0] == "wal"
options = connection.settings_dict["OPTIONS"]
assert options["transaction_mode"] == "IMMEDIATE", options
assert options["timeout"] >= 5, options
print("ok: write-ahead log, immediate transactions, busy timeout")

# A rendition task meets "database is locked" (another connection holds the write lock for
# longer than the busy timeout) and succeeds when Celery retries it, once the lock is gone.
arrived = Order.objects.get(shopper=shopper, status=Order.Status.AWAITING_QC)
inspector = User.objects.get(email="inspector@example.com")
image = BytesIO()
Image.new("RGB", (64, 48), (200, 40, 40)).save(image, "JPEG")
photo = qc.photo_add(
    inspection=qc.inspection_open(order=arrived, by=inspector),
    uploaded_file=SimpleUploadedFile("front.jpg", image.getvalue(), content_type="image/jpeg"),
    by=inspector,
)
connection.close()
connection.settings_dict["OPTIONS"] = {**options, "timeout": 0.05}  # fail fast while locked

holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
holder.execute("BEGIN IMMEDIATE")  # the write lock, as a busy web request would hold it
retries = []


def release_lock(sender=None, reason=None, **kwargs) -> None:
    retries.append(str(reason))
    if holder.in_transaction:
        holder.execute("COMMIT")


task_retry.connect(release_lock)
result = make_photo_renditions.apply(kwargs={"photo_id": photo.pk})
assert result.successful(), result.traceback
assert result.get() is True
assert len(retries) == 1 and "database is locked" in retries[0], retries
assert QCPhoto.objects.get(pk=photo.pk).is_ready
print("ok: a rendition task retried after 'database is locked'")
sys.exit(0)
