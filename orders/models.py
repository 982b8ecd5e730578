import secrets
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

if TYPE_CHECKING:
    from accounts.models import User

# Permission codenames, declared once in Order.Meta and used by transitions, views and admin.
PERM_PURCHASE = "orders.purchase_order"
PERM_RECEIVE = "orders.receive_order"
PERM_INSPECT = "orders.inspect_order"
PERM_RETURNS = "orders.manage_returns"
PERM_RESOLVE_REFUSAL = "orders.resolve_refusal"

ORDER_NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_order_number() -> str:
    return "CB" + "".join(secrets.choice(ORDER_NUMBER_ALPHABET) for _ in range(8))


def is_shopper(order: "Order", user: "User") -> bool:
    return user.is_authenticated and order.shopper_id == user.pk


def is_shopper_or_purchaser(order: "Order", user: "User") -> bool:
    return is_shopper(order, user) or user.has_perm(PERM_PURCHASE)


class Marketplace(models.TextChoices):
    TAOBAO = "taobao", _("Taobao")
    WEIDIAN = "weidian", _("Weidian")
    ALIBABA_1688 = "1688", _("1688")
    OTHER = "other", _("Other")


class ProductCategory(models.TextChoices):
    """What kind of item an order is: it decides which photos QC must take (qc's shot list)."""

    CLOTHING = "clothing", _("Clothing")
    SHOES = "shoes", _("Shoes")
    BAGS = "bags", _("Bags")
    ELECTRONICS = "electronics", _("Electronics")
    OTHER = "other", _("Other")


class OrderQuerySet(models.QuerySet):
    def for_shopper(self, user: "User") -> "OrderQuerySet":
        return self.filter(shopper=user)


