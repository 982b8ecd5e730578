"""The ledger (accounts, transactions, entries) and return/exchange requests.

Money is Decimal with 2 places, in CNY. An entry's amount is what it adds to its account's
balance: a shopper's payment is -total on the wallet and +total on "order payments".
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import Order

MONEY = {"max_digits": 14, "decimal_places": 2}
CENT = Decimal("0.01")


class AppendOnlyError(Exception):
    """Ledger entries and transactions are never changed or deleted; post a reversal instead."""


class Account(models.Model):
    class Kind(models.TextChoices):
        WALLET = "wallet", _("Shopper wallet")
        TOPUPS = "topups", _("Top-ups received")
        ORDER_PAYMENTS = "order_payments", _("Order payments")
        SELLER_REFUNDS = "seller_refunds", _("Seller refunds")
        COMPENSATION = "compensation", _("Platform compensation")
        FEES = "fees", _("Fees")
        ADJUSTMENTS = "adjustments", _("Adjustments")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="wallet"
    )
    balance = models.DecimalField(_("balance"), default=Decimal("0.00"), **MONEY)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["kind", "user__email"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="wallet") | Q(balance__gte=0), name="wallet_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(kind="wallet", user__isnull=False) | (~Q(kind="wallet") & Q(user__isnull=True)),
                name="wallet_has_user_platform_has_none",
            ),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(user__isnull=True), name="one_platform_account_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.email} wallet" if self.user_id else self.get_kind_display()


class LedgerTransaction(models.Model):
    class Kind(models.TextChoices):
        TOPUP = "topup", _("Top-up")
        PAYMENT = "payment", _("Order payment")
        CANCEL_REFUND = "cancel_refund", _("Refund of a cancelled order")
        REFUND = "refund", _("Refund")
        COMPENSATION = "compensation", _("Compensation")
        EXCHANGE_PAYMENT = "exchange_payment", _("Exchange price difference paid")
        EXCHANGE_CREDIT = "exchange_credit", _("Exchange price difference refunded")
        ADJUSTMENT = "adjustment", _("Adjustment")
        REVERSAL = "reversal", _("Reversal")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    idempotency_key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_transactions"
    )
    description = models.CharField(_("description"), max_length=300)
    reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        ordering = ["-created_at", "-id"]
        permissions = [("record_topup", _("Can record top-ups and adjustments"))]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.idempotency_key}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("Ledger transactions are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Ledger transactions are append-only.")


class EntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Ledger entries are append-only.")

    def delete(self):
        raise AppendOnlyError("Ledger entries are append-only.")


class Entry(models.Model):
    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.DecimalField(_("amount"), **MONEY)
    balance_after = models.DecimalField(_("balance after"), **MONEY)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        ordering = ["-id"]
        indexes = [models.Index(fields=["account", "-id"])]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="entry_amount_not_zero")]

    def __str__(self) -> str:
        return f"{self.account} {self.amount:+}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Ledger entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Ledger entries are append-only.")


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
