import secrets
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
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

    NEEDS_ACTION = frozenset({Status.PENDING_PAYMENT, Status.QC_FAILED})
    DONE = frozenset({Status.STORED, Status.REFUNDED, Status.CANCELLED})

    number = models.CharField(_("order number"), max_length=16, unique=True, default=new_order_number, editable=False)
    shopper = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
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

    def decision_window_open(self) -> bool:
        return self.decision_deadline is not None and timezone.now() < self.decision_deadline

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

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(_("from"), max_length=32, choices=Order.Status, blank=True)
    to_status = models.CharField(_("to"), max_length=32, choices=Order.Status, blank=True)
    transition = models.CharField(_("transition"), max_length=32, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    shopper_visible = models.BooleanField(_("shopper can see"), default=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} -> {self.to_status}"
