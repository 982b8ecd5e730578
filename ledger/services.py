"""All money movement goes through `ledger_post`.

A movement is a transaction whose entries sum to zero, with an idempotency key derived from its
cause, so double clicks, retried tasks and racing staff members move money once. Locks are taken
in one order: a caller's order row first, then the shopper wallets of the movement in primary key
order. Platform accounts are never locked: their balance is derived from their entries, so
payments of different shoppers never wait for each other.
"""

from collections.abc import Sequence
from contextlib import nullcontext
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import ActionRefused
from common.sql import column, insert_sql, placeholders, table

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
    """The shopper's wallet, opened on first use. Its balance is read when asked for (use
    `wallet_balance` to show it): the account may be held a while, the balance changes."""
    return (
        _account(user_id=user.pk)
        or Account.objects.get_or_create(user=user, defaults={"kind": Account.Kind.WALLET})[0]
    )


def platform_account(kind: str) -> Account:
    return _account(kind=kind) or Account.objects.get_or_create(kind=kind, user=None, defaults={"balance": None})[0]


def payment_accounts(*, user: "User", kind: str) -> tuple[Account, Account]:
    """The shopper's wallet and the platform account of `kind` (what a payment moves money
    between), read in one query once both exist; each is opened on first use."""
    with connection.cursor() as cursor:
        cursor.execute(_payment_accounts_sql(connection.vendor), [user.pk, kind])
        accounts = [_account_read(row) for row in cursor.fetchall()]
    wallet = next((account for account in accounts if account.user_id is not None), None) or wallet_for(user=user)
    platform = next((account for account in accounts if account.user_id is None), None) or platform_account(kind)
    return wallet, platform


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
    Runs in the caller's transaction if there is one (the wallets stay locked until it ends).
    """
    legs = [(account, money(amount)) for account, amount in legs if money(amount) != ZERO]
    if not legs or sum(amount for _, amount in legs) != ZERO:
        raise ValueError(f"Unbalanced or empty transaction {key}: {legs}")
    changes: dict[int, Decimal] = {}
    for account, amount in legs:
        if account.kind == Account.Kind.WALLET:
            changes[account.pk] = changes.get(account.pk, ZERO) + amount
    # Every refusal below is raised before anything is written, so inside a caller's transaction
    # no savepoint is needed (it would cost two more round trips per posting).
    with nullcontext() if connection.in_atomic_block else transaction.atomic(), connection.cursor() as cursor:
        balances = _lock_wallets(cursor, sorted(changes))
        short = next((pk for pk, change in changes.items() if balances[pk] + change < ZERO), None)
        now = timezone.now()
        at = connection.ops.adapt_datetimefield_value(now)  # as this database stores times
        txn_id = None
        if short is None:
            txn_id = _insert_returning_id(
                cursor,
                LedgerTransaction,
                {
                    "kind": kind,
                    "idempotency_key": key,
                    "order": order_id,
                    "description": description,
                    "reason": reason,
                    "created_by": by.pk if by is not None else None,
                    "reverses": reverses.pk if reverses is not None else None,
                    "created_at": at,
                },
                conflict="idempotency_key",
            )
        if txn_id is None:
            # Posted before under this key (the wallet locks, or the key's own index entry, made
            # a racing post of it wait until it committed), or refused for want of balance.
            existing = LedgerTransaction.objects.filter(idempotency_key=key).first()
            if existing is None:
                raise InsufficientBalance(balance=balances[short], needed=-changes[short])
            return _same_movement(existing, legs), False
        rows = []
        for account, amount in legs:
            balance_after = None
            if account.pk in balances:
                balance_after = balances[account.pk] = balances[account.pk] + amount
            rows.append(
                {
                    "transaction": txn_id,
                    "account": account.pk,
                    "amount": amount,
                    "balance_after": balance_after,
                    "created_at": at,
                }
            )
        _insert(cursor, Entry, rows)
        _set_balances(cursor, {pk: balances[pk] for pk in changes})
    txn = LedgerTransaction(
        id=txn_id,
        kind=kind,
        idempotency_key=key,
        order_id=order_id,
        description=description,
        reason=reason,
        created_by=by,
        reverses=reverses,
        created_at=now,
    )
    txn._state.adding, txn._state.db = False, connection.alias  # as Model.from_db does
    return txn, True


# --- The posting's SQL -------------------------------------------------------------------
# Written out rather than built by the ORM (common.sql says why and how): these statements run
# for every payment. Only names taken from the models and placeholders go into the text (hence
# the noqa: S608 below); every value is a parameter.


def _account(*, user_id: int | None = None, kind: str | None = None) -> Account | None:
    """The user's wallet, or else the platform account of `kind`, if it exists, with only what
    postings need (id, kind, user) read now."""
    with connection.cursor() as cursor:
        wallet = user_id is not None
        cursor.execute(_account_sql(connection.vendor, wallet=wallet), [user_id if wallet else kind])
        row = cursor.fetchone()
    return _account_read(row) if row else None


def _account_read(row) -> Account:
    """An account from a row of `_account_sql`: only what postings need (id, kind, user)."""
    return Account.from_db(connection.alias, ["id", "kind", "user_id"], row)


def _lock_wallets(cursor, ids: list[int]) -> dict[int, Decimal]:
    """Lock these wallets (in primary key order, so two postings never wait for each other in a
    circle) and read their balances under the lock."""
    if not ids:
        return {}
    cursor.execute(_lock_wallets_sql(connection.vendor, len(ids)), ids)
    # SQLite returns a NUMERIC column as an int or a float: through str, never Decimal(float).
    return {pk: money(str(balance)) for pk, balance in cursor.fetchall()}


def _insert_returning_id(cursor, model: type[models.Model], values: dict, *, conflict: str) -> int | None:
    """Insert one row and return its id, or None if a row with the same `conflict` value exists
    (ON CONFLICT DO NOTHING: no error, so no savepoint to recover from one)."""
    cursor.execute(insert_sql(connection.vendor, model, tuple(values), 1, conflict), list(values.values()))
    row = cursor.fetchone()
    return row[0] if row else None


def _insert(cursor, model: type[models.Model], rows: list[dict]) -> None:
    params = [value for row in rows for value in row.values()]
    cursor.execute(insert_sql(connection.vendor, model, tuple(rows[0]), len(rows), None), params)


def _set_balances(cursor, balances: dict[int, Decimal]) -> None:
    for pk, balance in balances.items():
        cursor.execute(_set_balance_sql(connection.vendor), [balance, pk])


# The statements are cached per database vendor (their quoting) and shape.


@cache
def _account_sql(vendor: str, *, wallet: bool) -> str:
    kind, user = column(Account, "kind"), column(Account, "user")
    where = f"{user} = %s" if wallet else f"{user} IS NULL AND {kind} = %s"
    return f"SELECT {column(Account, 'id')}, {kind}, {user} FROM {table(Account)} WHERE {where}"  # noqa: S608


@cache
def _payment_accounts_sql(vendor: str) -> str:
    return f"{_account_sql(vendor, wallet=True)} UNION ALL {_account_sql(vendor, wallet=False)}"


@cache
def _lock_wallets_sql(vendor: str, count: int) -> str:
    for_update = " FOR UPDATE" if connection.features.has_select_for_update else ""
    pk = column(Account, "id")
    return (
        f"SELECT {pk}, {column(Account, 'balance')} FROM {table(Account)} "  # noqa: S608
        f"WHERE {pk} IN ({placeholders(count)}) ORDER BY {pk}{for_update}"
    )


@cache
def _set_balance_sql(vendor: str) -> str:
    return f"UPDATE {table(Account)} SET {column(Account, 'balance')} = %s WHERE {column(Account, 'id')} = %s"  # noqa: S608


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
