"""Run by tests/test_sqlite.py in a subprocess whose DATABASE_URL is a SQLite file.

`make run` uses SQLite: migrate, seed the demo, and render the shopper's pages and the admin.
"""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cssbuy_qc.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from accounts.models import User  # noqa: E402
from orders.models import Order  # noqa: E402

assert connection.vendor == "sqlite", connection.vendor
call_command("migrate", verbosity=0)
call_command("seed_demo", verbosity=0)
call_command("seed_demo", verbosity=0)
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

print(f"sqlite ok: {len(pages)} shopper pages")
sys.exit(0)
