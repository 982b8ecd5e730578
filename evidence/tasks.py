from celery import Task, shared_task

from common.tasks import RETRY_TRANSIENT, RUN_AGAIN_IF_LOST, task_lifetime

from . import services

# Per attempt: hundreds of full-resolution photos, each read once and some decoded to draw boxes
# (within the 300 s the broker's visibility timeout allows a task; see settings).
BUILD_SOFT_TIME_LIMIT, BUILD_TIME_LIMIT = 270, 300
BUILD_LIFETIME = task_lifetime(time_limit=BUILD_TIME_LIMIT)


class BuildTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        """No more retries: the pack is marked failed, for its requester to ask again."""
        services.evidence_pack_failed(pack_id=kwargs["pack_id"], reason=f"{type(exc).__name__}: {exc}")


# Safe to run again: a ready pack is left alone, and the row lock lets one of two runs store it.
@shared_task(
    base=BuildTask,
    **RETRY_TRANSIENT,
    **RUN_AGAIN_IF_LOST,
    soft_time_limit=BUILD_SOFT_TIME_LIMIT,
    time_limit=BUILD_TIME_LIMIT,
)
def build_evidence_pack(*, pack_id: int) -> bool:
    return services.evidence_pack_build(pack_id=pack_id)
