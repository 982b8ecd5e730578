"""The restore drill: a backup is only a backup once it has been restored and checked."""

import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from ops.database import database_url, libpq_env

PG_MAGIC, SQLITE_MAGIC = b"PGDMP", b"SQLite format 3\x00"


class Command(BaseCommand):
    help = (
        "Restore a database backup into a FRESH database and verify it (manage.py verify_restore: migrations, "
        "ledger_check, every stored file present in the configured storage). A PostgreSQL custom-format dump "
        "(pg_dump -Fc) is restored with pg_restore into a new database on the server of DATABASE_URL, which is "
        "dropped afterwards unless --keep; an SQLite backup (.backup) is checked on a copy. Exit 1 on any problem."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("backup", type=Path, help="pg_dump -Fc file, or an SQLite backup file")
        parser.add_argument("--database", help="name of the fresh database (default: restore_drill_<time>)")
        parser.add_argument("--keep", action="store_true", help="keep the restored database for inspection")

    def handle(self, *args, backup: Path, database: str | None, keep: bool, **options) -> None:
        try:
            magic = backup.open("rb").read(16)
        except OSError as error:
            raise CommandError(f"Cannot read the backup: {error}") from None
        if magic.startswith(SQLITE_MAGIC):
            self._drill_sqlite(backup)
        elif magic.startswith(PG_MAGIC):
            self._drill_postgresql(backup, database or f"restore_drill_{datetime.now():%Y%m%d_%H%M%S}", keep)
        else:
            raise CommandError("Not a PostgreSQL custom-format dump (pg_dump -Fc) nor an SQLite database.")

    def _drill_postgresql(self, backup: Path, name: str, keep: bool) -> None:
        db = settings.DATABASES["default"]
        if connection.vendor != "postgresql":
            raise CommandError("A PostgreSQL dump is restored next to a PostgreSQL DATABASE_URL.")
        quoted = connection.ops.quote_name(name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone():
                raise CommandError(f"Database {name} exists: the drill restores into a fresh database only.")
            cursor.execute(f"CREATE DATABASE {quoted}")
        self.stdout.write(f"Restoring {backup} into the new database {name}")
        try:
            restore = subprocess.run(  # noqa: S603 - an argument list, no shell
                [_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--dbname", name,
                 str(backup)],
                env={**os.environ, **libpq_env(db)},
                capture_output=True,
                text=True,
            )  # fmt: skip
            if restore.returncode != 0:
                raise CommandError(f"pg_restore failed:\n{restore.stderr.strip()}", returncode=1)
            self._verify(database_url(db, name=name))
        finally:
            if keep:
                self.stdout.write(f"Kept the restored database {name}")
            else:
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP DATABASE IF EXISTS {quoted}")

    def _drill_sqlite(self, backup: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="restore-drill-") as folder:
            copy = Path(folder) / "db.sqlite3"
            shutil.copyfile(backup, copy)
            self._verify(f"sqlite:///{copy}")

    def _verify(self, url: str) -> None:
        """manage.py verify_restore in a process of its own, on the restored database."""
        manage = Path(settings.BASE_DIR) / "manage.py"
        result = subprocess.run(  # noqa: S603 - an argument list, no shell
            [sys.executable, str(manage), "verify_restore"], env={**os.environ, "DATABASE_URL": url}
        )
        if result.returncode != 0:
            raise CommandError("The restored copy failed verification (see above).", returncode=1)
        self.stdout.write(self.style.SUCCESS("Restore drill passed."))


def _pg_tool(name: str) -> str:
    """PG_BIN/<name> when PG_BIN is set (tools as new as the server that made the dump), else PATH."""
    folder = os.environ.get("PG_BIN")
    return str(Path(folder) / name) if folder else name
