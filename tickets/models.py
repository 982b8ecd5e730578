import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

from orders.models import Order

if TYPE_CHECKING:
    from accounts.models import User

# Permission codename, declared once in Ticket.Meta and used by transitions, services and admin.
PERM_ANSWER = "tickets.answer_ticket"
# Django's default permission to see tickets, as the attachment downloads check it.
PERM_VIEW_TICKET = "tickets.view_ticket"

TICKET_NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

# The longest message text accepted, by the forms and by the services behind them.
MESSAGE_MAX_LENGTH = 10_000

# Placeholders a canned reply may contain; filled in for the ticket being answered.
PLACEHOLDER_SHOPPER_NAME = "{shopper_name}"
PLACEHOLDER_ORDER_NUMBER = "{order_number}"


def new_ticket_number() -> str:
    return "T" + "".join(secrets.choice(TICKET_NUMBER_ALPHABET) for _ in range(8))


def attachment_upload_to(instance: "Attachment", filename: str) -> str:
    """A name nobody can guess; the original file name is kept in a column, not in the path."""
    extension = {"jpeg": "jpg", "png": "png", "webp": "webp", "pdf": "pdf"}.get(instance.file_format, "bin")
    return f"tickets/attachments/{secrets.token_urlsafe(24)}.{extension}"


def new_attachment_key() -> str:
    return secrets.token_urlsafe(16)


def is_ticket_shopper(ticket: "Ticket", user: "User") -> bool:
    return user.is_authenticated and ticket.shopper_id == user.pk


def is_ticket_shopper_or_support(ticket: "Ticket", user: "User") -> bool:
    return is_ticket_shopper(ticket, user) or user.has_perm(PERM_ANSWER)


class Category(models.TextChoices):
    QC = "qc", _("QC photos and defects")
    RETURN_REFUND = "return_refund", _("Return or refund")
    EXCHANGE = "exchange", _("Exchange")
    SHIPPING = "shipping", _("Shipping")
    BALANCE = "balance", _("Balance and payments")
    OTHER = "other", _("Something else")


class Priority(models.IntegerChoices):
    LOW = 10, _("Low")
    NORMAL = 20, _("Normal")
    HIGH = 30, _("High")
    URGENT = 40, _("Urgent")


def awaiting_first_response_q() -> models.Q:
    return models.Q(first_responded_at__isnull=True, status__in=[Ticket.Status.OPEN, Ticket.Status.AWAITING_SUPPORT])


def overdue_q(now) -> models.Q:
    """Still waiting for a first answer from support after the due time (the queue's filter and
    the staff dashboard count the same tickets)."""
    return awaiting_first_response_q() & models.Q(first_response_due__lt=now)


class TicketQuerySet(models.QuerySet):
    def for_shopper(self, user: "User") -> "TicketQuerySet":
        return self.filter(shopper=user)

    def awaiting_first_response(self) -> "TicketQuerySet":
        return self.filter(awaiting_first_response_q())

    def overdue(self, now=None) -> "TicketQuerySet":
        """Still waiting for a first answer from support after the due time."""
        return self.filter(overdue_q(now or timezone.now()))


