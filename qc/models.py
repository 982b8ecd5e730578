import secrets
from datetime import timedelta
from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from orders.models import Order, ProductCategory

# Permission codename for passing or failing a round, declared once in Inspection.Meta.
PERM_COMPLETE = "qc.complete_inspection"
# Django's default permissions of the QC models, as the views and the admin check them.
PERM_VIEW_INSPECTION = "qc.view_inspection"
PERM_ADD_INSPECTION = "qc.add_inspection"
PERM_VIEW_PHOTO = "qc.view_qcphoto"
PERM_ADD_PHOTO = "qc.add_qcphoto"
PERM_VIEW_QUEUE = "qc.view_qcqueueitem"
# Answering a shopper's photo request (adding to a completed round), declared in PhotoRequest.Meta.
PERM_ANSWER_PHOTO_REQUEST = "qc.answer_photorequest"
PERM_CHANGE_PHOTO = "qc.change_qcphoto"
PERM_DELETE_PHOTO = "qc.delete_qcphoto"
RENDITIONS = ("full", "display", "thumb")


# What a parcel may weigh, in grams: more is a typing slip (an extra zero), not a parcel.
MAX_WEIGHT_GRAMS = 100_000


def new_photo_key() -> str:
    return secrets.token_urlsafe(18)


class Inspection(models.Model):
    """One QC round of an order: round 1 on arrival, round 2 after an exchange, ..."""

    class Result(models.TextChoices):
        PENDING = "pending", _("In progress")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("order"))
    round_number = models.PositiveSmallIntegerField(_("round"))
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("inspector"),
    )
    result = models.CharField(_("result"), max_length=16, choices=Result, default=Result.PENDING, editable=False)
    public_note = models.TextField(_("note for the shopper"), blank=True)
    internal_note = models.TextField(_("internal note"), blank=True, help_text=_("Staff only; never shown."))
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True, editable=False)
    # Moves on whenever what the shopper's page shows of the round may change (qc.services
    # bumps it): the page's cached fragment of the round is keyed by it.
    evidence_version = models.PositiveIntegerField(_("version of what the shopper sees"), default=1, editable=False)
    weight_grams = models.PositiveIntegerField(
        _("parcel weight (g)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_WEIGHT_GRAMS)],
        help_text=_("Weighed at the warehouse, in grams; the shopper sees it."),
    )

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["order", "round_number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "round_number"], name="qc_inspection_round_unique"),
            models.UniqueConstraint(
                fields=["order"], condition=Q(result="pending"), name="qc_inspection_one_open_round"
            ),
            models.CheckConstraint(
                condition=Q(result="pending", completed_at__isnull=True)
                | (~Q(result="pending") & Q(completed_at__isnull=False)),
                name="qc_inspection_completed_at_matches_result",
            ),
            models.CheckConstraint(condition=Q(round_number__gte=1), name="qc_inspection_round_positive"),
            models.CheckConstraint(
                condition=Q(weight_grams__isnull=True) | Q(weight_grams__gte=1, weight_grams__lte=MAX_WEIGHT_GRAMS),
                name="qc_inspection_weight_in_range",
            ),
        ]
        permissions = [("complete_inspection", _("Can pass or fail a QC round"))]

    def __str__(self) -> str:
        return _("%(order)s, round %(round)s") % {"order": self.order, "round": self.round_number}

    def get_absolute_url(self) -> str:
        return reverse("qc:inspection", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.result == self.Result.PENDING


def _photo_path(photo: "QCPhoto", name: str) -> str:
    # Unguessable, and independent of the uploaded name; the storage stays private anyway.
    return f"qc/{photo.key}/{name}"


def original_path(photo: "QCPhoto", filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return _photo_path(photo, f"original.{extension}")


def rendition_path(photo: "QCPhoto", filename: str) -> str:
    return _photo_path(photo, filename)


class ShotListItem(models.Model):
    """A photo every QC round of a product category must have (front, back, label, sole...),
    set by staff in the admin. Retired items are made inactive: rounds that took them keep them."""

    category = models.CharField(_("product category"), max_length=16, choices=ProductCategory)
    name = models.CharField(_("shot"), max_length=80, help_text=_("What the photo shows, e.g. “Sole”."))
    position = models.PositiveIntegerField(pgettext_lazy("position in a list", "order"), default=0)
    active = models.BooleanField(_("required"), default=True, help_text=_("Untick to stop asking for this shot."))

    class Meta:
        verbose_name = _("shot list item")
        verbose_name_plural = _("shot list")
        ordering = ["category", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "name"], name="qc_shot_unique_per_category"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.label}"

    @property
    def label(self) -> str:
        """The name in the reader's language: the shots migration 0008 seeds are msgids; a name
        staff typed in the admin is shown as typed."""
        return gettext(self.name)


class QCPhotoQuerySet(models.QuerySet):
    def delete(self):
        raise TypeError(
            "QC photos are deleted one at a time with qc.services.photo_delete, which keeps their "
            "defects and removes their files."
        )

    def renditions_pending(self) -> "QCPhotoQuerySet":
        """Photos still waiting for their renditions (not given up on)."""
        return self.filter(renditions_at__isnull=True, renditions_failed_at__isnull=True)

    def renditions_failed(self) -> "QCPhotoQuerySet":
        """Photos whose renditions could not be made; an inspector may retry them."""
        return self.filter(renditions_at__isnull=True, renditions_failed_at__isnull=False)

    def shown(self) -> "QCPhotoQuerySet":
        """What a QC page shows: a photo whose renditions failed is left out, not shown broken,
        and so is one being added in answer to a photo request until the answer is sent."""
        return self.filter(renditions_failed_at__isnull=True).exclude(photo_request__status=PhotoRequest.Status.OPEN)


class QCPhoto(models.Model):
    """An uploaded photo (kept private) and its renditions, made in the background.

    Deleted only through `qc.services.photo_delete`: a queryset delete is refused, a round with
    photos cannot be deleted (PROTECT), and PostgreSQL refuses to delete a photo of a completed
    round whatever code asks.
    """

    inspection = models.ForeignKey(
        Inspection, on_delete=models.PROTECT, related_name="photos", verbose_name=_("inspection")
    )
    key = models.CharField(max_length=32, unique=True, default=new_photo_key, editable=False, verbose_name=_("key"))
    original = models.FileField(_("original"), upload_to=original_path, max_length=255, editable=False)
    full = models.FileField(_("full resolution"), upload_to=rendition_path, max_length=255, blank=True)
    display = models.FileField(_("display"), upload_to=rendition_path, max_length=255, blank=True)
    thumb = models.FileField(_("thumbnail"), upload_to=rendition_path, max_length=255, blank=True)
    content_type = models.CharField(_("uploaded type"), max_length=32, editable=False)
    width = models.PositiveIntegerField(_("width"), help_text=_("Pixels, upright."))
    height = models.PositiveIntegerField(_("height"), help_text=_("Pixels, upright."))
    bytes = models.PositiveBigIntegerField(_("bytes"), help_text=_("Size of the uploaded original."))
    sha256 = models.CharField(_("content hash"), max_length=64, editable=False)
    display_width = models.PositiveIntegerField(null=True, blank=True, editable=False, verbose_name=_("display width"))
    display_height = models.PositiveIntegerField(
        null=True, blank=True, editable=False, verbose_name=_("display height")
    )
    thumb_width = models.PositiveIntegerField(null=True, blank=True, editable=False, verbose_name=_("thumb width"))
    thumb_height = models.PositiveIntegerField(null=True, blank=True, editable=False, verbose_name=_("thumb height"))
    renditions_at = models.DateTimeField(_("renditions made"), null=True, blank=True, editable=False)
    # The rendition job: when it was last handed to the broker and how often (the sweep leaves
    # a job in flight alone and gives up after a few), and why it failed if it did.
    renditions_queued_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("renditions queued at")
    )
    renditions_attempts = models.PositiveSmallIntegerField(
        default=0, editable=False, verbose_name=_("renditions attempts")
    )
    renditions_failed_at = models.DateTimeField(_("renditions failed"), null=True, blank=True, editable=False)
    renditions_error = models.CharField(_("why the renditions failed"), max_length=500, blank=True, editable=False)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    shot = models.ForeignKey(
        ShotListItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="photos",
        verbose_name=_("shot"),
        help_text=_("The shot of the shot list this photo covers."),
    )
    position = models.PositiveIntegerField(pgettext_lazy("position in a list", "order"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    # Set on a photo added to a completed round in answer to the shopper's request.
    photo_request = models.ForeignKey(
        "qc.PhotoRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="photos",
        verbose_name=_("in answer to"),
    )

    objects = QCPhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("QC photo")
        verbose_name_plural = _("QC photos")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "sha256"], name="qc_photo_unique_per_round"),
        ]
        triggers = [
            # A completed round is evidence: its photos stay (qc_inspection is Inspection's table),
            # except one added in answer to a photo request that is not answered yet.
            pgtrigger.Trigger(
                name="photos_of_completed_rounds_stay",
                level=pgtrigger.Row,
                when=pgtrigger.Before,
                operation=pgtrigger.Delete,
                func="""
                    IF EXISTS (SELECT 1 FROM qc_inspection WHERE id = OLD.inspection_id AND result <> 'pending')
                       AND NOT EXISTS (
                           SELECT 1 FROM qc_photorequest WHERE id = OLD.photo_request_id AND status = 'open'
                       ) THEN
                        RAISE EXCEPTION 'photo % belongs to a completed QC round', OLD.id
                            USING ERRCODE = 'restrict_violation';
                    END IF;
                    RETURN OLD;
                """,
            ),
        ]

    def __str__(self) -> str:
        return self.caption or _("Photo %(key)s") % {"key": self.key[:8]}

    @property
    def is_ready(self) -> bool:
        return self.renditions_at is not None

    @property
    def state(self) -> str:
        """ "ready", "processing" or "failed": what the inspection page shows for it."""
        if self.is_ready:
            return "ready"
        return "failed" if self.renditions_failed_at is not None else "processing"

    @property
    def details(self) -> str:
        """Its size, as the inspection page shows it: "1200×900 px, 87.1 KB"."""
        return _("%(width)s×%(height)s px, %(size)s") % {
            "width": self.width,
            "height": self.height,
            "size": filesizeformat(self.bytes),
        }

    def label(self, number: int) -> str:
        """How the inspection page names the photo in menus: its number in the round, then its
        caption or the shot it covers ("Photo 3 · Front"); never its internal key."""
        about = self.caption or (self.shot.label if self.shot_id else "")
        if about:
            return _("Photo %(number)s · %(about)s") % {"number": number, "about": about}
        return _("Photo %(number)s") % {"number": number}

    @property
    def renditions_have_failed(self) -> bool:
        return self.renditions_at is None and self.renditions_failed_at is not None

    def url(self, rendition: str) -> str:
        return reverse("qc:photo", kwargs={"pk": self.pk, "rendition": rendition})

    @property
    def thumb_url(self) -> str:
        return self.url("thumb")

    @property
    def display_url(self) -> str:
        return self.url("display")

    @property
    def full_url(self) -> str:
        return self.url("full")

    def stored_names(self) -> list[str]:
        return [f.name for f in (self.original, self.full, self.display, self.thumb) if f]


