"""Emptying and refilling the test database around transactional tests, quickly.

After a transactional test Django empties every table with one TRUNCATE, which gives each table
new files on PostgreSQL (0.1–0.3 s a test here), and the serialized rollback then saves the
rows migrations wrote (staff groups, permissions, platform accounts) back one object at a time
(about 0.1 s). On PostgreSQL, connected as a superuser as the test servers here are, both take
about 10 ms instead: DELETE with the triggers off (foreign keys and the ledger's guards are
triggers), then COPY of the rows as they were once the database was set up, in place of
whatever those tables hold. Anywhere else Django's own way stays.
"""

from django.db import transaction

_TRIGGERS_OFF = "SET LOCAL session_replication_role = replica"  # until the transaction ends


def install(connection) -> None:
    """Replace, on this connection only, how Django flushes the test database after a
    transactional test and how it restores the serialized rows before one."""
    if connection.vendor != "postgresql" or not _superuser(connection):
        return
    quote = connection.ops.quote_name
    snapshot = _copy_out(
        connection,
        [
            quote(table)
            for table in connection.introspection.django_table_names(only_existing=True, include_views=False)
        ],
    )
    django_flush = connection.ops.sql_flush
    django_deserialize = connection.creation.deserialize_db_from_string

    def sql_flush(style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences:  # a test that asked for its ids to start at 1 again
            return django_flush(style, tables, reset_sequences=True, allow_cascade=allow_cascade)
        return [_TRIGGERS_OFF, *(f"DELETE FROM {quote(table)}" for table in tables)]  # noqa: S608

    def deserialize_db_from_string(data: str) -> None:
        if data is not getattr(connection, "_test_serialized_contents", None):
            django_deserialize(data)
            return
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(_TRIGGERS_OFF)
            for table, rows in snapshot.items():
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - a quoted table name
                with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                    copy.write(rows)

    connection.ops.sql_flush = sql_flush
    connection.creation.deserialize_db_from_string = deserialize_db_from_string


def _superuser(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser')")
        return cursor.fetchone()[0] == "on"


def _copy_out(connection, tables: list[str]) -> dict[str, bytes]:
    """Each table's rows in COPY's text format, for the tables that have any."""
    snapshot = {}
    with connection.cursor() as cursor:
        for table in tables:
            with cursor.copy(f"COPY {table} TO STDOUT") as copy:
                rows = b"".join(bytes(block) for block in copy)
            if rows:
                snapshot[table] = rows
    return snapshot
