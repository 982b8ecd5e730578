import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import Order

# Permission codename, declared once in EvidencePack.Meta and checked by the views and the admin.
PERM_STAFF_PACK = "evidence.download_staff_pack"


def new_pack_key() -> str:
    return secrets.token_urlsafe(18)


def pack_path(pack: "EvidencePack", filename: str) -> str:
    # Unguessable; the storage stays private and the download view checks who asks.
    return f"evidence/{pack.key}/{filename}"


class EvidencePack(models.Model):
    """An order's evidence as one ZIP, built in the background for orders with many photos.

    One per requester, audience and state of the evidence (`fingerprint`): asking again while
    nothing changed gets the same pack; a newer pack replaces the requester's older ones. The
    shopper's pack holds what the shopper may see; the staff pack adds internal notes and
    staff-only timeline events.
    """

    class Audience(models.TextChoices):
        SHOPPER = "shopper", _("Shopper")
        STAFF = "staff", _("Staff")

    class Status(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Could not be prepared")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="evidence_packs", verbose_name=_("order"))
    key = models.CharField(max_length=32, unique=True, default=new_pack_key, editable=False, verbose_name=_("key"))
    audience = models.CharField(_("for"), max_length=16, choices=Audience)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("requested by")
    )
    fingerprint = models.CharField(max_length=64, editable=False, verbose_name=_("fingerprint"))
    language = models.CharField(max_length=16, blank=True, editable=False, verbose_name=_("language"))
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PENDING)
    photo_count = models.PositiveIntegerField(_("photos"), default=0)
    file = models.FileField(_("file"), upload_to=pack_path, max_length=255, blank=True)
    bytes = models.PositiveBigIntegerField(_("bytes"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256 of the ZIP"), max_length=64, blank=True)
    error = models.CharField(_("why it failed"), max_length=500, blank=True)
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    built_at = models.DateTimeField(_("ready since"), null=True, blank=True)

    class Meta:
        verbose_name = _("evidence pack")
        verbose_name_plural = _("evidence packs")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "audience", "requested_by", "fingerprint"], name="evidence_pack_one_per_state"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="ready") | (models.Q(built_at__isnull=False) & ~models.Q(file="")),
                name="evidence_pack_ready_has_file",
            ),
        ]
        permissions = [
            ("download_staff_pack", _("Can download an order's whole evidence pack, internal notes included")),
        ]

    def __str__(self) -> str:
        return _("Evidence pack of order %(number)s (%(audience)s)") % {
            "number": self.order.number,
            "audience": self.get_audience_display(),
        }

    def get_absolute_url(self) -> str:
        return reverse("evidence:pack", kwargs={"key": self.key})

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY
