from django.db import migrations

from accounts.roles import INSPECTORS, SUPPORT, grant

QC_MODELS = ["inspection", "qcphoto", "defect", "measurement"]


def grant_permissions(apps, schema_editor):
    # Inspectors do the QC work: open rounds from the queue, upload, annotate, pass or fail.
    grant(
        apps,
        INSPECTORS,
        "qc",
        [
            "view_qcqueueitem",
            "add_inspection",
            "change_inspection",
            "view_inspection",
            "complete_inspection",
            *[f"{action}_{model}" for model in QC_MODELS[1:] for action in ("add", "change", "delete", "view")],
        ],
    )
    # Support staff see the evidence (tickets, seller negotiation) but change nothing.
    grant(apps, SUPPORT, "qc", ["view_qcqueueitem", *[f"view_{model}" for model in QC_MODELS]])


class Migration(migrations.Migration):
    dependencies = [
        ("qc", "0001_initial"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
