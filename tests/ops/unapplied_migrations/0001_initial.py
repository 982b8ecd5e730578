"""A migration no test database has applied, for the readiness probe's migrations check."""

from django.db import migrations


class Migration(migrations.Migration):
    operations = []
