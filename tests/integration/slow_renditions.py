"""Loaded only into a test worker (`celery worker --include tests.integration.slow_renditions`):
the rendition job writes a line to SLOW_RENDITIONS_LOG when it starts, then blocks while the
file SLOW_RENDITIONS_HOLD exists, so a test can kill the worker in the middle of it."""

import os
import time
from pathlib import Path

from qc import services

_make_renditions = services.make_renditions


def _held_make_renditions(data: bytes):
    with Path(os.environ["SLOW_RENDITIONS_LOG"]).open("a") as log:
        log.write(f"started in {os.getpid()}\n")
    while Path(os.environ["SLOW_RENDITIONS_HOLD"]).exists():
        time.sleep(0.05)
    return _make_renditions(data)


services.make_renditions = _held_make_renditions
