from celery import shared_task

from . import selectors, services


@shared_task(autoretry_for=(OSError,), retry_backoff=5, retry_backoff_max=600, retry_jitter=True, max_retries=8)
def make_photo_renditions(*, photo_id: int) -> bool:
    """Idempotent: a photo that already has its renditions is left alone."""
    return services.photo_make_renditions(photo_id=photo_id)


@shared_task
def sweep_missing_renditions() -> int:
    """Re-enqueue photos whose renditions were never made (broker down at upload time...)."""
    ids = selectors.photos_missing_renditions()
    for photo_id in ids:
        services.photo_enqueue_renditions(photo_id=photo_id)
    return len(ids)
