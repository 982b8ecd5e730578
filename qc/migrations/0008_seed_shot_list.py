from django.db import migrations

from accounts.roles import INSPECTORS, SUPPORT, grant

# The photos each kind of item needs, in the order an inspector takes them. Staff change them in
# the admin (QC > Shot list); this is where a new site starts.
SHOT_LIST = {
    "clothing": ["Front", "Back", "Label / size tag", "Measurements with a ruler", "Close-up of the fabric"],
    "shoes": ["Both shoes from the side", "Sole", "Size label inside", "Heel and toe", "Box and tags"],
    "bags": ["Front", "Back", "Inside", "Hardware and zips", "Logo / tag"],
    "electronics": ["Front", "Back", "Serial number", "Powered on", "Accessories and box"],
    "other": ["Overview", "Label / tag", "Close-up of the details"],
}


def seed(apps, schema_editor):
    ShotListItem = apps.get_model("qc", "ShotListItem")
    for category, names in SHOT_LIST.items():
        for position, name in enumerate(names):
            ShotListItem.objects.get_or_create(category=category, name=name, defaults={"position": position})
    # Inspectors (their team lead) keep the shot list; support sees it. Items are retired by
    # unticking "required", never deleted: the rounds that took them point at them.
    grant(apps, INSPECTORS, "qc", ["view_shotlistitem", "add_shotlistitem", "change_shotlistitem"])
    grant(apps, SUPPORT, "qc", ["view_shotlistitem"])


class Migration(migrations.Migration):
    dependencies = [
        ("qc", "0007_shot_list_and_weight"),
        ("accounts", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
