"""What a restored copy of the site must satisfy before anyone relies on it: every migration
applied, a clean ledger, and every file a row refers to present in storage."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from . import selectors
from .ledger import ledger_violations


@dataclass
class Verdict:
    check: str
    summary: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def unapplied_migrations() -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def _present_in_bucket(names: Iterable[str]) -> set[str] | None:
    """The names found by listing the bucket once (a HEAD per file would take hours on a big
    one); None when the storage is not a bucket."""
    bucket = getattr(default_storage, "bucket", None)
    if bucket is None:
        return None
    location = default_storage.location.strip("/")
    prefix = f"{location}/" if location else ""
    keys = {summary.key for summary in bucket.objects.filter(Prefix=prefix)}
    return {name for name in names if f"{prefix}{name}" in keys}


def missing_files() -> tuple[int, list[str]]:
    """How many stored files rows refer to, and a line for each one storage lacks."""
    files = list(selectors.stored_file_names())
    present = _present_in_bucket(name for _what, name in files)
    missing = [
        f"{what}: {name} is missing"
        for what, name in files
        if not (name in present if present is not None else default_storage.exists(name))
    ]
    return len(files), missing


def verify() -> list[Verdict]:
    pending = unapplied_migrations()
    violations = ledger_violations()
    checked, missing = missing_files()
    return [
        Verdict("migrations", "every migration applied" if not pending else f"{len(pending)} not applied",
                [f"not applied: {name}" for name in pending]),
        Verdict("ledger", "ledger_check clean" if not violations else f"{len(violations)} violation(s)", violations),
        Verdict("files", f"{checked - len(missing)} of {checked} stored files present", missing),
    ]  # fmt: skip
