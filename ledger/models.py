"""The ledger: accounts, transactions and their entries.

Money is Decimal with 2 places, in CNY. An entry's amount is what it adds to its account's
balance: a shopper's payment is -total on the wallet and +total on "order payments".

Only shopper wallets cache their balance on the account row (it must be checked, under the
wallet's row lock, before money leaves). A platform account's balance is the sum of its entries:
every payment of every shopper credits the same few platform accounts, and a cached balance there
would be one row that each payment locks and updates until it commits, one payment at a time.

The ledger sits below every other app: it knows an order only by the lazy reference
"orders.Order" and imports no app of ours. Its tables keep the names they had when the ledger
lived in the refunds app.
"""

from decimal import ROUND_HALF_UP, Decimal

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Permission codename, declared once in LedgerTransaction.Meta and used by the admin.
PERM_RECORD_TOPUP = "ledger.record_topup"

MONEY = {"max_digits": 14, "decimal_places": 2}
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class AppendOnlyError(Exception):
    """Ledger entries and transactions are never changed or deleted; post a reversal instead."""


# PostgreSQL refuses any UPDATE or DELETE of ledger rows, whatever the code does (the save() and
# delete() below say it first, in Python, on every database).
APPEND_ONLY = pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)


class AccountQuerySet(models.QuerySet):
    def with_balance(self) -> "AccountQuerySet":
        """Annotate `current_balance`: the cached balance of a wallet, the sum of the entries of a
        platform account (only computed for those: COALESCE stops at the first non-null value)."""
        entries_total = (
            Entry.objects.filter(account=models.OuterRef("pk"))
            .order_by()
            .values("account")
            .annotate(total=models.Sum("amount"))
            .values("total")
        )
        return self.annotate(
            current_balance=Coalesce(
                "balance",
                models.Subquery(entries_total),
                models.Value(ZERO),
                output_field=models.DecimalField(**MONEY),
            )
        )


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
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="wallet",
        verbose_name=_("user"),
    )
    # Cached for wallets only (see the module docstring); NULL on platform accounts.
    balance = models.DecimalField(_("balance"), null=True, blank=True, default=Decimal("0.00"), **MONEY)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = AccountQuerySet.as_manager()

    class Meta:
        db_table = "refunds_account"
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
            models.CheckConstraint(
                condition=Q(kind="wallet", balance__isnull=False) | (~Q(kind="wallet") & Q(balance__isnull=True)),
                name="only_wallets_cache_a_balance",
            ),
        ]

    def __str__(self) -> str:
        if self.user_id:
            return _("Wallet of %(email)s") % {"email": self.user.email}
        return str(self.get_kind_display())


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
        DISCOUNT = "discount", _("Partial refund (kept at a discount)")
        PHOTO_FEE = "photo_fee", _("Extra photo fee")
        PHOTO_FEE_REFUND = "photo_fee_refund", _("Extra photo fee refunded")

    # Service fees charged about an order that are not part of what was paid for the goods:
    # they are neither refundable with the order nor count as refunds of it.
    SERVICE_FEE_KINDS = (Kind.PHOTO_FEE, Kind.PHOTO_FEE_REFUND)

    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    idempotency_key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_transactions",
        verbose_name=_("order"),
    )
    description = models.CharField(_("description"), max_length=300)
    reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        db_table = "refunds_ledgertransaction"
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        ordering = ["-created_at", "-id"]
        permissions = [("record_topup", _("Can record top-ups and adjustments"))]
        triggers = [
            APPEND_ONLY,
            # Checked when the database transaction commits, once all its entries (refunds_entry,
            # Entry's table) are written.
            pgtrigger.Trigger(
                name="has_entries",
                level=pgtrigger.Row,
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                timing=pgtrigger.Deferred,
                func="""
                    IF NOT EXISTS (SELECT 1 FROM refunds_entry WHERE transaction_id = NEW.id) THEN
                        RAISE EXCEPTION 'ledger transaction % has no entries', NEW.idempotency_key
                            USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN NULL;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.idempotency_key}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("Ledger transactions are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Ledger transactions are append-only.")

    @property
    def statement_text(self) -> str:
        """What a statement line says, in the reader's language. `description` was written in
        the language active when the money moved (often the other person's); every kind about an
        order is worded from its kind and the order's number, with the msgids the services write
        it with, so a reader sees the same sentence in theirs. Others keep their description."""
        if self.kind in STATEMENT_TEXTS and self.order_id is not None:
            return order_statement(self.kind, self.order.number)
        return WALLET_TEXTS.get(self.kind, self.description)


K = LedgerTransaction.Kind
# The statement's sentence for each kind of transaction about an order (see statement_text).
STATEMENT_TEXTS = {
    K.PAYMENT: _("Payment for order %(number)s"),
    K.CANCEL_REFUND: _("Refund of cancelled order %(number)s"),
    K.REFUND: _("Refund for order %(number)s"),
    K.COMPENSATION: _("Refund for order %(number)s"),
    K.EXCHANGE_PAYMENT: _("Exchange of order %(number)s: difference paid"),
    K.EXCHANGE_CREDIT: _("Exchange of order %(number)s: difference refunded"),
    K.DISCOUNT: _("Discount on order %(number)s: part of the price back, item kept"),
    K.PHOTO_FEE: _("Extra photos for order %(number)s"),
    K.PHOTO_FEE_REFUND: _("Refund of extra photos for order %(number)s (not answered in time)"),
}
# ... and for the kinds that are about the balance alone.
WALLET_TEXTS = {K.TOPUP: _("Top-up"), K.ADJUSTMENT: _("Balance adjustment")}
del K


def order_statement(kind: str, number: str) -> str:
    """The sentence a transaction of `kind` about order `number` is described by, in the active
    language: what the services store as its description, and what a statement shows."""
    return str(STATEMENT_TEXTS[kind]) % {"number": number}


class EntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Ledger entries are append-only.")

    def delete(self):
        raise AppendOnlyError("Ledger entries are append-only.")


class Entry(models.Model):
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries", verbose_name=_("transaction")
    )
    # Indexed by the (account, -id) index below, which the statement reads.
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="entries", db_index=False, verbose_name=_("account")
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    # A wallet's running balance, for its statement; platform accounts keep none (their balance
    # is derived), so their entries written since have NULL here.
    balance_after = models.DecimalField(_("balance after"), null=True, blank=True, **MONEY)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    objects = EntryQuerySet.as_manager()

    class Meta:
        db_table = "refunds_entry"
        verbose_name = pgettext_lazy("ledger", "entry")
        verbose_name_plural = pgettext_lazy("ledger", "entries")
        ordering = ["-id"]
        indexes = [models.Index(fields=["account", "-id"])]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="entry_amount_not_zero")]
        triggers = [
            APPEND_ONLY,
            # Checked when the database transaction commits: by then every leg is written, so a
            # movement whose legs do not cancel out is refused whichever code wrote it.
            pgtrigger.Trigger(
                name="transaction_balanced",
                level=pgtrigger.Row,
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                timing=pgtrigger.Deferred,
                func=pgtrigger.Func(
                    """
                    IF (SELECT SUM({columns.amount}) FROM {meta.db_table}
                        WHERE {columns.transaction} = NEW.{columns.transaction}) <> 0 THEN
                        RAISE EXCEPTION 'ledger transaction % does not sum to zero', NEW.{columns.transaction}
                            USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN NULL;
                    """
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount:+}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Ledger entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Ledger entries are append-only.")
