from django.shortcuts import get_object_or_404

from .models import BulkJob


def bulk_job_for_viewer(*, user, pk: int) -> BulkJob:
    """A job for the person who started it (or a superuser); anyone else gets 404."""
    jobs = BulkJob.objects.all() if user.is_superuser else BulkJob.objects.filter(created_by=user)
    return get_object_or_404(jobs, pk=pk)


def bulk_job_progress(job: BulkJob) -> dict:
    return {
        "total": job.total,
        "done": job.done,
        "changed": job.changed,
        "problems": job.problems,
        "finished": job.is_finished,
    }
