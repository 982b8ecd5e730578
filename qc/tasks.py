from celery import Task, shared_task

from common.publishing import task_lifetime

from . import services
from .exceptions import UnreadablePhoto

RENDITION_RETRIES = 8
RENDITION_BACKOFF, RENDITION_BACKOFF_MAX = 5, 600
# Per attempt: a 60-megapixel photo (the upload limit) takes seconds, not minutes.
RENDITION_SOFT_TIME_LIMIT, RENDITION_TIME_LIMIT = 120, 150
# How long one job can be in flight, retries included: the sweep leaves it alone meanwhile.
RENDITIONS_LIFETIME = task_lifetime(
    retries=RENDITION_RETRIES,
    backoff=RENDITION_BACKOFF,
    backoff_max=RENDITION_BACKOFF_MAX,
    time_limit=RENDITION_TIME_LIMIT,
)


class RenditionTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        """No more retries (or an error retrying cannot fix): the photo is marked failed, with
        the reason, for an inspector to see and retry."""
        reason = str(exc) if isinstance(exc, UnreadablePhoto) else f"{type(exc).__name__}: {exc}"
        services.photo_renditions_failed(photo_id=kwargs["photo_id"], reason=reason)


@shared_task(
    base=RenditionTask,
    autoretry_for=(OSError,),
    retry_backoff=RENDITION_BACKOFF,
    retry_backoff_max=RENDITION_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=RENDITION_RETRIES,
    soft_time_limit=RENDITION_SOFT_TIME_LIMIT,
    time_limit=RENDITION_TIME_LIMIT,
    # Safe to run again: a photo that has its renditions is left alone, and the row lock lets
    # one of two racing runs store them.
    acks_late=True,
    reject_on_worker_lost=True,
)
def make_photo_renditions(*, photo_id: int) -> bool:
    return services.photo_make_renditions(photo_id=photo_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)  # a second run finds the jobs in flight
def sweep_missing_renditions() -> int:
    """Publish the rendition jobs of photos left without renditions (broker down at upload time,
    a job lost...)."""
    return services.photo_sweep_renditions()
