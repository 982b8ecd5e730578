from celery import shared_task

from . import services


@shared_task(acks_late=True, reject_on_worker_lost=True)  # a second run finds nothing to do
def autoclose_resolved_tickets() -> int:
    """Close resolved tickets after the quiet period; a second run finds nothing to do."""
    return services.ticket_autoclose_resolved()
