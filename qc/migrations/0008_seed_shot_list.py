from django.db import migrations
from django.utils.translation import gettext_noop

from accounts.roles import INSPECTORS, SUPPORT, grant

# The photos each kind of item needs, in the order an inspector takes them. Staff change them in
# the admin (QC > Shot list); this is where a new site starts. The names are stored in English and
# shown in the reader's language (ShotListItem.label): marked here for makemessages.
SHOT_LIST = {
    "clothing": [
        gettext_noop("Front"),
        gettext_noop("Back"),
        gettext_noop("Label / size tag"),
        gettext_noop("Measurements with a ruler"),
        gettext_noop("Close-up of the fabric"),
    ],
    "shoes": [
        gettext_noop("Both shoes from the side"),
        gettext_noop("Sole"),
        gettext_noop("Size label inside"),
        gettext_noop("Heel and toe"),
        gettext_noop("Box and tags"),
    ],
    "bags": [
        gettext_noop("Front"),
        gettext_noop("Back"),
        gettext_noop("Inside"),
        gettext_noop("Hardware and zips"),
        gettext_noop("Logo / tag"),
    ],
    "electronics": [
        gettext_noop("Front"),
        gettext_noop("Back"),
        gettext_noop("Serial number"),
        gettext_noop("Powered on"),
        gettext_noop("Accessories and box"),
    ],
    "other": [gettext_noop("Overview"), gettext_noop("Label / tag"), gettext_noop("Close-up of the details")],
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
