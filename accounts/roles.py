"""Staff roles. Each app's migrations grant its own permissions to these groups."""

INSPECTORS = "Inspectors"
SUPPORT = "Support"


def grant(apps, group_name: str, app_label: str, codenames: list[str]) -> None:
    """Give `group_name` the permissions `app_label.<codename>`; for use inside a migration.

    Permissions are normally created after migrations run, so create the app's ones first.
    """
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    create_permissions(global_apps.get_app_config(app_label), apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=group_name)
    perms = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
    missing = set(codenames) - set(perms.values_list("codename", flat=True))
    if missing:
        raise RuntimeError(f"Unknown permissions for {app_label}: {sorted(missing)}")
    group.permissions.add(*perms)