class Order(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        # The labels are what the shopper sees.
        PENDING_PAYMENT = "pending_payment", _("Pending payment")
        PAID = "paid", _("Paid, buying soon")
        PURCHASED = "purchased", _("Purchased from seller")
        SHIPPED_TO_WAREHOUSE = "shipped_to_warehouse", _("On its way to the warehouse")
        AWAITING_QC = "awaiting_qc", _("Arrived, in QC")
        QC_FAILED = "qc_failed", _("QC failed: your decision")
        STORED = "stored", _("In warehouse")
        RETURN_REQUESTED = "return_requested", _("Return requested")
        RETURNING = "returning", _("Returning to seller")
        SELLER_REFUNDING = "seller_refunding", _("Seller refunding")
        REFUNDED = "refunded", _("Refunded to balance")
        EXCHANGE_REQUESTED = "exchange_requested", _("Exchange requested")
        EXCHANGE_RETURNING = "exchange_returning", _("Returning for exchange")
        AWAITING_REPLACEMENT = "awaiting_replacement", _("Replacement on its way")
        RETURN_REFUSED = "return_refused", _("Seller refused, support is on it")
        CANCELLED = "cancelled", _("Cancelled")
        DISCOUNT_REQUESTED = "discount_requested", _("Discount asked: waiting for the seller")
        DISCOUNT_OFFERED = "discount_offered", _("Seller's counter-offer: your answer")

    NEEDS_ACTION = frozenset({Status.PENDING_PAYMENT, Status.QC_FAILED, Status.DISCOUNT_OFFERED})
    DONE = frozenset({Status.STORED, Status.REFUNDED, Status.CANCELLED})

    number = models.CharField(_("order number"), max_length=16, unique=True, default=new_order_number, editable=False)
    shopper = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders", verbose_name=_("shopper")
    )
    product_title = models.CharField(_("product"), max_length=300)
    marketplace = models.CharField(_("marketplace"), max_length=16, choices=Marketplace, default=Marketplace.TAOBAO)
    product_url = models.URLField(_("marketplace URL"), max_length=1000)
    option_text = models.CharField(_("option"), max_length=200, blank=True, help_text=_("Size, colour..."))
    unit_price = models.DecimalField(
        _("unit price (CNY)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=1, validators=[MinValueValidator(1)])
    domestic_shipping = models.DecimalField(
        _("domestic shipping (CNY)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    category = models.CharField(
        _("product category"),
        max_length=16,
        choices=ProductCategory,
        default=ProductCategory.OTHER,
        help_text=_("Decides which photos the warehouse takes in QC."),
    )
    seller_name = models.CharField(_("seller"), max_length=200, blank=True)
    remark = models.TextField(_("remark"), blank=True)
    domestic_tracking = models.CharField(_("domestic tracking no."), max_length=64, blank=True)
    return_tracking = models.CharField(_("return tracking no."), max_length=64, blank=True)
    decision_deadline = models.DateTimeField(
        _("decision deadline"),
        null=True,
        blank=True,
        help_text=_("End of the window to keep, return or exchange after QC."),
    )
    decision_reminded_at = models.DateTimeField(_("decision reminder sent"), null=True, blank=True)
    # The decision clock stops while the shopper waits for us (extra photos) or the seller (a
    # discount): `decision_pauses` counts the reasons, and when the last one ends the deadline
    # moves by the time since `decision_paused_at`.
    decision_paused_at = models.DateTimeField(_("decision clock paused since"), null=True, blank=True)
    decision_pauses = models.PositiveSmallIntegerField(_("reasons the decision clock is paused"), default=0)
    status = FSMField(_("status"), max_length=32, choices=Status, default=Status.PENDING_PAYMENT, protected=True)
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["shopper", "-created_at"]),
            models.Index(fields=["status", "status_changed_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(unit_price__gt=0), name="order_unit_price_positive"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="order_quantity_positive"),
            models.CheckConstraint(condition=models.Q(domestic_shipping__gte=0), name="order_shipping_not_negative"),
            models.CheckConstraint(
                condition=models.Q(decision_pauses=0, decision_paused_at__isnull=True)
                | models.Q(decision_pauses__gt=0, decision_paused_at__isnull=False),
                name="order_decision_pause_has_a_start",
            ),
        ]
        permissions = [
            ("purchase_order", _("Can purchase orders and record domestic shipping")),
            ("receive_order", _("Can receive orders at the warehouse")),
            ("inspect_order", _("Can pass or fail QC")),
            ("manage_returns", _("Can run returns and exchanges with sellers")),
            ("resolve_refusal", _("Can compensate or restock after a seller refusal")),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("orders:detail", kwargs={"number": self.number})

    @classmethod
    def from_db(cls, db, field_names, values):
        order = super().from_db(db, field_names, values)
        # What was read, so a service saves only what it changed (`changed_fields`).
        order._loaded_values = dict(zip(field_names, values, strict=True))
        return order

    def changed_fields(self) -> list[str] | None:
        """The fields changed since this row was read, for `save(update_fields=...)`; None for a
        row not read from the database (save it whole)."""
        loaded = getattr(self, "_loaded_values", None)
        if loaded is None:
            return None
        return [
            field.name
            for field in self._meta.concrete_fields
            if field.attname in loaded and getattr(self, field.attname) != loaded[field.attname]
        ]

    @property
    def items_total(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def total(self) -> Decimal:
        return self.items_total + self.domestic_shipping

    @property
    def needs_action(self) -> bool:
        return self.status in self.NEEDS_ACTION

    @property
    def is_done(self) -> bool:
        return self.status in self.DONE

    @property
    def decision_paused(self) -> bool:
        return self.decision_pauses > 0

    def decision_window_open(self) -> bool:
        """Whether the shopper may still decide: before the deadline, or at any time while the
        clock is paused (the deadline then moves on when the pause ends)."""
        if self.decision_deadline is None:
            return False
        return self.decision_paused or timezone.now() < self.decision_deadline

    def pause_decision(self) -> None:
        """Stop the decision clock (in memory; the caller saves). Pauses nest: the clock runs
        again when each has been resumed."""
        if not self.decision_paused:
            self.decision_paused_at = timezone.now()
        self.decision_pauses += 1

    def resume_decision(self) -> timedelta:
        """End one pause (in memory; the caller saves). When it was the last, the deadline moves
        by the time the clock stood still, which is returned (zero while another pause holds):
        the time left is what it was when the clock stopped, so a reminder sent before still
        stands."""
        if not self.decision_paused:
            return timedelta(0)
        self.decision_pauses -= 1
        if self.decision_paused:
            return timedelta(0)
        now = timezone.now()
        stood_still = now - self.decision_paused_at
        self.decision_paused_at = None
        if self.decision_deadline is None:
            return timedelta(0)
        self.decision_deadline += stood_still
        return stood_still

    # --- Transitions: state changes only. Services add saving, events, money, notifications.

    @transition(status, Status.PENDING_PAYMENT, Status.PAID, permission=is_shopper, custom={"label": _("Pay")})
    def pay(self) -> None:
        pass

    @transition(
        status,
        [Status.PENDING_PAYMENT, Status.PAID],
        Status.CANCELLED,
        permission=is_shopper_or_purchaser,
        custom={"label": _("Cancel order")},
    )
    def cancel(self) -> None:
        pass

    @transition(status, Status.PAID, Status.CANCELLED, permission=PERM_PURCHASE, custom={"label": _("Out of stock")})
    def mark_out_of_stock(self) -> None:
        pass

    @transition(status, Status.PAID, Status.PURCHASED, permission=PERM_PURCHASE, custom={"label": _("Mark purchased")})
    def purchase(self) -> None:
        pass

    @transition(
        status,
        Status.PURCHASED,
        Status.SHIPPED_TO_WAREHOUSE,
        permission=PERM_PURCHASE,
        custom={"label": _("Shipped to warehouse"), "needs": ("tracking",)},
    )
    def ship_to_warehouse(self, tracking: str) -> None:
        self.domestic_tracking = tracking

    @transition(
        status,
        [Status.SHIPPED_TO_WAREHOUSE, Status.AWAITING_REPLACEMENT],
        Status.AWAITING_QC,
        permission=PERM_RECEIVE,
        custom={"label": _("Receive at warehouse")},
    )
    def receive(self) -> None:
        pass

    @transition(status, Status.AWAITING_QC, Status.STORED, permission=PERM_INSPECT, custom={"label": _("Pass QC")})
    def pass_qc(self, window_ends_at) -> None:
        self.decision_deadline = window_ends_at

    @transition(status, Status.AWAITING_QC, Status.QC_FAILED, permission=PERM_INSPECT, custom={"label": _("Fail QC")})
    def fail_qc(self, decision_deadline) -> None:
        self.decision_deadline = decision_deadline
        self.decision_reminded_at = None

    @transition(
        status,
        Status.QC_FAILED,
        Status.STORED,
        conditions=[decision_window_open],
        permission=is_shopper,
        custom={"label": _("Keep it")},
    )
    def keep(self) -> None:
        pass

    @transition(
        status,
        [Status.QC_FAILED, Status.STORED],
        Status.RETURN_REQUESTED,
        conditions=[decision_window_open],
        permission=is_shopper,
        custom={"label": _("Return for refund")},
    )
    def request_refund(self) -> None:
        pass

    @transition(
        status,
        [Status.QC_FAILED, Status.STORED],
        Status.EXCHANGE_REQUESTED,
        conditions=[decision_window_open],
        permission=is_shopper,
        custom={"label": _("Exchange")},
    )
    def request_exchange(self) -> None:
        pass

    # Keep it at a discount: the shopper asks the seller for part of the price back; support
    # records the seller's answer. The decision clock stands still while the seller is asked.
    @transition(
        status,
        Status.QC_FAILED,
        Status.DISCOUNT_REQUESTED,
        conditions=[decision_window_open],
        permission=is_shopper,
        custom={"label": _("Keep it at a discount")},
    )
    def request_discount(self) -> None:
        self.pause_decision()

    @transition(
        status,
        Status.DISCOUNT_REQUESTED,
        Status.DISCOUNT_OFFERED,
        permission=PERM_RETURNS,
        custom={"label": _("Seller counter-offers"), "needs": ("amount",)},
    )
    def counter_discount(self) -> None:
        pass

    @transition(
        status,
        Status.DISCOUNT_REQUESTED,
        Status.STORED,
        permission=PERM_RETURNS,
        custom={"label": _("Seller accepts the discount")},
    )
    def accept_discount(self) -> None:
        self._kept_at_discount()

    @transition(
        status,
        Status.DISCOUNT_OFFERED,
        Status.STORED,
        permission=is_shopper,
        custom={"label": _("Accept the counter-offer")},
    )
    def accept_counter_offer(self) -> None:
        self._kept_at_discount()

    @transition(
        status,
        Status.DISCOUNT_REQUESTED,
        Status.QC_FAILED,
        permission=PERM_RETURNS,
        custom={"label": _("Seller refuses the discount"), "needs": ("note",)},
    )
    def refuse_discount(self) -> None:
        self.resume_decision()

    @transition(
        status,
        [Status.DISCOUNT_REQUESTED, Status.DISCOUNT_OFFERED],
        Status.QC_FAILED,
        permission=is_shopper,
        custom={"label": _("Back to the other choices")},
    )
    def withdraw_discount(self) -> None:
        self.resume_decision()

    def _kept_at_discount(self) -> None:
        self.resume_decision()
        self.decision_deadline = None  # kept for a partial refund: no change-of-mind return after

    @transition(status, Status.QC_FAILED, Status.STORED, custom={"label": _("Close decision window")})
    def expire_decision(self) -> None:
        pass

    @transition(
        status,
        Status.RETURN_REQUESTED,
        Status.RETURNING,
        permission=PERM_RETURNS,
        custom={"label": _("Ship return"), "needs": ("tracking",)},
    )
    @transition(
        status,
        Status.EXCHANGE_REQUESTED,
        Status.EXCHANGE_RETURNING,
        permission=PERM_RETURNS,
        custom={"label": _("Ship return"), "needs": ("tracking",)},
    )
    def ship_return(self, tracking: str) -> None:
        self.return_tracking = tracking

    @transition(
        status,
        Status.RETURNING,
        Status.SELLER_REFUNDING,
        permission=PERM_RETURNS,
        custom={"label": _("Seller received")},
    )
    def seller_received(self) -> None:
        pass

    @transition(
        status,
        [Status.RETURNING, Status.SELLER_REFUNDING, Status.EXCHANGE_RETURNING],
        Status.RETURN_REFUSED,
        permission=PERM_RETURNS,
        custom={"label": _("Seller refused"), "needs": ("note",)},
    )
    def seller_refused(self) -> None:
        pass

    @transition(
        status,
        Status.SELLER_REFUNDING,
        Status.REFUNDED,
        permission=PERM_RETURNS,
        custom={"label": _("Confirm refund")},
    )
    def confirm_refund(self) -> None:
        pass

    @transition(
        status,
        Status.EXCHANGE_RETURNING,
        Status.AWAITING_REPLACEMENT,
        permission=PERM_RETURNS,
        custom={"label": _("Replacement shipped"), "needs": ("tracking", "price")},
    )
    def replacement_shipped(self, tracking: str) -> None:
        self.domestic_tracking = tracking

    @transition(
        status,
        Status.RETURN_REFUSED,
        Status.REFUNDED,
        permission=PERM_RESOLVE_REFUSAL,
        custom={"label": _("Compensate shopper")},
    )
    def compensate(self) -> None:
        pass

    @transition(
        status, Status.RETURN_REFUSED, Status.STORED, permission=PERM_RESOLVE_REFUSAL, custom={"label": _("Restock")}
    )
    def restock(self) -> None:
        self.decision_deadline = None  # the return was tried; no second change of mind


class OrderEvent(models.Model):
    """One line of an order's timeline: a status change or a note, by someone or by the system."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events", verbose_name=_("order"))
    from_status = models.CharField(_("from"), max_length=32, choices=Order.Status, blank=True)
    to_status = models.CharField(_("to"), max_length=32, choices=Order.Status, blank=True)
    transition = models.CharField(_("transition"), max_length=32, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    note = models.TextField(_("note"), blank=True)
    shopper_visible = models.BooleanField(_("shopper can see"), default=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        # The heading of each row of the order's timeline in the admin.
        if self.from_status and self.to_status:
            return _("%(before)s → %(after)s") % {
                "before": self.get_from_status_display(),
                "after": self.get_to_status_display(),
            }
        return self.get_to_status_display() or self.transition


# Django's default permission to see listing images, as the image view checks it for staff.
PERM_VIEW_LISTING = "orders.view_listingimage"
LISTING_RENDITIONS = ("full", "display", "thumb")


def new_listing_key() -> str:
    return secrets.token_urlsafe(18)


def listing_image_path(image: "ListingImage", filename: str) -> str:
    # Unguessable, and independent of the uploaded name; the storage stays private anyway.
    return f"listing/{image.key}/{filename}"


class ListingImageQuerySet(models.QuerySet):
    def delete(self):
        raise TypeError(
            "Listing images are deleted one at a time with orders.services.listing_image_delete, "
            "which removes their files."
        )


class ListingImage(models.Model):
    """A picture of the marketplace listing, to compare QC photos with: a screenshot the shopper
    attached when ordering, or a seller's photo the purchaser attached when buying.

    Checked like QC photos and stored only as renditions (upright, without EXIF/GPS or any
    other metadata): `full` at the uploaded size, `display` (about 1600 px) and `thumb` (about
    400 px). Served only through the permission-checked view; deleted through the service.
    """

    class Source(models.TextChoices):
        SHOPPER = "shopper", _("Your screenshot")
        PURCHASER = "purchaser", _("Seller's photo")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="listing_images", verbose_name=_("order"))
    key = models.CharField(max_length=32, unique=True, default=new_listing_key, editable=False, verbose_name=_("key"))
    source = models.CharField(pgettext_lazy("where a listing image comes from", "from"), max_length=16, choices=Source)
    full = models.FileField(_("full resolution"), upload_to=listing_image_path, max_length=255)
    display = models.FileField(_("display"), upload_to=listing_image_path, max_length=255)
    thumb = models.FileField(_("thumbnail"), upload_to=listing_image_path, max_length=255)
    width = models.PositiveIntegerField(_("width"), help_text=_("Pixels, upright."))
    height = models.PositiveIntegerField(_("height"), help_text=_("Pixels, upright."))
    display_width = models.PositiveIntegerField(verbose_name=_("display width"))
    display_height = models.PositiveIntegerField(verbose_name=_("display height"))
    thumb_width = models.PositiveIntegerField(verbose_name=_("thumb width"))
    thumb_height = models.PositiveIntegerField(verbose_name=_("thumb height"))
    bytes = models.PositiveBigIntegerField(_("bytes"), help_text=_("Size of the full-resolution file."))
    sha256 = models.CharField(_("content hash"), max_length=64, editable=False, help_text=_("Of the uploaded file."))
    original_name = models.CharField(_("uploaded as"), max_length=200, blank=True)
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

    objects = ListingImageQuerySet.as_manager()

    class Meta:
        verbose_name = _("listing image")
        verbose_name_plural = _("listing images")
        ordering = ["order", "source", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "sha256"], name="listing_image_unique_per_order"),
        ]

    def __str__(self) -> str:
        return _("%(source)s %(number)s") % {"source": self.get_source_display(), "number": self.position + 1}

    def url(self, rendition: str) -> str:
        return reverse("orders:listing_image", kwargs={"pk": self.pk, "rendition": rendition})

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
        return [f.name for f in (self.full, self.display, self.thumb) if f]
