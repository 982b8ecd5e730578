"""Request ids and log lines: one per request and per task, JSON when LOG_FORMAT=json."""

import io
import json
import logging

import pytest

from cssbuy_qc.celery import app as celery_app
from ops import request_id
from ops.log import JsonFormatter, RequestIdFilter
from ops.tasks import check_ledger


@pytest.fixture
def json_lines():
    """What the `console` handler writes in JSON mode, one parsed object per line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


@pytest.mark.django_db
def test_a_sane_request_id_is_kept_and_echoed(client):
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="lb-7f3a.2:9")
    assert response["X-Request-ID"] == "lb-7f3a.2:9"


@pytest.mark.django_db
@pytest.mark.parametrize("header", [None, "", "two words", "x" * 200, "id\nInjected: header", "<script>"])
def test_otherwise_a_new_one_is_made(client, header):
    extra = {} if header is None else {"HTTP_X_REQUEST_ID": header}
    response = client.get("/accounts/login/", **extra)
    made = response["X-Request-ID"]
    assert made != header and len(made) == 32 and int(made, 16) >= 0


@pytest.mark.django_db
def test_one_json_line_per_request_with_the_user_and_the_request_id(client, shopper, json_lines):
    client.force_login(shopper)
    client.get("/orders/", HTTP_X_REQUEST_ID="req-orders-1")
    client.logout()
    client.get("/accounts/login/?next=/orders/", HTTP_X_REQUEST_ID="req-login-2")

    lines = [line for line in json_lines() if line["logger"] == "cssbuy.request"]
    assert [(line["request_id"], line["method"], line["path"], line["status"]) for line in lines] == [
        ("req-orders-1", "GET", "/orders/", 200),
        ("req-login-2", "GET", "/accounts/login/", 200),
    ]
    assert lines[0]["user_id"] == shopper.pk and lines[1]["user_id"] is None
    assert lines[0]["route"] == "orders/" and lines[0]["db_queries"] > 0
    assert all(isinstance(line["duration_ms"], float) and line["time"].endswith("+00:00") for line in lines)


def test_records_written_during_a_request_carry_its_id(json_lines):
    token = request_id.activate("req-inside")
    try:
        logging.getLogger("orders.services").warning("something happened", extra={"order": "Q123"})
    finally:
        request_id.deactivate(token)
    logging.getLogger("orders.services").warning("outside")
    inside, outside = [line for line in json_lines() if line["logger"] == "orders.services"]
    assert inside["request_id"] == "req-inside" and inside["order"] == "Q123"
    assert inside["message"] == "something happened" and inside["level"] == "WARNING"
    assert outside["request_id"] is None


def test_a_traceback_stays_inside_its_json_line(json_lines):
    try:
        raise ValueError("broken")
    except ValueError:
        logging.getLogger("qc.services").exception("failed")
    (line,) = [line for line in json_lines() if line["logger"] == "qc.services"]
    assert line["exception"].startswith("Traceback") and "ValueError: broken" in line["exception"]


def test_a_task_published_in_a_request_carries_its_id():
    with celery_app.connection_for_write() as connection:
        connection.SimpleQueue("default").clear()  # what other tests left in the in-memory broker
    token = request_id.activate("req-publish-3")
    try:
        check_ledger.apply_async()
    finally:
        request_id.deactivate(token)
    with celery_app.connection_for_read() as connection:
        message = connection.SimpleQueue("default").get(timeout=5)
        message.ack()
    assert message.headers["request_id"] == "req-publish-3"
    assert message.headers["task"] == "ops.tasks.check_ledger"


@pytest.mark.django_db
def test_one_json_line_per_task_under_the_request_id(json_lines):
    token = request_id.activate("req-task-4")
    try:
        check_ledger.apply()
    finally:
        request_id.deactivate(token)
    check_ledger.apply(task_id="beat-run-5")
    first, second = [line for line in json_lines() if line["logger"] == "cssbuy.task"]
    assert (first["task"], first["outcome"], first["request_id"]) == (
        "ops.tasks.check_ledger",
        "SUCCESS",
        "req-task-4",
    )
    # A task published by no request (a beat job) runs under its own id, which its tasks inherit.
    assert (second["task_id"], second["request_id"]) == ("beat-run-5", "beat-run-5")
    assert isinstance(first["duration_ms"], float)
