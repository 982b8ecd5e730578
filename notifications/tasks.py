from celery import shared_task

from common.tasks import RETRY_TRANSIENT, RUN_AGAIN_IF_LOST, task_lifetime

from . import services

# Per attempt: an SMTP conversation is a handful of exchanges of at most EMAIL_TIMEOUT each.
EMAIL_SOFT_TIME_LIMIT, EMAIL_TIME_LIMIT = 120, 150
# How long one delivery can be in flight, retries included: the sweep leaves it alone meanwhile.
EMAIL_DELIVERY_LIFETIME = task_lifetime(time_limit=EMAIL_TIME_LIMIT)


# Safe to run again: the notification's row lock and `emailed_at` make a second run a no-op.
@shared_task(
    **RETRY_TRANSIENT, **RUN_AGAIN_IF_LOST, soft_time_limit=EMAIL_SOFT_TIME_LIMIT, time_limit=EMAIL_TIME_LIMIT
)
def send_notification_email(*, notification_id: int) -> bool:
    return services.notification_send_email(notification_id=notification_id)


@shared_task(**RETRY_TRANSIENT, **RUN_AGAIN_IF_LOST)  # a second run finds nothing new
def sweep_unsent_notifications() -> int:
    return services.notification_sweep_unsent()
