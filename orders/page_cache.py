"""The order page, kept in the cache under a stamp of everything it shows.

A shopper opens an order page again and again (a QC verdict to decide on, a return on its
way), and nothing on it has changed most of those times. Rendering it costs a dozen queries
and most of a request's CPU; reading it back costs one query and one cache read.

The stamp is one query (a PL/pgSQL function, see FUNCTION): the order (the shopper's own, else
a 404) and, for every table that holds rows about it (found from the models: anything with a
foreign key to the order, or to such a row, three steps deep) and for the shopper's own row and
wallet, a digest of the system columns PostgreSQL moves on every change of a row (`xmin`, the
transaction that wrote this version; `ctid`, where it lies). An insert, an update or a delete
anywhere in those rows gives another stamp, by whatever code it was made (the ORM, a queryset
update, raw SQL). The same query reads the two figures the site header shows (balance, unread
notifications), so the header of this page needs no query of its own.

Two entries: the page's content, and the whole page (layout and header around the content) for
a plain view. Their key holds what the page is shown in (language, time zone), the minute (the
page says how long is left to decide), the expiry of its photos' signed addresses and the
static files' manifest; the whole page's adds its address and the unread count. An entry lives
two minutes at most, so what the stamp does not see (a staff member's name) is at most that
late. The CSRF token is not kept: both are rendered with a placeholder, which each response
replaces with its own token (common.kept_html).

Only on PostgreSQL: elsewhere (SQLite for `make run`) `page_stamp` is None and the page is
rendered each time.
"""

import functools
import hashlib
import time
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from common.kept_html import with_csrf_token
from common.serving import signed_url_expiry, signed_url_step_left
from ledger.models import ZERO

from .models import Order

KEEP_SECONDS = 120
_DEPTH = 3


def _rows_about_orders() -> list[tuple[type[models.Model], str]]:
    """Every model with rows about an order, with the lookup from it to the order's pk (the
    shortest one: a defect is found through its round, not through its photo)."""
    found: dict[type[models.Model], str] = {}
    level = [(Order, "")]
    for _step in range(_DEPTH):
        following = []
        for parent, path in level:
            for relation in parent._meta.related_objects:
                model = relation.related_model
                if not (relation.one_to_many or relation.one_to_one) or model in found or model is Order:
                    continue
                if not model._meta.managed or model._meta.proxy:
                    continue
                lookup = f"{relation.field.name}__{path}" if path else relation.field.name
                found[model] = lookup
                following.append((model, lookup))
        level = following
    return sorted(found.items(), key=lambda item: item[0]._meta.label)


def _versions(queryset: models.QuerySet) -> tuple[str, tuple]:
    """SQL for one text that moves on with every change of the rows `queryset` selects: each
    row's version (xmin) and place (ctid), sorted."""
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    version = RawSQL(f"{table}.xmin::text || {table}.ctid::text", ())  # noqa: S611 - a table name
    subquery, params = queryset.order_by().values(v=version).query.sql_with_params()
    return f"(SELECT coalesce(string_agg(v, ',' ORDER BY v), '') FROM ({subquery}) rows)", params  # noqa: S608


# Stand-ins for the shopper and the order number while the query is compiled (once a process);
# each view puts its own in their places among the parameters.
_USER, _NUMBER = -7_310_529, "\x00order-number"


def _header_counts(user) -> list[tuple[str, tuple]]:
    """SQL for what the site header shows besides the page: the shopper's balance (ledger's
    wallet_balance) and their unread notifications (notifications' notification_unread_count),
    read with the stamp so that the header costs no query of its own on this page."""
    from ledger.models import Account
    from notifications.models import Notification

    balance = Account._base_manager.filter(user=user).order_by().values("balance")
    unread = Notification.objects.filter(user=user).unread().order_by().values("pk")
    (balance_sql, balance_params), (unread_sql, unread_params) = (
        balance.query.sql_with_params(),
        unread.query.sql_with_params(),
    )
    return [
        (f"(SELECT balance FROM ({balance_sql}) wallet)", balance_params),  # noqa: S608 - ORM-compiled
        (f"(SELECT count(*) FROM ({unread_sql}) news)", unread_params),  # noqa: S608 - ORM-compiled
    ]


@functools.cache
def _stamp_query() -> tuple[str, tuple]:
    from ledger.models import Account

    user_model = get_user_model()
    user = user_model(pk=_USER)
    the_order = Order.objects.for_shopper(user).filter(number=_NUMBER).order_by().values("pk")
    order_sql, order_params = the_order.query.sql_with_params()
    in_order = RawSQL("SELECT id FROM the_order", ())
    parts = [_versions(Order._base_manager.filter(pk__in=in_order))]
    parts += [
        _versions(model._base_manager.filter(**{f"{lookup}__in": in_order})) for model, lookup in _rows_about_orders()
    ]
    parts.append(_versions(user_model._base_manager.filter(pk=_USER)))
    parts.append(_versions(Account._base_manager.filter(user=user)))
    counts = _header_counts(user)
    sql = (
        f"WITH the_order(id) AS ({order_sql}) "  # noqa: S608 - SQL the ORM compiled, with parameters
        f"SELECT (SELECT id FROM the_order), md5(concat_ws('|', {', '.join(part for part, _ in parts)})), "
        f"{', '.join(part for part, _ in counts)}"
    )
    params = (*order_params, *(param for _, part_params in (*parts, *counts) for param in part_params))
    return sql, params