class Defect(models.Model):
    class Kind(models.TextChoices):
        SIZING = "sizing", _("Sizing")
        WRONG_COLOUR = "wrong_colour", _("Wrong colour")
        DAMAGE = "damage", _("Damage")
        WRONG_ITEM = "wrong_item", _("Wrong item")
        STAIN = "stain", _("Stain")
        MISSING_PART = "missing_part", _("Missing part")
        OTHER = "other", _("Other")

    class Severity(models.TextChoices):
        MINOR = "minor", _("Minor")
        MAJOR = "major", _("Major")

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="defects", verbose_name=_("inspection")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity, default=Severity.MAJOR)
    description = models.TextField(_("description"))
    photo = models.ForeignKey(
        QCPhoto, on_delete=models.SET_NULL, null=True, blank=True, related_name="defects", verbose_name=_("photo")
    )
    # The highlight box on the photo, as fractions of its width and height (0..1).
    box_x = models.FloatField(_("box left"), null=True, blank=True)
    box_y = models.FloatField(_("box top"), null=True, blank=True)
    box_w = models.FloatField(_("box width"), null=True, blank=True)
    box_h = models.FloatField(_("box height"), null=True, blank=True)
    position = models.PositiveIntegerField(pgettext_lazy("position in a list", "order"), default=0)

    class Meta:
        verbose_name = _("defect")
        verbose_name_plural = _("defects")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(box_x__isnull=True, box_y__isnull=True, box_w__isnull=True, box_h__isnull=True)
                | Q(
                    box_x__gte=0,
                    box_y__gte=0,
                    box_w__gt=0,
                    box_h__gt=0,
                    box_x__lte=1 - F("box_w") + 1e-6,
                    box_y__lte=1 - F("box_h") + 1e-6,
                    photo__isnull=False,
                ),
                name="qc_defect_box_inside_photo",
                violation_error_message=_("A box needs a photo and must lie inside it."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_severity_display()})"

    @property
    def has_box(self) -> bool:
        return self.box_x is not None

    @property
    def is_major(self) -> bool:
        return self.severity == self.Severity.MAJOR

    def clean(self) -> None:
        super().clean()
        box = [self.box_x, self.box_y, self.box_w, self.box_h]
        if any(v is not None for v in box) and any(v is None for v in box):
            raise ValidationError(_("Draw the whole box, or clear it."))
        if self.has_box and self.photo_id is None:
            raise ValidationError({"photo": _("Choose the photo the box is drawn on.")})
        if (
            self.photo_id is not None
            and self.inspection_id is not None
            and self.photo.inspection_id != self.inspection_id
        ):
            raise ValidationError({"photo": _("Choose a photo of this QC round.")})


