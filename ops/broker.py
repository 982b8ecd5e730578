"""What the probes and metrics ask the Celery broker, each bounded by short timeouts."""

from celery import current_app
from kombu.exceptions import ChannelError

# Transports whose queues can be measured cheaply (a few LLENs per queue).
MEASURED_TRANSPORTS = frozenset({"redis", "rediss"})


def broker_reachable(*, timeout: float) -> bool:
    """Connect to the broker once (no retries beyond one); False on any failure."""
    try:
        with current_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
        return True
    except Exception:  # noqa: BLE001 - whatever the transport raises, the broker is not usable
        return False


def queue_names() -> list[str]:
    """Every queue tasks go to: the default one, the declared ones, those named by routes in the
    settings and by the tasks themselves (`@shared_task(queue=...)`)."""
    conf = current_app.conf
    names = {conf.task_default_queue}
    names.update(queue.name for queue in conf.task_queues or ())
    routes = conf.task_routes
    if isinstance(routes, dict):
        names.update(route["queue"] for route in routes.values() if isinstance(route, dict) and "queue" in route)
    names.update(task.queue for task in current_app.tasks.values() if getattr(task, "queue", None))
    return sorted(names)


def queue_lengths() -> dict[str, int] | None:
    """Messages waiting in each queue, or None when the transport is not one we measure.

    Kombu's passive declare counts every priority sub-queue of a Redis list; a queue that
    holds nothing does not exist in Redis and counts 0. Raises when the broker is unreachable.
    """
    with current_app.connection_for_read() as connection:
        if connection.transport_cls not in MEASURED_TRANSPORTS:
            return None
        channel = connection.default_channel
        lengths = {}
        for name in queue_names():
            try:
                lengths[name] = channel.queue_declare(queue=name, passive=True).message_count
            except ChannelError:
                lengths[name] = 0
        return lengths
