"""/healthz and /readyz: what a load balancer sees, whatever the host, scheme or session."""

import json
import socket
import threading
import time

import pytest

from ops import health

# A load balancer calls a node by its own address, over plain HTTP.
PROBE = {"HTTP_HOST": "10.0.3.7:8000", "REMOTE_ADDR": "10.0.3.1"}


@pytest.fixture(autouse=True)
def production_like(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["qc.example.com"]


@pytest.fixture
def fresh_readiness(monkeypatch):
    """Forget that this process saw every migration applied, and wait for checks left running."""
    monkeypatch.setattr(health, "_migrated", False)
    yield
    assert health._busy.acquire(timeout=10), "a readiness check never finished"
    health._busy.release()


def test_healthz_answers_without_the_database(client):
    # No database access is allowed in this test: healthz must not need one.
    response = client.get("/healthz", **PROBE)
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response


def test_other_pages_still_refuse_an_unknown_host_and_redirect_to_https(client):
    assert client.get("/accounts/login/", **PROBE).status_code == 400
    response = client.get("/accounts/login/", HTTP_HOST="qc.example.com")
    assert response.status_code == 301
    assert response["Location"] == "https://qc.example.com/accounts/login/"


def test_probes_refuse_writes(client):
    assert client.post("/healthz", **PROBE).status_code == 405
    assert client.post("/readyz", **PROBE).status_code == 405


@pytest.mark.django_db
def test_readyz_is_ok_when_every_dependency_is(client, fresh_readiness):
    response = client.get("/readyz", **PROBE)
    assert response.status_code == 200
    assert json.loads(response.content) == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "broker": "ok", "storage": "ok"},
    }


@pytest.mark.django_db
def test_readyz_says_which_dependency_fails_and_nothing_more(client, fresh_readiness, broker_at, settings, tmp_path):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there any more
    broker_at(f"redis://127.0.0.1:{port}/0")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = blocker

    response = client.get("/readyz", **PROBE)

    assert response.status_code == 503
    assert json.loads(response.content) == {
        "status": "unavailable",
        "checks": {"database": "ok", "migrations": "ok", "broker": "fail", "storage": "fail"},
    }
    assert str(port).encode() not in response.content and b"127.0.0.1" not in response.content


@pytest.mark.django_db
def test_readyz_reports_unapplied_migrations(client, fresh_readiness, settings):
    settings.MIGRATION_MODULES = {"ops": "tests.ops.unapplied_migrations"}
    response = client.get("/readyz", **PROBE)
    assert response.status_code == 503
    assert json.loads(response.content)["checks"]["migrations"] == "fail"


@pytest.mark.django_db
def test_readyz_answers_in_time_when_the_broker_hangs(client, fresh_readiness, broker_at, settings):
    """A broker that accepts connections and never answers: the probe answers "timeout" within
    READYZ_TIMEOUT_SECONDS, and the next probe does not pile another thread on the hung one."""
    settings.READYZ_TIMEOUT_SECONDS = 0.5
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    broker_at(f"redis://127.0.0.1:{listener.getsockname()[1]}/0")
    try:
        started = time.monotonic()
        first = client.get("/readyz", **PROBE)
        second = client.get("/readyz", **PROBE)
        elapsed = time.monotonic() - started
    finally:
        listener.close()
    print(f"\ntwo probes against a hung broker answered in {elapsed:.2f} s (bound 0.5 s each)")
    assert first.status_code == second.status_code == 503
    assert json.loads(first.content)["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "broker": "timeout",
        "storage": "timeout",
    }
    assert set(json.loads(second.content)["checks"].values()) == {"timeout"}
