# QC photos are deleted only through qc.services.photo_delete: no cascade from their round, and
# PostgreSQL refuses to delete a photo of a completed round.

import django.db.models.deletion
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("qc", "0002_staff_permissions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="qcphoto",
            name="inspection",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="photos", to="qc.inspection"
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="qcphoto",
            trigger=pgtrigger.compiler.Trigger(
                name="photos_of_completed_rounds_stay",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="\n                    IF EXISTS (SELECT 1 FROM qc_inspection WHERE id = OLD.inspection_id AND result <> 'pending') THEN\n                        RAISE EXCEPTION 'photo % belongs to a completed QC round', OLD.id\n                            USING ERRCODE = 'restrict_violation';\n                    END IF;\n                    RETURN OLD;\n                ",
                    hash="ef574636f46d118330b3cfaba4e91d22685ab55b",
                    operation="DELETE",
                    pgid="pgtrigger_photos_of_completed_rounds_stay_e198f",
                    table="qc_qcphoto",
                    when="BEFORE",
                ),
            ),
        ),
    ]
