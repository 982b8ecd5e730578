from typing import TYPE_CHECKING

from django.db.models import F, Q, QuerySet, Sum, Window
from django.db.models.functions import Coalesce

from .models import ZERO, Account, Entry, LedgerTransaction, money

if TYPE_CHECKING:
    from decimal import Decimal

    from accounts.models import User


def wallet_balance(*, user: "User") -> "Decimal":
    return Account.objects.filter(user=user).values_list("balance", flat=True).first() or ZERO


def order_refundable(*, order_id: int) -> "Decimal":
    """What the shopper paid for this order and has not had back yet (returns, compensation,
    discounts...). Service fees about the order (extra photos) are settled on their own."""
    total = (
        Entry.objects.filter(transaction__order_id=order_id, account__kind=Account.Kind.WALLET)
        .exclude(transaction__kind__in=LedgerTransaction.SERVICE_FEE_KINDS)
        .aggregate(total=Sum("amount"))["total"]
    )
    return money(max(-(total or ZERO), ZERO))


def statement_entries(*, user: "User") -> QuerySet[Entry]:
    """The shopper's wallet lines, newest first, with what the statement shows in one query."""
    return (
        Entry.objects.filter(account__user=user, account__kind=Account.Kind.WALLET)
        .select_related("transaction__order")
        .order_by("-id")
    )


def platform_balance(*, kind: str) -> "Decimal":
    """A platform account's balance: the sum of its entries (platform accounts cache none)."""
    total = Entry.objects.filter(account__kind=kind, account__user__isnull=True).aggregate(total=Sum("amount"))
    return total["total"] or ZERO


def ledger_violations() -> list[str]:
    """Every way the ledger is wrong: unbalanced transactions, wallet balances that differ from
    their entries, statements whose running balance does not add up, negative shopper wallets.
    Empty when all is well. A platform account's balance is the sum of its entries (the database
    refuses a cached one), so with every transaction balanced the platform balances and the
    wallets' entries always sum to zero."""
    problems = []
    unbalanced = (
        LedgerTransaction.objects.annotate(total=Coalesce(Sum("entries__amount"), ZERO))
        .filter(~Q(total=0))
        .values_list("idempotency_key", "total")
    )
    problems += [f"transaction {key} sums to {total}, not 0" for key, total in unbalanced]
    empty = LedgerTransaction.objects.filter(entries__isnull=True).values_list("idempotency_key", flat=True)
    problems += [f"transaction {key} has no entries" for key in empty]
    wallets = Account.objects.filter(kind=Account.Kind.WALLET)
    drifted = (
        wallets.annotate(entries_total=Coalesce(Sum("entries__amount"), ZERO))
        .exclude(balance=F("entries_total"))
        .values_list("pk", "balance", "entries_total")
    )
    problems += [f"wallet {pk} caches {balance} but its entries sum to {total}" for pk, balance, total in drifted]
    # Each wallet entry's balance_after is what the statement shows: the sum of the wallet's
    # entries up to it (entries of a wallet are written under its lock, so in id order).
    misstated = (
        Entry.objects.filter(account__kind=Account.Kind.WALLET)
        .annotate(running=Window(Sum("amount"), partition_by=F("account_id"), order_by=F("id").asc()))
        .exclude(balance_after=F("running"))
        .values_list("account_id", "pk", "balance_after", "running")
    )
    problems += [
        f"wallet {account} entry {pk} states a balance of {stated} but its entries sum to {running}"
        for account, pk, stated, running in misstated
    ]
    negative = wallets.filter(balance__lt=0).values_list("pk", "balance")
    problems += [f"wallet {pk} is negative: {balance}" for pk, balance in negative]
    return problems


def posted_transaction(*, key: str) -> LedgerTransaction | None:
    """The transaction posted under this idempotency key, if any."""
    return LedgerTransaction.objects.filter(idempotency_key=key).first()


def transaction_wallet_amount(*, txn: LedgerTransaction) -> "Decimal":
    """What a transaction moved on shopper wallets (positive: credited)."""
    return money(txn.entries.filter(account__kind=Account.Kind.WALLET).aggregate(total=Sum("amount"))["total"] or ZERO)


def order_last_wallet_entry(*, order_id: int) -> Entry | None:
    """The newest movement of the order's shopper wallet caused by the order, with its account's
    shopper: what a staff step on the order just credited, and the balance after it."""
    return (
        Entry.objects.filter(transaction__order_id=order_id, account__kind=Account.Kind.WALLET)
        .select_related("account__user")
        .order_by("-id")
        .first()
    )


def order_wallet_entries(*, order_id: int) -> list[Entry]:
    """What one order moved on its shopper's balance, oldest first, each line with its
    transaction (kind, key, time): the record every sentence about that order's money is
    written from. One query."""
    return list(
        Entry.objects.filter(transaction__order_id=order_id, account__kind=Account.Kind.WALLET)
        .select_related("transaction")
        .order_by("id")
    )
