from celery import shared_task

from . import selectors, services


@shared_task
def remind_due_decisions() -> int:
    """Beat job: one reminder per QC-failed order, QC_REMINDER_HOURS before its deadline."""
    return sum(services.order_remind_decision(order_id=pk) for pk in selectors.orders_due_for_reminder())


@shared_task
def expire_due_decisions() -> int:
    """Beat job: orders whose decision window passed are kept and stored."""
    return sum(services.order_expire_due_decision(order_id=pk) for pk in selectors.orders_with_expired_decision())
