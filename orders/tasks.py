import logging

from celery import shared_task

from common.tasks import RETRY_TRANSIENT, RUN_AGAIN_IF_LOST

from . import selectors, services

logger = logging.getLogger(__name__)


def _each(order_ids: list[int], job) -> int:
    """Run `job` per order; one order's failure is logged and does not stop the others."""
    done = 0
    for order_id in order_ids:
        try:
            done += bool(job(order_id=order_id))
        except Exception:
            logger.exception("Deadline job %s failed for order %s", job.__name__, order_id)
    return done


@shared_task(**RETRY_TRANSIENT, **RUN_AGAIN_IF_LOST)  # one reminder per order, whatever the runs
def remind_due_decisions() -> int:
    """Beat job: one reminder per QC-failed order, QC_REMINDER_HOURS before its deadline."""
    return _each(selectors.orders_due_for_reminder(), services.order_remind_decision)


@shared_task(**RETRY_TRANSIENT, **RUN_AGAIN_IF_LOST)  # an expired order is expired once
def expire_due_decisions() -> int:
    """Beat job: orders whose decision window passed are kept and stored."""
    return _each(selectors.orders_with_expired_decision(), services.order_expire_due_decision)