# The stamp's query in a PL/pgSQL function: its eighteen subqueries take longer to plan than
# to run, and a function keeps its plan for the connection (0.6 ms a call against 4.5 ms for
# the same query sent as text). Made from the models after every `migrate` (post_migrate), so
# a table that starts holding rows about orders is in it once its migration has run.
FUNCTION = "order_page_stamp"
_OUT = "OUT o_id bigint, OUT o_stamp text, OUT o_balance numeric, OUT o_unread bigint"


def stamp_function_sql() -> str:
    sql, stand_ins = _stamp_query()
    pieces = sql.split("%s")
    assert len(pieces) == len(stand_ins) + 1 and "%%" not in sql and "$stamp$" not in sql, sql
    names = {_USER: "p_user", _NUMBER: "p_number"}
    body = pieces[0] + "".join(names[param] + piece for param, piece in zip(stand_ins, pieces[1:], strict=True))
    # Dropped first: CREATE OR REPLACE cannot change what a function returns.
    return (
        f"DROP FUNCTION IF EXISTS {FUNCTION}(bigint, text); "
        f"CREATE FUNCTION {FUNCTION}(p_user bigint, p_number text, {_OUT}) "
        f"LANGUAGE plpgsql STABLE AS $stamp$ BEGIN {body} INTO o_id, o_stamp, o_balance, o_unread; END $stamp$"
    )


def create_stamp_function(*, using: str = DEFAULT_DB_ALIAS, **_kwargs) -> None:
    """post_migrate: (re)create the stamp's function on PostgreSQL."""
    database = connections[using]
    if database.vendor == "postgresql":
        with database.cursor() as cursor:
            cursor.execute(stamp_function_sql())


def page_stamp(*, request: HttpRequest, number: str) -> tuple[int, str] | None:
    """(order pk, stamp) of the shopper's order `number`, in one query; Http404 when it is not
    theirs. None where the database has no row versions to read (not PostgreSQL).

    The same query reads the header's balance and unread count and leaves them on the request
    (`shown_wallet_balance`, `shown_unread_count`) for the header's context processors."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {FUNCTION}(%s, %s)", [request.user.pk, number])  # noqa: S608 - a constant
        order_pk, stamp, balance, unread = cursor.fetchone()
    if order_pk is None:
        raise Http404("No such order.")
    request.shown_wallet_balance = balance or ZERO  # as ledger's wallet_balance
    request.shown_unread_count = unread
    return order_pk, stamp


def _key(order_pk: int, user_pk: int, stamp: str, now: float) -> str:
    shown = f"{get_language()}:{timezone.get_current_timezone_name()}"
    build = getattr(staticfiles_storage, "manifest_hash", "")
    minute = int(now // 60)
    return f"orders:page:{order_pk}:{user_pk}:{stamp}:{shown}:{minute}:{signed_url_expiry(now)}:{build}"


def _keeps_whole_page(request: HttpRequest) -> bool:
    """Whether this response may be the kept page: a plain view with nothing but the page to
    show (no message from a step just taken, which is shown once)."""
    return request.method in ("GET", "HEAD") and not len(messages.get_messages(request))


def order_page_html(
    request: HttpRequest, *, number: str, content: Callable[[], str], page: Callable[[str], str]
) -> SafeString:
    """The order page for this response. `content()` renders the page's content, `page(content)`
    the whole page around it (layout, header), both with common.kept_html's placeholder as the
    CSRF token; this response's token goes in its place.

    While the stamp is the one they were kept under, a plain view is the whole page from the
    cache (one cache read, no template); otherwise the content comes from the cache and the
    layout is rendered around it. The whole page's key adds what only the layout shows: the
    address (the language switch returns to it) and the unread count; what else the layout
    shows is the shopper's own row and wallet (in the stamp), the language and the static
    files (in the key)."""
    stamped = page_stamp(request=request, number=number)
    if stamped is None:
        return with_csrf_token(page(content()), request)
    order_pk, stamp = stamped
    now = time.time()
    key = _key(order_pk, request.user.pk, stamp, now)
    keep = min(KEEP_SECONDS, signed_url_step_left(now))  # never past the end of its photos' addresses' step
    whole_key = None
    if _keeps_whole_page(request):
        layout = hashlib.sha256(f"{request.get_full_path()}\x00{request.shown_unread_count}".encode()).hexdigest()
        whole_key = f"{key}:page:{layout}"
        html = cache.get(whole_key)
        if html is not None:
            return with_csrf_token(html, request)
    html = cache.get(key)
    if html is None:
        html = content()
        cache.set(key, html, timeout=keep)
    html = page(html)
    if whole_key is not None:
        cache.set(whole_key, html, timeout=keep)
    return with_csrf_token(html, request)
