"""Helpers for the django-fsm-2 models of every app (orders, tickets): what the buttons say and ask.

Services never call `refresh_from_db()` on these models: django-fsm's version flips the status
field's class-wide `protected` flag while it reloads, so two threads doing it at once make each
other fail with "Direct status modification is not allowed" (seen under 6- and 20-thread tests).
They read the row again with a query (the unit of work's locked read) and return that row.
"""

from django.db import models


def _custom(model: type[models.Model], name: str, key: str):
    """The `custom[key]` of transition `name` (the first of its sources that declares it)."""
    for t in model._meta.get_field("status").get_all_transitions(model):
        if t.name == name and key in t.custom:
            return t.custom[key]
    return None


def transition_label(model: type[models.Model], name: str) -> str:
    """The button label of a transition (its custom["label"]), e.g. "Ship return"."""
    label = _custom(model, name, "label")
    return str(label) if label else name.replace("_", " ").capitalize()


def transition_needs(model: type[models.Model], name: str) -> tuple[str, ...]:
    """What the staff form of a transition asks for (its custom["needs"]): ("tracking",), ("note",)..."""
    return tuple(_custom(model, name, "needs") or ())