class Measurement(models.Model):
    """Evidence for sizing problems: what the listing says against what was measured."""

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="measurements", verbose_name=_("inspection")
    )
    name = models.CharField(_("what"), max_length=100, help_text=_("e.g. chest width, sleeve length"))
    listed_value = models.DecimalField(_("listed"), max_digits=10, decimal_places=2)
    measured_value = models.DecimalField(_("measured"), max_digits=10, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=16, default="cm")
    position = models.PositiveIntegerField(pgettext_lazy("position in a list", "order"), default=0)
    # Set on a measurement added to a completed round in answer to the shopper's request.
    photo_request = models.ForeignKey(
        "qc.PhotoRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="measurements",
        verbose_name=_("in answer to"),
    )

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.name}: {self.measured_value} / {self.listed_value} {self.unit}"

    @property
    def difference(self) -> Decimal:
        return self.measured_value - self.listed_value

    @property
    def is_off(self) -> bool:
        """More than the tolerance away from the listed value."""
        if self.listed_value == 0:
            return self.measured_value != 0
        percent = abs(self.difference) / abs(self.listed_value) * 100
        return percent > Decimal(str(settings.QC_MEASUREMENT_TOLERANCE_PERCENT))


class QCQueueItem(Order):
    """The inspectors' queue in the admin: orders that arrived and wait for QC."""

    class Meta:
        proxy = True
        verbose_name = _("order awaiting QC")
        verbose_name_plural = _("QC queue")


