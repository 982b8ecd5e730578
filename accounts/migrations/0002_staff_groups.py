from django.db import migrations

from accounts.roles import INSPECTORS, SUPPORT, grant


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name=INSPECTORS)
    Group.objects.get_or_create(name=SUPPORT)
    grant(apps, SUPPORT, "accounts", ["view_user"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
