"""All money movement goes through `ledger_post`.

A movement is a transaction whose entries sum to zero, with an idempotency key derived from its
cause, posted under row locks (a caller's order row first, then accounts in primary key order)
so double clicks, retried tasks and racing staff members move money once.
"""

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from common.errors import ActionRefused

from .models import ZERO, Account, Entry, LedgerTransaction, money

if TYPE_CHECKING:
    from accounts.models import User

Kind = LedgerTransaction.Kind


class LedgerError(ActionRefused):
    """A movement was refused; the message is fit to show the person who tried it."""


class InsufficientBalance(LedgerError):
    def __init__(self, *, balance: Decimal, needed: Decimal):
        self.balance, self.needed, self.missing = balance, needed, needed - balance
        super().__init__(
            _("Your balance is ¥%(balance)s but this needs ¥%(needed)s: top up ¥%(missing)s first.")
            % {"balance": balance, "needed": needed, "missing": self.missing}
        )


class AlreadyRecorded(LedgerError):
    """The same idempotency key was used for a different movement (a resubmitted, edited form)."""

    def __init__(self):
        super().__init__(_("This form was already submitted for another amount. Reload it to record a new one."))


# --- Accounts -------------------------------------------------------------------------------


def wallet_for(*, user: "User") -> Account:
    account, _ = Account.objects.get_or_create(user=user, defaults={"kind": Account.Kind.WALLET})
    return account


def platform_account(kind: str) -> Account:
    account, _ = Account.objects.get_or_create(kind=kind, user=None)
    return account


# --- The ledger -----------------------------------------------------------------------------


def ledger_post(
    *,
    key: str,
    kind: str,
    legs: Sequence[tuple[Account, Decimal]],
    description: str,
    order_id: int | None = None,
    by: "User | None" = None,
    reason: str = "",
    reverses: LedgerTransaction | None = None,
) -> tuple[LedgerTransaction, bool]:
    """Post one balanced transaction, once per `key`; return it and whether this call posted it
    (False: it was posted before, as get_or_create says). The same key for different legs raises
    AlreadyRecorded. `order_id` is the order the movement is about, if any.

    Raises InsufficientBalance, changing nothing, if a shopper wallet would go below zero.
    """
    legs = [(account, money(amount)) for account, amount in legs if money(amount) != ZERO]
    if not legs or sum(amount for _, amount in legs) != ZERO:
        raise ValueError(f"Unbalanced or empty transaction {key}: {legs}")
    with transaction.atomic():
        ids = sorted({account.pk for account, _ in legs})
        locked = {a.pk: a for a in Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
        # Re-checked under the locks: a racing post of the same key has committed by now.
        existing = LedgerTransaction.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return _same_movement(existing, legs), False
        change: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for account, amount in legs:
            change[account.pk] += amount
        for pk, delta in change.items():
            account = locked[pk]
            if account.kind == Account.Kind.WALLET and account.balance + delta < ZERO:
                raise InsufficientBalance(balance=account.balance, needed=-delta)
        try:
            with transaction.atomic():
                txn = LedgerTransaction.objects.create(
                    kind=kind,
                    idempotency_key=key,
                    order_id=order_id,
                    description=description,
                    reason=reason,
                    created_by=by,
                    reverses=reverses,
                )
        except IntegrityError:
            return _same_movement(LedgerTransaction.objects.get(idempotency_key=key), legs), False
        entries = []
        for account, amount in legs:
            current = locked[account.pk]
            current.balance += amount
            entries.append(Entry(transaction=txn, account=current, amount=amount, balance_after=current.balance))
        Entry.objects.bulk_create(entries)
        for pk in change:
            Account.objects.filter(pk=pk).update(balance=locked[pk].balance)
    return txn, True


def _same_movement(existing: LedgerTransaction, legs: list[tuple[Account, Decimal]]) -> LedgerTransaction:
    """The transaction already posted under this key, if it moved exactly these amounts."""
    posted = sorted((entry.account_id, entry.amount) for entry in existing.entries.all())
    if posted != sorted((account.pk, amount) for account, amount in legs):
        raise AlreadyRecorded()
    return existing


def ledger_reverse(*, txn: LedgerTransaction, by: "User | None", reason: str) -> tuple[LedgerTransaction, bool]:
    """Correct a transaction by posting its exact opposite (entries are never edited)."""
    if not reason.strip():
        raise LedgerError(_("Say why this transaction is reversed."))
    legs = [(entry.account, -entry.amount) for entry in txn.entries.select_related("account")]
    return ledger_post(
        key=f"reverse:{txn.pk}",
        kind=Kind.REVERSAL,
        legs=legs,
        description=_("Correction of: %(what)s") % {"what": txn.description},
        order_id=txn.order_id,
        by=by,
        reason=reason.strip(),
        reverses=txn,
    )


def _wallet_change(
    *,
    user: "User",
    amount: Decimal,
    by: "User | None",
    reason: str,
    key: str,
    kind: str,
    counter: str,
    description: str,
) -> tuple[LedgerTransaction, bool]:
    if not reason.strip():
        raise LedgerError(_("Give a reason for this change of balance."))
    return ledger_post(
        key=key,
        kind=kind,
        legs=[(wallet_for(user=user), amount), (platform_account(counter), -amount)],
        description=description,
        by=by,
        reason=reason.strip(),
    )


def wallet_topup(
    *, user: "User", amount: Decimal, by: "User | None", reason: str, token: str
) -> tuple[LedgerTransaction, bool]:
    """Staff record money the shopper sent. `token` comes from the form, so a double submit posts once."""
    amount = money(amount)
    if amount <= ZERO:
        raise LedgerError(_("A top-up must be more than ¥0.00."))
    return _wallet_change(
        user=user,
        amount=amount,
        by=by,
        reason=reason,
        key=f"topup:{token}",
        kind=Kind.TOPUP,
        counter=Account.Kind.TOPUPS,
        description=_("Top-up"),
    )


def wallet_adjust(
    *, user: "User", amount: Decimal, by: "User | None", reason: str, token: str
) -> tuple[LedgerTransaction, bool]:
    """A signed staff correction of a shopper's balance, with a mandatory reason."""
    amount = money(amount)
    if amount == ZERO:
        raise LedgerError(_("An adjustment cannot be ¥0.00."))
    return _wallet_change(
        user=user,
        amount=amount,
        by=by,
        reason=reason,
        key=f"adjust:{token}",
        kind=Kind.ADJUSTMENT,
        counter=Account.Kind.ADJUSTMENTS,
        description=_("Balance adjustment"),
    )