class PhotoRequestQuerySet(models.QuerySet):
    def open(self) -> "PhotoRequestQuerySet":
        return self.filter(status=PhotoRequest.Status.OPEN)


class PhotoRequest(models.Model):
    """A shopper's request for more photos or measurements of a completed QC round.

    The first of an order is free; later ones are paid per photo asked when requesting and
    refunded if not answered in time. While one is open the order's decision clock stands still.
    Inspectors answer by adding photos and measurements to the round (the only way a completed
    round changes); the shopper sees them once the answer is sent.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for the inspectors")
        ANSWERED = "answered", _("Answered")
        EXPIRED = "expired", _("Not answered in time: refunded")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="photo_requests", verbose_name=_("order"))
    inspection = models.ForeignKey(
        Inspection, on_delete=models.PROTECT, related_name="photo_requests", verbose_name=_("QC round")
    )
    note = models.TextField(_("what the shopper wants to see"))
    photos_asked = models.PositiveSmallIntegerField(_("photos or measurements asked"))
    fee = models.DecimalField(
        _("fee charged (CNY)"), max_digits=14, decimal_places=2, default=Decimal("0.00"), editable=False
    )
    # The form's one-time token: the same form sent twice makes one request.
    token = models.CharField(max_length=64, editable=False, verbose_name=_("token"))
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.OPEN, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now, db_index=True)
    answer_note = models.TextField(_("note for the shopper"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True, editable=False)
    expired_at = models.DateTimeField(_("refunded unanswered"), null=True, blank=True, editable=False)

    objects = PhotoRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("photo request")
        verbose_name_plural = _("photo requests")
        ordering = ["requested_at", "id"]
        permissions = [("answer_photorequest", _("Can answer shoppers' photo requests"))]
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=Q(status="open"), name="qc_one_open_photo_request"),
            models.UniqueConstraint(fields=["order", "token"], name="qc_photo_request_token_unique"),
            models.CheckConstraint(condition=Q(photos_asked__gte=1), name="qc_photo_request_asks_something"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="qc_photo_request_fee_not_negative"),
            models.CheckConstraint(
                condition=Q(status="open", answered_at__isnull=True, expired_at__isnull=True)
                | Q(status="answered", answered_at__isnull=False, expired_at__isnull=True)
                | Q(status="expired", answered_at__isnull=True, expired_at__isnull=False),
                name="qc_photo_request_times_match_status",
            ),
        ]

    def __str__(self) -> str:
        return _("Photo request %(id)s on %(round)s") % {"id": self.pk, "round": self.inspection}

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def due_at(self):
        """When it is refunded if still unanswered."""
        return self.requested_at + timedelta(hours=settings.EXTRA_PHOTO_HOURS)
