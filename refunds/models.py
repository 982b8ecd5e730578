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

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="return_requests")
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    fault = models.CharField(_("fault"), max_length=10, choices=Fault)
    reason = models.TextField(_("reason"), blank=True)
    quote = models.JSONField(_("quote"), help_text=_("The itemised quote the shopper confirmed."))
    new_option = models.CharField(_("new option"), max_length=200, blank=True)
    new_unit_price = models.DecimalField(_("new unit price"), null=True, blank=True, **MONEY)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    return_tracking = models.CharField(_("return tracking no."), max_length=64, blank=True)
    shipped_at = models.DateTimeField(_("shipped back"), null=True, blank=True)
    seller_received_at = models.DateTimeField(_("seller received"), null=True, blank=True)
    seller_response = models.TextField(_("seller response"), blank=True)
    seller_responded_at = models.DateTimeField(_("seller responded"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("return request")
        verbose_name_plural = _("return requests")
        ordering = ["-requested_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["order", "round"], name="one_return_per_order_round")]

    def __str__(self) -> str:
        return f"{self.order.number} #{self.round} {self.get_kind_display()}"
