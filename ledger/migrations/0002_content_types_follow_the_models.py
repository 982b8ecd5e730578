# The ledger's content types move from the refunds app with their models, so the permissions
# that hang on them (the Support group's record_topup and view permissions) and the admin's
# history stay where they are.

from django.db import migrations

MODELS = ["account", "ledgertransaction", "entry"]


def _relabel(apps, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    for model in MODELS:
        moving = ContentType.objects.filter(app_label=old, model=model).first()
        if moving is None:
            continue
        made_meanwhile = ContentType.objects.filter(app_label=new, model=model).first()
        if made_meanwhile is not None:
            # Created by an earlier run of post_migrate, with fresh permissions nobody holds yet;
            # the moving content type's permissions are the ones groups were granted.
            Permission.objects.filter(content_type=made_meanwhile).delete()
            made_meanwhile.delete()
        moving.app_label = new
        moving.save(update_fields=["app_label"])


def forwards(apps, schema_editor):
    _relabel(apps, "refunds", "ledger")


def backwards(apps, schema_editor):
    _relabel(apps, "ledger", "refunds")


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0001_initial"),
        ("refunds", "0003_ledger_moves_to_its_own_app"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
