import logging

from celery import Task, shared_task

from common.tasks import RETRY_TRANSIENT, RUN_AGAIN_IF_LOST, task_lifetime

from . import selectors, services
from .exceptions import UnreadablePhoto

logger = logging.getLogger(__name__)

# Per attempt: a 60-megapixel photo (the upload limit) takes seconds, not minutes.
RENDITION_SOFT_TIME_LIMIT, RENDITION_TIME_LIMIT = 120, 150
# How long one job can be in flight, retries included: the sweep leaves it alone meanwhile.
RENDITIONS_LIFETIME = task_lifetime(time_limit=RENDITION_TIME_LIMIT)


class RenditionTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        """No more retries (or an error retrying cannot fix): the photo is marked failed, with
        the reason, for an inspector to see and retry."""
        reason = str(exc) if isinstance(exc, UnreadablePhoto) else f"{type(exc).__name__}: {exc}"
        services.photo_renditions_failed(photo_id=kwargs["photo_id"], reason=reason)


# Safe to run again: a photo that has its renditions is left alone, and the row lock lets one of
# two racing runs store them.
@shared_task(
    base=RenditionTask,
    **RETRY_TRANSIENT,
    **RUN_AGAIN_IF_LOST,
    soft_time_limit=RENDITION_SOFT_TIME_LIMIT,
    time_limit=RENDITION_TIME_LIMIT,
)
def make_photo_renditions(*, photo_id: int) -> bool:
    return services.photo_make_renditions(photo_id=photo_id)


@shared_task(**RETRY_TRANSIENT, **RUN_AGAIN_IF_LOST)  # a second run finds the jobs in flight
def sweep_missing_renditions() -> int:
    """Publish the rendition jobs of photos left without renditions (broker down at upload time,
    a job lost...)."""
    return services.photo_sweep_renditions()


@shared_task(**RETRY_TRANSIENT, **RUN_AGAIN_IF_LOST)  # each request is refunded once (its own key)
def expire_unanswered_photo_requests() -> int:
    """Beat job: photo requests left unanswered for EXTRA_PHOTO_HOURS are closed and refunded."""
    done = 0
    for request_id in selectors.photo_requests_past_due():
        try:
            done += services.photo_request_expire(photo_request_id=request_id)
        except Exception:
            logger.exception("Photo request %s could not be expired", request_id)
    return done
