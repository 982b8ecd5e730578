from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BulkJob(models.Model):
    """An admin action over several objects, run in the background by a worker.

    The row is the job's outbox (the sweep publishes it if the broker could not take it) and
    its progress (the progress page polls it): objects are done in order, `done` of them so
    far, so a job cut short resumes where it stopped.
    """

    description = models.CharField(_("action"), max_length=200)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("content type")
    )
    object_ids = models.JSONField(_("objects"))
    # The service called for each object as `service(<argument>=object, by=created_by)`, and the
    # exceptions by which it refuses one (their messages are shown): dotted paths.
    service = models.CharField(max_length=200, verbose_name=_("service"))
    argument = models.CharField(max_length=50, verbose_name=_("argument"))
    refusals = models.JSONField(default=list, verbose_name=_("refusals"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("created by")
    )
    # The language of the person who started it: its messages are in it.
    language = models.CharField(max_length=16, verbose_name=_("language"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True, verbose_name=_("queued at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    done = models.PositiveIntegerField(default=0, verbose_name=_("done"))
    changed = models.PositiveIntegerField(default=0, verbose_name=_("changed"))
    problems = models.JSONField(default=list, verbose_name=_("problems"))
    return_url = models.CharField(max_length=300, verbose_name=_("return URL"))

    class Meta:
        verbose_name = _("bulk job")
        verbose_name_plural = _("bulk jobs")
        indexes = [
            models.Index(fields=["created_at"], name="bulkjob_unfinished", condition=models.Q(finished_at=None))
        ]

    def __str__(self) -> str:
        return f"{self.description} ({self.done}/{self.total})"

    @property
    def total(self) -> int:
        return len(self.object_ids)

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None
