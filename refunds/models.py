"""Return and exchange requests: a shopper's return of one order, from the request to its outcome."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger.models import MONEY
from orders.models import Order


class ReturnRequest(models.Model):
    """A shopper's return or exchange of one order, from the request to its outcome."""

    class Kind(models.TextChoices):
        REFUND = "refund", _("Return for refund")
        EXCHANGE = "exchange", _("Exchange")

    class Fault(models.TextChoices):
        SELLER = "seller", _("Seller (QC failed)")
        SHOPPER = "shopper", _("Change of mind")

    class Outcome(models.TextChoices):
        REFUNDED = "refunded", _("Refunded by the seller")
        REPLACEMENT_SHIPPED = "replacement_shipped", _("Replacement shipped")
        COMPENSATED = "compensated", _("Refunded by us after a seller refusal")
        RESTOCKED = "restocked", _("Kept in the warehouse after a seller refusal")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="return_requests", verbose_name=_("order"))
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    fault = models.CharField(_("fault"), max_length=10, choices=Fault)
    reason = models.TextField(_("reason"), blank=True)
    quote = models.JSONField(_("quote"), help_text=_("The itemised quote the shopper confirmed."))
    new_option = models.CharField(_("new option"), max_length=200, blank=True)
    new_unit_price = models.DecimalField(_("new unit price"), null=True, blank=True, **MONEY)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    return_tracking = models.CharField(_("return tracking no."), max_length=64, blank=True)
    shipped_at = models.DateTimeField(_("shipped back"), null=True, blank=True)
    seller_received_at = models.DateTimeField(_("seller received"), null=True, blank=True)
    seller_response = models.TextField(_("seller response"), blank=True)
    seller_responded_at = models.DateTimeField(_("seller responded"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=40, blank=True, choices=Outcome)

    class Meta:
        verbose_name = _("return request")
        verbose_name_plural = _("return requests")
        ordering = ["-requested_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["order", "round"], name="one_return_per_order_round")]

    def __str__(self) -> str:
        return f"{self.order.number} #{self.round} {self.get_kind_display()}"


class DiscountRequest(models.Model):
    """Keep it at a discount: the shopper keeps a QC-failed item if the seller refunds part of
    the price. One negotiation per request: the shopper's ask, the seller's answer recorded by
    support (accepted, a counter-offer, refused), and the shopper's answer to a counter-offer.
    `number` counts an order's requests and makes the credit's idempotency key."""

    class Status(models.TextChoices):
        ASKED = "asked", _("Waiting for the seller")
        COUNTERED = "countered", _("Counter-offer waiting for the shopper")
        ACCEPTED = "accepted", _("Accepted: kept at a discount")
        REFUSED = "refused", _("Refused by the seller")
        DECLINED = "declined", _("Counter-offer declined")
        WITHDRAWN = "withdrawn", _("Withdrawn by the shopper")

    OPEN = (Status.ASKED, Status.COUNTERED)

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="discount_requests", verbose_name=_("order")
    )
    number = models.PositiveSmallIntegerField(_("number"), default=1)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.ASKED)
    asked_amount = models.DecimalField(_("amount asked (CNY)"), **MONEY)
    reason = models.TextField(_("shopper's note"), blank=True)
    counter_amount = models.DecimalField(_("seller's counter-offer (CNY)"), null=True, blank=True, **MONEY)
    seller_response = models.TextField(_("seller's answer"), blank=True)
    credited_amount = models.DecimalField(_("credited (CNY)"), null=True, blank=True, **MONEY)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    seller_answered_at = models.DateTimeField(_("seller answered"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("discount request")
        verbose_name_plural = _("discount requests")
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "number"], name="one_discount_request_per_number"),
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(status__in=["asked", "countered"]),
                name="one_open_discount_request",
            ),
            models.CheckConstraint(condition=models.Q(asked_amount__gt=0), name="discount_asked_positive"),
            models.CheckConstraint(
                condition=models.Q(counter_amount__isnull=True)
                | models.Q(counter_amount__gt=0, counter_amount__lt=models.F("asked_amount")),
                name="discount_counter_below_the_ask",
            ),
            models.CheckConstraint(
                condition=models.Q(status="accepted", credited_amount__gt=0)
                | (~models.Q(status="accepted") & models.Q(credited_amount__isnull=True)),
                name="discount_credited_when_accepted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order.number} discount #{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN
