"""Backups are proven by restoring them: the drill restores a pg_dump into a fresh database and
checks migrations, the ledger and every stored file; the bucket copies out and back."""

import os
import subprocess
import tarfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection

from ops.database import database_url
from ops.restore import missing_files
from orders.models import Order
from qc.models import QCPhoto
from tests.factories import paid_order
from tests.qc.conftest import failed_round
from tests.s3 import BUCKET, s3_client
from tests.services import need, pg_tools_for

ROOT = Path(__file__).resolve().parents[2]


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_restore_drill_passes_a_good_backup_and_names_a_missing_photo(settings, tmp_path, shopper, inspector):
    tools = pg_tools_for(connection.pg_version // 10000)
    need(tools is not None, "pg_dump and pg_restore of the server's version")
    order = paid_order(shopper=shopper, status=Order.Status.AWAITING_QC)
    failed_round(order, inspector, photos=2)
    photo = QCPhoto.objects.filter(inspection__order=order).first()

    # The backup, as the README says: pg_dump's custom format, and a tar of MEDIA_ROOT.
    dump = tmp_path / "site.pgdump"
    env = {**os.environ, "DJANGO_READ_DOT_ENV": "false", "PG_BIN": str(tools)}
    dumped = run([str(tools / "pg_dump"), "-Fc", "-f", str(dump), database_url(connection.settings_dict)], env)
    assert dumped.returncode == 0, dumped.stderr
    with tarfile.open(tmp_path / "media.tgz", "w:gz") as archive:
        archive.add(settings.MEDIA_ROOT, arcname=".")

    # Restored on "another machine": the photos unpacked elsewhere, the database fresh.
    restored_media = tmp_path / "restored-media"
    with tarfile.open(tmp_path / "media.tgz") as archive:
        archive.extractall(restored_media, filter="data")
    env |= {"DATABASE_URL": database_url(connection.settings_dict), "MEDIA_ROOT": str(restored_media)}
    # Database names are the server's: named after this run's test database, two suites on one
    # server (CI and a developer, or pytest-xdist workers) never drill into the same one.
    good, broken = (f"drill_{kind}_{connection.settings_dict['NAME']}" for kind in ("good", "broken"))
    drill = run(["bin/restore-drill", str(dump), "--database", good], env)
    print(drill.stdout)
    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert "OK      migrations: every migration applied" in drill.stdout
    assert "OK      ledger: ledger_check clean" in drill.stdout
    assert "OK      files: 8 of 8 stored files present" in drill.stdout  # 2 photos: original + 3 renditions

    (restored_media / photo.display.name).unlink()
    drill = run(["bin/restore-drill", str(dump), "--database", broken], env)
    print(drill.stdout)
    assert drill.returncode == 1
    assert "FAILED  files: 7 of 8 stored files present" in drill.stdout
    where = f"QC photo {photo.pk} (order {order.number}, round 1): {photo.display.name} is missing"
    assert where in drill.stdout
    assert "The restored copy failed verification" in drill.stderr

    # Neither drill left its database behind.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname IN (%s, %s)", [good, broken])
        assert cursor.fetchone() == (0,)


def test_the_drill_refuses_what_is_not_a_backup(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a dump")
    drill = run(["bin/restore-drill", str(junk)], {**os.environ, "DJANGO_READ_DOT_ENV": "false"})
    assert drill.returncode == 1
    assert "Not a PostgreSQL custom-format dump" in drill.stderr


@pytest.mark.django_db
def test_the_bucket_copies_to_a_folder_and_back(s3_storage, tmp_path, shopper, inspector):
    order = paid_order(shopper=shopper, status=Order.Status.AWAITING_QC)
    failed_round(order, inspector, photos=1)
    photo = QCPhoto.objects.get(inspection__order=order)
    assert missing_files() == (4, [])
    names = photo.stored_names()
    default_storage.save("elsewhere/readme.txt", ContentFile(b"not a photo"))

    backup = tmp_path / "bucket"
    call_command("bucket_copy", "download", str(backup), "--prefix", f"qc/{photo.key}/")
    assert sorted(str(p.relative_to(backup)) for p in backup.rglob("*") if p.is_file()) == sorted(names)
    assert (backup / photo.original.name).read_bytes() == default_storage.open(photo.original.name).read()

    # The bucket loses a rendition; the check sees it, and the copy back restores it as it was.
    s3 = s3_client(s3_storage)
    s3.delete_object(Bucket=BUCKET, Key=photo.thumb.name)
    assert missing_files()[1] == [
        f"QC photo {photo.pk} (order {order.number}, round 1): {photo.thumb.name} is missing"
    ]
    call_command("bucket_copy", "upload", str(backup))
    assert missing_files() == (4, [])
    restored = s3.get_object(Bucket=BUCKET, Key=photo.thumb.name)
    assert restored["ContentType"] == "image/jpeg"
    assert restored["Body"].read() == (backup / photo.thumb.name).read_bytes()
