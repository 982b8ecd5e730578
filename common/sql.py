"""Statements written out from the models, for the few writes that run for every payment.

Compiling an ORM query costs more CPU than PostgreSQL spends running a small one: paying an
order runs about ten statements, and building them was most of the request's own CPU. These
helpers write the text once per process and shape (from the models' tables and columns; only
names and placeholders go into it, hence the noqa: S608 below, every value is a parameter) and
put values through the fields' own conversions both ways (`pre_save` and `get_db_prep_save` on
the way in, the database's and the field's converters on the way out), so the rows written and
the instances read are those the ORM would write and read. Plain SQL that SQLite (`make run`)
runs too, without the row locks it has no use for. No model signals are sent; nothing in this
project listens to them.
"""

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[models.Model], name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def placeholders(count: int) -> str:
    return ", ".join(["%s"] * count)


@functools.cache
def insert_sql(
    vendor: str, model: type[models.Model], names: tuple[str, ...], rows: int = 1, conflict: str | None = None
) -> str:
    """INSERT of `rows` rows of these fields, returning each new id; with `conflict`, a row
    whose `conflict` value exists already is skipped (ON CONFLICT DO NOTHING) and returns none."""
    columns = ", ".join(column(model, name) for name in names)
    values = ", ".join([f"({placeholders(len(names))})"] * rows)
    sql = f"INSERT INTO {table(model)} ({columns}) VALUES {values}"  # noqa: S608
    if conflict is not None:
        sql += f" ON CONFLICT ({column(model, conflict)}) DO NOTHING"
    return f"{sql} RETURNING {column(model, model._meta.pk.name)}"


def written_fields(model: type[models.Model], *, besides: Sequence[str] = ()) -> list[models.Field]:
    """The fields `save()` writes in a new row (all but the primary key), but for `besides`."""
    return [field for field in model._meta.concrete_fields if not field.primary_key and field.name not in besides]


def values_to_write(instance: models.Model, fields: Sequence[models.Field], *, adding: bool = True) -> list[Any]:
    """What `save()` would send for these fields (defaults set, `pre_save` run: `auto_now_add`
    for a new row, `auto_now` for both)."""
    return [field.get_db_prep_save(field.pre_save(instance, adding), connection) for field in fields]


def saved(instance: models.Model, pk: int) -> models.Model:
    """Mark a row written by these statements as saved, as `save()` does."""
    instance.pk = pk
    instance._state.adding, instance._state.db = False, connection.alias
    return instance


def insert(instance: models.Model) -> models.Model:
    """Write a new row as `instance.save()` would (its defaults, `pre_save`: `auto_now_add`),
    with a statement written once per model; the instance gets its id."""
    model, fields = type(instance), written_fields(type(instance))
    sql = insert_sql(connection.vendor, model, tuple(field.name for field in fields))
    with connection.cursor() as cursor:
        cursor.execute(sql, values_to_write(instance, fields))
        (pk,) = cursor.fetchone()
    return saved(instance, pk)


@functools.cache
def update_sql(vendor: str, model: type[models.Model], names: tuple[str, ...], where: tuple[str, ...]) -> str:
    assignments = ", ".join(f"{column(model, name)} = %s" for name in names)
    conditions = " AND ".join(f"{column(model, name)} = %s" for name in (model._meta.pk.name, *where))
    return f"UPDATE {table(model)} SET {assignments} WHERE {conditions}"  # noqa: S608


def update(instance: models.Model, names: Sequence[str], *, where: dict[str, Any]) -> bool:
    """Write these fields of `instance`'s row as `save(update_fields=names)` would, only while
    the row's `where` fields still hold the values given (a status read under the row's lock);
    whether it did. The instance's record of what was read (`_loaded_values`) follows."""
    meta = instance._meta
    fields = [meta.get_field(name) for name in names]
    values = [*values_to_write(instance, fields, adding=False), instance.pk]
    values += [meta.get_field(name).get_db_prep_value(value, connection) for name, value in where.items()]
    with connection.cursor() as cursor:
        cursor.execute(update_sql(connection.vendor, type(instance), tuple(names), tuple(where)), values)
        written = cursor.rowcount == 1
    loaded = getattr(instance, "_loaded_values", None)
    if written and loaded is not None:
        loaded.update({field.attname: getattr(instance, field.attname) for field in fields})
    return written


class _Reading:
    """How one model's columns come back from the database: the ORM's conversions per field."""

    def __init__(self, model: type[models.Model]):
        self.model, self.fields = model, list(model._meta.concrete_fields)
        self.attnames = [field.attname for field in self.fields]
        self.columns = []
        for field in self.fields:
            col = field.get_col(model._meta.db_table)
            self.columns.append((col, [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)]))

    def instance(self, values: Sequence[Any]) -> models.Model:
        converted = []
        for (col, converters), value in zip(self.columns, values, strict=True):
            for convert in converters:
                value = convert(value, col, connection)
            converted.append(value)
        return self.model.from_db(connection.alias, self.attnames, converted)


@functools.cache
def _locked_select(vendor: str, model: type[models.Model], related: str) -> tuple[str, _Reading, _Reading]:
    foreign_key = model._meta.get_field(related)
    own, theirs = _Reading(model), _Reading(foreign_key.related_model)
    other = theirs.model
    columns = [f"{table(model)}.{column(model, f.name)}" for f in own.fields]
    columns += [f"{table(other)}.{column(other, f.name)}" for f in theirs.fields]
    join = "LEFT OUTER JOIN" if foreign_key.null else "INNER JOIN"
    sql = (
        f"SELECT {', '.join(columns)} FROM {table(model)} {join} {table(other)} "  # noqa: S608
        f"ON ({table(model)}.{column(model, related)} = {table(other)}.{column(other, other._meta.pk.name)}) "
        f"WHERE {table(model)}.{column(model, model._meta.pk.name)} = %s"
    )
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE" + (f" OF {table(model)}" if connection.features.has_select_for_update_of else "")
    return sql, own, theirs


def locked_with(model: type[models.Model], pk: int, *, related: str) -> models.Model | None:
    """The row `pk` locked until the transaction ends (its own row only), with the row its
    foreign key `related` points at, as `model.objects.select_for_update(of=("self",))
    .select_related(related).filter(pk=pk).first()` reads them; None if there is no such row."""
    sql, own, theirs = _locked_select(connection.vendor, model, related)
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    instance = own.instance(row[: len(own.fields)])
    values = row[len(own.fields) :]
    model._meta.get_field(related).set_cached_value(instance, None if values[0] is None else theirs.instance(values))
    return instance
