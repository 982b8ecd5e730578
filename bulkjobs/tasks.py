from celery import shared_task

from common.tasks import RETRY_TRANSIENT, RUN_AGAIN_IF_LOST

from . import services


# Safe to run again: a job resumes after the objects it has done, and claims itself so that two
# runs never work on it at once.
@shared_task(
    **RETRY_TRANSIENT,
    **RUN_AGAIN_IF_LOST,
    soft_time_limit=services.JOB_SOFT_TIME_LIMIT,
    time_limit=services.JOB_TIME_LIMIT,
)
def run_bulk_job(*, job_id: int) -> int:
    return services.bulk_job_run(job_id=job_id)


@shared_task(**RETRY_TRANSIENT, **RUN_AGAIN_IF_LOST)  # a second run finds the jobs in flight
def sweep_bulk_jobs() -> int:
    return services.bulk_jobs_sweep()
