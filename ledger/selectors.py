from typing import TYPE_CHECKING

from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from .models import ZERO, Account, Entry, LedgerTransaction, money

if TYPE_CHECKING:
    from decimal import Decimal

    from accounts.models import User


def wallet_balance(*, user: "User") -> "Decimal":
    return Account.objects.filter(user=user).values_list("balance", flat=True).first() or ZERO


def order_refundable(*, order_id: int) -> "Decimal":
    """What the shopper paid for this order and has not had back yet."""
    total = Entry.objects.filter(transaction__order_id=order_id, account__kind=Account.Kind.WALLET).aggregate(
        total=Sum("amount")
    )["total"]
    return money(max(-(total or ZERO), ZERO))


def statement_entries(*, user: "User") -> QuerySet[Entry]:
    """The shopper's wallet lines, newest first, with what the statement shows in one query."""
    return (
        Entry.objects.filter(account__user=user, account__kind=Account.Kind.WALLET)
        .select_related("transaction__order")
        .order_by("-id")
    )


def ledger_violations() -> list[str]:
    """Every way the ledger is wrong: unbalanced transactions, cached balances that differ from
    their entries, negative shopper wallets. Empty when all is well."""
    problems = []
    unbalanced = (
        LedgerTransaction.objects.annotate(total=Coalesce(Sum("entries__amount"), ZERO))
        .filter(~Q(total=0))
        .values_list("idempotency_key", "total")
    )
    problems += [f"transaction {key} sums to {total}, not 0" for key, total in unbalanced]
    empty = LedgerTransaction.objects.filter(entries__isnull=True).values_list("idempotency_key", flat=True)
    problems += [f"transaction {key} has no entries" for key in empty]
    drifted = (
        Account.objects.annotate(entries_total=Coalesce(Sum("entries__amount"), ZERO))
        .exclude(balance=F("entries_total"))
        .values_list("pk", "kind", "balance", "entries_total")
    )
    problems += [
        f"account {pk} ({kind}) caches {balance} but its entries sum to {total}"
        for pk, kind, balance, total in drifted
    ]
    negative = Account.objects.filter(kind=Account.Kind.WALLET, balance__lt=0).values_list("pk", "balance")
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
