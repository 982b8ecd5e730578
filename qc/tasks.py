from celery import shared_task

from cssbuy_qc.celery import RETRY_TRANSIENT

from . import services


@shared_task(**RETRY_TRANSIENT)
def make_photo_renditions(*, photo_id: int) -> bool:
    """Idempotent: a photo that already has its renditions is left alone."""
    return services.photo_make_renditions(photo_id=photo_id)


@shared_task(**RETRY_TRANSIENT)
def sweep_missing_renditions() -> int:
    """Re-enqueue photos whose renditions were never made (broker down at upload time...)."""
    ids = services.photos_missing_renditions()
    for photo_id in ids:
        services.photo_enqueue_renditions(photo_id=photo_id)
    return len(ids)
