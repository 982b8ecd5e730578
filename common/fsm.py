"""Helpers for the django-fsm-2 models of every app (orders, tickets): button labels and
thread-safe updates of a caller's in-memory copy.

Never `refresh_from_db()` on these models: django-fsm's version flips the status field's
class-wide `protected` flag while it reloads, so two threads doing it at once make each other
fail with "Direct status modification is not allowed" (seen under 6- and 20-thread tests).
Writing the instance's `__dict__` skips the protected descriptor on that one instance only.
"""

from django.db import models


def transition_label(model: type[models.Model], name: str) -> str:
    """The button label of a transition (its custom["label"]), e.g. "Ship return"."""
    for t in getattr(model, name)._django_fsm.transitions.values():
        if t.custom.get("label"):
            return str(t.custom["label"])
    return name.replace("_", " ").capitalize()


def field_values(instance: models.Model) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def set_field_values(instance: models.Model, values: dict) -> None:
    """Put `values` (from `field_values`) back into the instance, status included; cached
    related objects that no longer match are forgotten, to be loaded again when asked for."""
    instance._prefetched_objects_cache = {}
    instance.__dict__.update(values)
    for field in instance._meta.concrete_fields:
        if field.is_relation and field.is_cached(instance):
            cached = field.get_cached_value(instance)
            if getattr(cached, "pk", None) != values.get(field.attname):
                field.delete_cached_value(instance)
    instance._update_initial_state()


def copy_state(*, into: models.Model, source: models.Model) -> None:
    """Bring a caller's copy up to date with the copy a service locked and saved (or a fresh read)."""
    set_field_values(into, field_values(source))
    for field in into._meta.concrete_fields:
        if field.is_relation and field.is_cached(source) and not field.is_cached(into):
            field.set_cached_value(into, field.get_cached_value(source))
    for relation in into._meta.related_objects:
        if relation.is_cached(into):
            relation.delete_cached_value(into)
    into._state.adding = False
    into._state.db = source._state.db
