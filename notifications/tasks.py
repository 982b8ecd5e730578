from celery import shared_task

from cssbuy_qc.celery import RETRY_TRANSIENT

from . import services


# A refused or unreachable SMTP server (SMTPException is an OSError) is retried with the rest.
@shared_task(**RETRY_TRANSIENT)
def send_notification_email(*, notification_id: int) -> bool:
    return services.notification_send_email(notification_id=notification_id)


@shared_task(**RETRY_TRANSIENT)
def sweep_unsent_notifications() -> int:
    return services.notification_sweep_unsent()
