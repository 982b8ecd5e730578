from celery import shared_task

from cssbuy_qc.celery import RETRY_TRANSIENT

from . import services


@shared_task(**RETRY_TRANSIENT)
def autoclose_resolved_tickets() -> int:
    """Close resolved tickets after the quiet period; a second run finds nothing to do."""
    return services.ticket_autoclose_resolved()
