"""Admin actions over several objects, in the background: start a job, run it (resuming where
a run stopped), and publish the jobs the broker did not take."""

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from common.publishing import publish, publish_soon

from .models import BulkJob

logger = logging.getLogger(__name__)

JOB_SOFT_TIME_LIMIT, JOB_TIME_LIMIT = 240, 300
# A job's run has certainly ended this long after it started (its hard time limit): only then
# may the sweep hand it to the broker again, and another run claim it.
JOB_LIFETIME = timedelta(seconds=JOB_TIME_LIMIT)


def _dotted(thing: Callable) -> str:
    path = f"{thing.__module__}.{thing.__qualname__}"
    if import_string(path) is not thing:
        raise ValueError(f"{thing!r} cannot be imported back from {path}")
    return path


def bulk_job_start(
    *,
    objects: QuerySet,
    service: Callable,
    refusals: tuple[type[Exception], ...],
    description: str,
    by,
    return_url: str,
) -> BulkJob:
    """A job calling `service(<model name>=object, by=by)` for each of `objects`, published after
    commit without waiting on the broker. `refusals` are the exceptions by which the service
    refuses one object; their messages are shown on the progress page."""
    model = objects.model
    with transaction.atomic():
        job = BulkJob.objects.create(
            description=description[:200],
            content_type=ContentType.objects.get_for_model(model),
            object_ids=list(objects.order_by("pk").values_list("pk", flat=True)),
            service=_dotted(service),
            argument=model._meta.model_name,
            refusals=[_dotted(refusal) for refusal in refusals],
            created_by=by,
            language=translation.get_language() or "en",
            return_url=return_url,
        )
        transaction.on_commit(partial(bulk_job_enqueue, job_id=job.pk))
    return job


def bulk_job_enqueue(*, job_id: int) -> None:
    """Hand the job to the broker in the background; the sweep does it if the broker cannot."""
    from .tasks import run_bulk_job

    publish_soon(run_bulk_job, kwargs={"job_id": job_id}, then=partial(_mark_queued, job_id))


def _mark_queued(job_id: int) -> None:
    BulkJob.objects.filter(pk=job_id).update(queued_at=timezone.now())


def bulk_job_run(*, job_id: int) -> int:
    """Do the job's objects from where the last run stopped; returns how many this run did.

    The run claims the job first: while another run may still be going (it started less than
    JOB_LIFETIME ago), this one does nothing. Progress is saved after each object, so the
    progress page shows it and a run cut short (worker killed, time limit) resumes after it;
    the object in hand then may be tried twice, which each service refuses or ignores.
    """
    now = timezone.now()
    claimed = (
        BulkJob.objects.filter(pk=job_id, finished_at__isnull=True)
        .filter(Q(started_at__isnull=True) | Q(started_at__lt=now - JOB_LIFETIME))
        .update(started_at=now)
    )
    if not claimed:
        return 0
    job = BulkJob.objects.select_related("content_type", "created_by").get(pk=job_id)
    model = job.content_type.model_class()
    service = import_string(job.service)
    refusals = tuple(import_string(path) for path in job.refusals)
    ran = 0
    with translation.override(job.language):
        for object_id in job.object_ids[job.done :]:
            obj = model._default_manager.filter(pk=object_id).first()
            problem = None
            if obj is None:
                problem = _("#%(id)s no longer exists.") % {"id": object_id}
            else:
                try:
                    service(**{job.argument: obj, "by": job.created_by})
                except refusals as error:
                    problem = f"{obj}: {error}"
                except Exception:
                    logger.exception("Bulk job %s: %s failed for %s %s", job.pk, job.service, job.argument, object_id)
                    problem = _("%(object)s: could not be changed; the error has been logged.") % {"object": obj}
                else:
                    job.changed += 1
            job.done += 1
            if problem:
                job.problems.append(problem)
            BulkJob.objects.filter(pk=job.pk).update(done=job.done, changed=job.changed, problems=job.problems)
            ran += 1
    BulkJob.objects.filter(pk=job.pk).update(finished_at=timezone.now())
    return ran


def bulk_jobs_sweep() -> int:
    """Publish the unfinished jobs of the last day that are neither in the broker nor running
    (as far as can be known: not handed over or started within JOB_LIFETIME).

    For a worker (beat runs it): publishes inline and stops at the first broker failure."""
    from .tasks import run_bulk_job

    now = timezone.now()
    stale = now - JOB_LIFETIME
    ids = list(
        BulkJob.objects.filter(finished_at__isnull=True, created_at__gte=now - timedelta(days=1))
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=stale))
        .filter(Q(started_at__isnull=True) | Q(started_at__lt=stale))
        .order_by("pk")
        .values_list("pk", flat=True)[:100]
    )
    published = 0
    for job_id in ids:
        try:
            publish(run_bulk_job, kwargs={"job_id": job_id})
        except Exception:  # noqa: BLE001 - any broker failure; the next sweep tries again
            logger.warning("Broker unreachable: the sweep published %s of %s bulk jobs", published, len(ids))
            break
        _mark_queued(job_id)
        published += 1
    return published