class Ticket(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        AWAITING_SUPPORT = "awaiting_support", _("Waiting for support")
        AWAITING_SHOPPER = "awaiting_shopper", _("Waiting for the shopper")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    ACTIVE = frozenset({Status.OPEN, Status.AWAITING_SUPPORT, Status.AWAITING_SHOPPER})
    # What the shopper reads where the staff label would speak of them in the third person.
    SHOPPER_LABELS = {Status.AWAITING_SHOPPER: _("Waiting for your reply")}

    number = models.CharField(
        _("ticket number"), max_length=16, unique=True, default=new_ticket_number, editable=False
    )
    shopper = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("shopper")
    )
    order = models.ForeignKey(
        Order,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("order"),
    )
    category = models.CharField(_("category"), max_length=16, choices=Category, default=Category.OTHER)
    subject = models.CharField(_("subject"), max_length=200)
    status = FSMField(_("status"), max_length=32, choices=Status, default=Status.OPEN, protected=True)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority, default=Priority.NORMAL)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        limit_choices_to={"is_staff": True},
        verbose_name=_("assignee"),
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now, db_index=True)
    first_response_due = models.DateTimeField(_("first response due"))
    first_responded_at = models.DateTimeField(_("first responded"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # The time of the latest message the shopper can see; internal notes do not move it.
    last_message_at = models.DateTimeField(_("last message"), default=timezone.now)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-last_message_at", "-id"]
        indexes = [
            models.Index(fields=["shopper", "-last_message_at"]),
            models.Index(fields=["status", "first_response_due"]),
            models.Index(fields=["status", "resolved_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="resolved") | models.Q(resolved_at__isnull=False),
                name="ticket_resolved_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="closed") | models.Q(closed_at__isnull=False),
                name="ticket_closed_has_time",
            ),
        ]
        permissions = [("answer_ticket", _("Can answer tickets and change their status"))]

    def __str__(self) -> str:
        return f"{self.number}: {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("tickets:detail", kwargs={"number": self.number})

    @property
    def shopper_status_display(self) -> str:
        return str(self.SHOPPER_LABELS.get(self.status, self.get_status_display()))

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_overdue(self) -> bool:
        return (
            self.first_responded_at is None
            and self.status in (self.Status.OPEN, self.Status.AWAITING_SUPPORT)
            and self.first_response_due < timezone.now()
        )

    # --- Transitions: state changes only. tickets.services adds saving, messages, notifications.

    @transition(
        status,
        [Status.OPEN, Status.AWAITING_SUPPORT, Status.AWAITING_SHOPPER, Status.RESOLVED],
        Status.AWAITING_SUPPORT,
        permission=is_ticket_shopper,
        custom={"label": _("Reply")},
    )
    def shopper_reply(self) -> None:
        self.resolved_at = None

    @transition(
        status,
        [Status.OPEN, Status.AWAITING_SUPPORT, Status.AWAITING_SHOPPER, Status.RESOLVED],
        Status.AWAITING_SHOPPER,
        permission=PERM_ANSWER,
        custom={"label": _("Reply")},
    )
    def support_reply(self, at) -> None:
        self.resolved_at = None
        if self.first_responded_at is None:
            self.first_responded_at = at

    @transition(
        status,
        [Status.OPEN, Status.AWAITING_SUPPORT, Status.AWAITING_SHOPPER],
        Status.RESOLVED,
        permission=is_ticket_shopper_or_support,
        custom={"label": _("Mark resolved")},
    )
    def resolve(self, at) -> None:
        self.resolved_at = at

    @transition(
        status,
        [Status.RESOLVED, Status.CLOSED],
        Status.AWAITING_SUPPORT,
        permission=PERM_ANSWER,
        custom={"label": _("Reopen")},
    )
    def reopen(self) -> None:
        self.resolved_at = None
        self.closed_at = None

    @transition(
        status,
        [Status.OPEN, Status.AWAITING_SUPPORT, Status.AWAITING_SHOPPER, Status.RESOLVED],
        Status.CLOSED,
        permission=PERM_ANSWER,
        custom={"label": _("Close")},
    )
    def close(self, at) -> None:
        self.closed_at = at
        if self.resolved_at is None:
            self.resolved_at = at

    @transition(status, Status.RESOLVED, Status.CLOSED, custom={"label": _("Close after a quiet period")})
    def auto_close(self, at) -> None:
        self.closed_at = at


class Message(models.Model):
    """One message of a ticket's thread: the shopper's, a public staff reply or an internal note."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages", verbose_name=_("ticket"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    by_staff = models.BooleanField(_("by support"), default=False)
    body = models.TextField(_("message"), blank=True)
    is_internal = models.BooleanField(
        _("internal note"), default=False, help_text=_("Internal notes are never shown or emailed to the shopper.")
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    # A random key sent with the form: the same form submitted twice adds one message.
    client_key = models.UUIDField(null=True, blank=True, editable=False, verbose_name=_("client key"))

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(is_internal=True, by_staff=False), name="message_internal_only_by_staff"
            ),
            models.UniqueConstraint(
                fields=["author", "client_key"],
                condition=models.Q(client_key__isnull=False),
                name="message_one_per_client_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} #{self.pk}"


class Attachment(models.Model):
    """A validated image (re-encoded, no metadata) or PDF, stored under a random name."""

    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        PDF = "pdf", _("PDF")

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message")
    )
    key = models.CharField(
        max_length=32, unique=True, default=new_attachment_key, editable=False, verbose_name=_("key")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind)
    file_format = models.CharField(_("format"), max_length=8)
    content_type = models.CharField(_("content type"), max_length=64)
    file = models.FileField(_("file"), upload_to=attachment_upload_to, max_length=200)
    original_name = models.CharField(_("original name"), max_length=200)
    size = models.PositiveIntegerField(_("bytes"))
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.kind == self.Kind.IMAGE


class CannedReply(models.Model):
    """A ready answer support can start from; placeholders are filled in for the ticket."""

    title = models.CharField(_("title"), max_length=120, unique=True)
    body = models.TextField(
        _("text"),
        help_text=_("Placeholders: {shopper_name} for the shopper's name, {order_number} for the linked order."),
    )
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def render(self, ticket: Ticket) -> str:
        order_number = ticket.order.number if ticket.order_id else ""
        return self.body.replace(PLACEHOLDER_SHOPPER_NAME, ticket.shopper.greeting_name).replace(
            PLACEHOLDER_ORDER_NUMBER, order_number
        )
