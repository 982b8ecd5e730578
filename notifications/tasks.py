from smtplib import SMTPException

from celery import shared_task

from common.publishing import task_lifetime

from . import services

EMAIL_RETRIES = 8
EMAIL_BACKOFF, EMAIL_BACKOFF_MAX = 5, 600
# Per attempt: an SMTP conversation is a handful of exchanges of at most EMAIL_TIMEOUT each.
EMAIL_SOFT_TIME_LIMIT, EMAIL_TIME_LIMIT = 120, 150
# How long one delivery can be in flight, retries included: the sweep leaves it alone meanwhile.
EMAIL_DELIVERY_LIFETIME = task_lifetime(
    retries=EMAIL_RETRIES, backoff=EMAIL_BACKOFF, backoff_max=EMAIL_BACKOFF_MAX, time_limit=EMAIL_TIME_LIMIT
)


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=EMAIL_BACKOFF,
    retry_backoff_max=EMAIL_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=EMAIL_RETRIES,
    soft_time_limit=EMAIL_SOFT_TIME_LIMIT,
    time_limit=EMAIL_TIME_LIMIT,
    # Safe to run again: the notification's row lock and `emailed_at` make a second run a no-op.
    acks_late=True,
    reject_on_worker_lost=True,
)
def send_notification_email(*, notification_id: int) -> bool:
    return services.notification_send_email(notification_id=notification_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)  # a second run finds nothing new
def sweep_unsent_notifications() -> int:
    return services.notification_sweep_unsent()
