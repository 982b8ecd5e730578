from celery import shared_task

from common.tasks import RETRY_TRANSIENT, RUN_AGAIN_IF_LOST

from . import services


@shared_task(**RETRY_TRANSIENT, **RUN_AGAIN_IF_LOST)  # a second run finds nothing to do
def autoclose_resolved_tickets() -> int:
    """Close resolved tickets after the quiet period; a second run finds nothing to do."""
    return services.ticket_autoclose_resolved()
