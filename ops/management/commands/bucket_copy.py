"""Copy the photo bucket to a directory (a backup) and a directory back to the bucket (a restore)."""

import mimetypes
from pathlib import Path

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Copy the objects of the configured bucket (AWS_STORAGE_BUCKET_NAME) under a prefix to a directory "
        "(download), or a directory's files to the bucket (upload). Files already there with the same size "
        "are skipped, so running it again copies only what is new."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("direction", choices=["download", "upload"])
        parser.add_argument("directory", type=Path)
        parser.add_argument("--prefix", default="", help="only keys starting with this, e.g. qc/")

    def handle(self, *args, direction: str, directory: Path, prefix: str, **options) -> None:
        bucket = getattr(default_storage, "bucket", None)
        if bucket is None:
            raise CommandError("Photos are not in a bucket: back up MEDIA_ROOT with tar or rsync (see the README).")
        location = default_storage.location.strip("/")
        root = f"{location}/" if location else ""
        in_bucket = {summary.key: summary.size for summary in bucket.objects.filter(Prefix=root + prefix)}
        directory = directory.resolve()
        copied = skipped = 0
        if direction == "download":
            for key, size in sorted(in_bucket.items()):
                target = (directory / key[len(root) :]).resolve()
                if not target.is_relative_to(directory):
                    raise CommandError(f"Refusing the key {key!r}: it points outside {directory}.")
                if target.is_file() and target.stat().st_size == size:
                    skipped += 1
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                bucket.download_file(key, str(target))
                copied += 1
        else:
            if not directory.is_dir():
                raise CommandError(f"{directory} is not a directory.")
            for path in sorted(p for p in directory.rglob("*") if p.is_file()):
                name = path.relative_to(directory).as_posix()
                if not name.startswith(prefix):
                    continue
                key = root + name
                if in_bucket.get(key) == path.stat().st_size:
                    skipped += 1
                    continue
                bucket.upload_file(str(path), key, ExtraArgs=_object_args(name))
                copied += 1
        self.stdout.write(self.style.SUCCESS(f"{direction}: {copied} copied, {skipped} already there"))


def _object_args(name: str) -> dict:
    """What django-storages would have stored the object with: its ACL, object parameters
    (Cache-Control) and content type, so restored photos are served like the originals."""
    args = dict(default_storage.object_parameters)
    if default_storage.default_acl:
        args["ACL"] = default_storage.default_acl
    content_type, _encoding = mimetypes.guess_type(name)
    if content_type:
        args["ContentType"] = content_type
    return args
