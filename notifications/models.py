from typing import NotRequired, TypedDict

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    ORDER_PAID = "order_paid", _("Order paid")
    ORDER_PROGRESS = "order_progress", _("Purchase and delivery to the warehouse")
    ORDER_CANCELLED = "order_cancelled", _("Order cancelled")
    QC_PASSED = "qc_passed", _("QC passed")
    QC_FAILED = "qc_failed", _("QC failed")
    DECISION_REMINDER = "decision_reminder", _("Decision deadline reminder")
    DECISION_CLOSED = "decision_closed", _("Decision window closed")
    RETURN_UPDATE = "return_update", _("Return status changes")
    REFUND_CREDITED = "refund_credited", _("Refund credited")
    EXCHANGE_UPDATE = "exchange_update", _("Exchange updates")
    TICKET_REPLY = "ticket_reply", _("Support ticket replies")
    PHOTO_REQUEST = "photo_request", _("Extra photos and measurements you asked for")
    DISCOUNT_UPDATE = "discount_update", _("Discount negotiations with the seller")
    EVIDENCE_READY = "evidence_ready", _("Evidence pack ready")
    # Confirmations of what the shopper did themselves: a receipt they can keep.
    RETURN_REQUESTED = "return_requested", _("Your return requests")
    EXCHANGE_REQUESTED = "exchange_requested", _("Your exchange requests")
    TICKET_OPENED = "ticket_opened", _("Your new support tickets")


class Fact(TypedDict):
    """One line of the highlighted box of an email: "Decide by: 7 Dec, 14:00"."""

    label: str
    text: NotRequired[str]  # shown as it is
    at: NotRequired[str]  # an ISO 8601 moment, shown in the reader's time zone


class Item(TypedDict):
    """One entry of a list the notice is about (a defect found in QC, ...)."""

    title: str
    tag: NotRequired[str]  # a short label beside the title ("Major")
    emphasis: NotRequired[bool]  # the tag is a warning
    text: NotRequired[str]


class Image(TypedDict):
    """A picture embedded in the email, read from the default storage when it is sent (a signed
    address would expire before the email is read)."""

    name: str
    alt: str
    caption: NotRequired[str]


class Details(TypedDict, total=False):
    """What a notice carries beyond its title and body, for the email (every key optional)."""

    facts: list[Fact]
    items_title: str
    items: list[Item]
    images: list[Image]


class NotificationQuerySet(models.QuerySet):
    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)

    def email_pending(self) -> "NotificationQuerySet":
        return self.filter(email_wanted=True, emailed_at__isnull=True)

    def not_in_flight(self, *, since) -> "NotificationQuerySet":
        """Those whose email was not handed to the broker after `since` (or ever)."""
        return self.filter(models.Q(email_queued_at__isnull=True) | models.Q(email_queued_at__lt=since))


class Notification(models.Model):
    """Outbox and site inbox at once: written in the transaction of the change it reports."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user")
    )
    event = models.CharField(_("event"), max_length=32, choices=Event)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    # A `Details` dict: written by the app that notifies, so this app imports none of them.
    details = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email_wanted = models.BooleanField(_("email wanted"), default=True)
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True)
    # When the email was last handed to the broker: a delivery is in flight until it is sent
    # or its task's lifetime has passed (notifications.tasks.EMAIL_DELIVERY_LIFETIME).
    email_queued_at = models.DateTimeField(_("email queued"), null=True, blank=True, editable=False)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(
                fields=["created_at"],
                name="notification_email_pending",
                condition=models.Q(email_wanted=True, emailed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """A shopper's choice of email per event; no row means email is on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    event = models.CharField(_("event"), max_length=32, choices=Event)
    email = models.BooleanField(_("send email"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="one_preference_per_event")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.event}: {'email' if self.email else 'site only'}"
