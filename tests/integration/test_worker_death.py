"""A worker killed in the middle of a task: the task is delivered again, to another worker,
once the broker's visibility timeout has passed, and completes once."""

import os
import signal
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings

from common import publishing
from orders.models import Order
from qc.models import QCPhoto
from qc.services import inspection_open
from tests.factories import InspectorFactory, OrderFactory
from tests.integration.conftest import worker
from tests.integration.test_outages import wait_until
from tests.qc.conftest import add_photos

pytestmark = pytest.mark.integration
VISIBILITY_TIMEOUT = 2  # seconds; production's is CELERY_VISIBILITY_TIMEOUT (900)


def test_a_rendition_job_survives_a_sigkill_of_its_worker_and_runs_to_the_end_once(fresh_broker, tmp_path):
    inspector = InspectorFactory()
    inspection = inspection_open(order=OrderFactory(status=Order.Status.AWAITING_QC), by=inspector)
    [photo] = add_photos(inspection, 1, by=inspector, ready=False)  # its job is published after commit
    publishing.wait_idle()
    hold, started = tmp_path / "hold", tmp_path / "started"
    hold.touch()
    env = {
        "CELERY_BROKER_URL": fresh_broker,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SLOW_RENDITIONS_HOLD": str(hold),
        "SLOW_RENDITIONS_LOG": str(started),
    }
    options = ("--include", "tests.integration.slow_renditions")

    with worker(queues="images", log=tmp_path / "first.log", env=env, options=options) as first:
        assert wait_until(lambda: started.exists()), "the job never started"
        os.killpg(first.pid, signal.SIGKILL)  # in the middle of the job
        first.wait()
    hold.unlink()
    broker = redis.Redis.from_url(fresh_broker)
    # Taken and never acknowledged; back in the queue once older than the visibility timeout.
    assert broker.zcard("unacked_index") == 1
    assert wait_until(
        lambda: time.time() - broker.zrange("unacked_index", 0, 0, withscores=True)[0][1] > VISIBILITY_TIMEOUT
    )

    second_log = tmp_path / "second.log"
    with worker(queues="images", log=second_log, env=env, options=options):
        done = wait_until(lambda: QCPhoto.objects.get(pk=photo.pk).is_ready)

    assert done, f"the job was not delivered again:\n{second_log.read_text()}"
    assert len(started.read_text().splitlines()) == 2  # killed once, then run to the end
    assert second_log.read_text().count("succeeded") == 1
    assert broker.llen("images") == 0 and broker.zcard("unacked_index") == 0
    photo.refresh_from_db()
    folder = Path(settings.MEDIA_ROOT) / photo.original.name.rsplit("/", 1)[0]
    assert sorted(p.name for p in folder.iterdir()) == ["display.jpg", "full.jpg", "original.jpg", "thumb.jpg"]
