"""The staff dashboard (the admin index): for each role the figures and charts that concern it,
every figure a link to the filtered admin list that holds exactly what it counts.

It reads several apps, so it lives at the top of the import graph, with the wiring. To add a
figure, add one `Figure` to FIGURES (its condition is the one the list's filter applies); to add a
chart or a table, one `Widget` to WIDGETS. The figures of one model are counted together in one
aggregate query, and each widget runs one or two aggregate queries, so the page runs the same
number of queries whatever the number of orders, rounds, returns, tickets or ledger rows.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import models
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate, TruncWeek
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext, npgettext_lazy, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from ledger.models import Account, Entry, LedgerTransaction
from orders.models import PERM_RETURNS, Order
from orders.selectors import DECISION_EXPIRING_HOURS, decisions_expiring_q
from qc.models import PERM_COMPLETE, Defect, Inspection
from qc.selectors import QUEUE_AGES, qc_queue_q
from refunds.models import ReturnRequest
from refunds.selectors import returns_overdue_q
from tickets.models import PERM_ANSWER, Ticket, overdue_q
from tickets.selectors import tickets_unassigned_q, tickets_waiting_for_support_q

from . import charts

if TYPE_CHECKING:
    from accounts.models import User

S = Order.Status
QC_DAYS = 30  # the QC charts look this far back
REFUND_WEEKS = 12  # the money chart looks this far back
TOP_SELLERS = 8
# A short day under a chart's columns, as a date format ("Nov 8"; translators may choose another).
AXIS_DATE = pgettext_lazy("date format under the columns of a chart", "M j")


# --- What the dashboard shows, and to whom ---------------------------------------------------


@dataclass(frozen=True)
class Panel:
    key: str
    title: Promise
    permission: str  # who sees the panel: the role that acts on what it shows


PANELS = (
    Panel("warehouse", _("Warehouse and QC"), PERM_COMPLETE),
    Panel("returns", _("Returns and refunds"), PERM_RETURNS),
    Panel("tickets", _("Support tickets"), PERM_ANSWER),
)


@dataclass(frozen=True)
class Figure:
    """A count on the dashboard and the admin list behind it."""

    key: str
    panel: str
    group: Promise  # the heading the figure is shown under
    # May name the hours it is about (%(decision_hours)s, %(seller_hours)s), and agree with the
    # count (ngettext_lazy(..., "count")).
    label: Promise
    model: type[models.Model]
    where: Callable[[datetime], Q]  # given the time now; the list's filter applies the same
    changelist: str  # the admin URL name of the list
    params: dict[str, str]  # its filter, as query parameters
    urgent: bool = False  # not zero means someone is late


def _status(status: str) -> Callable[[datetime], Q]:
    return lambda now: Q(status=status)


def _queue_age(key: str) -> Callable[[datetime], Q]:
    return lambda now: QUEUE_AGES[key].q(now=now)


ORDERS = "admin:orders_order_changelist"
QC_QUEUE = "admin:qc_qcqueueitem_changelist"
RETURNS = "admin:refunds_returnrequest_changelist"
TICKETS = "admin:tickets_ticket_changelist"
INBOUND, WAITING = _("Parcels on their way"), _("Waiting for QC")
ACT_NOW, DESK = _("Waiting on us"), _("Ticket queue")

FIGURES: tuple[Figure, ...] = (
    Figure(
        key="inbound",
        panel="warehouse",
        group=INBOUND,
        label=_("Bought, on their way to the warehouse"),
        model=Order,
        where=_status(S.SHIPPED_TO_WAREHOUSE),
        changelist=ORDERS,
        params={"status__exact": S.SHIPPED_TO_WAREHOUSE},
    ),
    Figure(
        key="replacements",
        panel="warehouse",
        group=INBOUND,
        label=_("Replacements on their way"),
        model=Order,
        where=_status(S.AWAITING_REPLACEMENT),
        changelist=ORDERS,
        params={"status__exact": S.AWAITING_REPLACEMENT},
    ),
    Figure(
        key="qc_queue",
        panel="warehouse",
        group=WAITING,
        label=npgettext_lazy("dashboard figure", "order awaiting QC", "orders awaiting QC", "count"),
        model=Order,
        where=lambda now: qc_queue_q(),
        changelist=QC_QUEUE,
        params={},
    ),
    Figure(
        key="qc_under_24h",
        panel="warehouse",
        group=WAITING,
        label=_("Under 24 hours"),
        model=Order,
        where=_queue_age("under_24h"),
        changelist=QC_QUEUE,
        params={"waiting": "under_24h"},
    ),
    Figure(
        key="qc_1_2_days",
        panel="warehouse",
        group=WAITING,
        label=_("1–2 days"),
        model=Order,
        where=_queue_age("1_2_days"),
        changelist=QC_QUEUE,
        params={"waiting": "1_2_days"},
        urgent=True,
    ),
    Figure(
        key="qc_over_2_days",
        panel="warehouse",
        group=WAITING,
        label=_("Over 2 days"),
        model=Order,
        where=_queue_age("over_2_days"),
        changelist=QC_QUEUE,
        params={"waiting": "over_2_days"},
        urgent=True,
    ),
    Figure(
        key="decisions_expiring",
        panel="returns",
        group=ACT_NOW,
        label=_("Shopper decisions closing within %(decision_hours)s hours"),
        model=Order,
        where=lambda now: decisions_expiring_q(now=now),
        changelist=ORDERS,
        params={"decision": "expiring"},
        urgent=True,
    ),
    Figure(
        key="returns_to_ship",
        panel="returns",
        group=ACT_NOW,
        label=_("Returns and exchanges to send back"),
        model=Order,
        where=lambda now: Q(status__in=[S.RETURN_REQUESTED, S.EXCHANGE_REQUESTED]),
        changelist=ORDERS,
        params={"status__in": f"{S.RETURN_REQUESTED},{S.EXCHANGE_REQUESTED}"},
    ),
    Figure(
        key="returns_overdue",
        panel="returns",
        group=ACT_NOW,
        label=_("Returns without a seller answer after %(seller_hours)s hours"),
        model=ReturnRequest,
        where=lambda now: returns_overdue_q(now=now),
        changelist=RETURNS,
        params={"seller": "overdue"},
        urgent=True,
    ),
    Figure(
        key="refunds_to_confirm",
        panel="returns",
        group=ACT_NOW,
        label=_("Refunds to confirm"),
        model=Order,
        where=_status(S.SELLER_REFUNDING),
        changelist=ORDERS,
        params={"status__exact": S.SELLER_REFUNDING},
    ),
    Figure(
        key="refusals",
        panel="returns",
        group=ACT_NOW,
        label=_("Seller refusals to resolve"),
        model=Order,
        where=_status(S.RETURN_REFUSED),
        changelist=ORDERS,
        params={"status__exact": S.RETURN_REFUSED},
    ),
    Figure(
        key="tickets_unassigned",
        panel="tickets",
        group=DESK,
        label=_("Unassigned"),
        model=Ticket,
        where=lambda now: tickets_unassigned_q(),
        changelist=TICKETS,
        params={"queue": "unassigned"},
    ),
    Figure(
        key="tickets_overdue",
        panel="tickets",
        group=DESK,
        label=_("First answer overdue"),
        model=Ticket,
        where=overdue_q,
        changelist=TICKETS,
        params={"first_response": "overdue"},
        urgent=True,
    ),
    Figure(
        key="tickets_waiting",
        panel="tickets",
        group=DESK,
        label=_("Waiting for support"),
        model=Ticket,
        where=lambda now: tickets_waiting_for_support_q(),
        changelist=TICKETS,
        params={"queue": "waiting"},
    ),
)


@dataclass(frozen=True)
class FigureView:
    key: str
    label: str
    value: int
    url: str
    urgent: bool


def figure_counts(*, figures: tuple[Figure, ...], now: datetime) -> dict[str, int]:
    """Every figure's count: one aggregate query per model, over the rows some figure counts."""
    by_model: dict[type[models.Model], list[Figure]] = defaultdict(list)
    for figure in figures:
        by_model[figure.model].append(figure)
    counts = {}
    for model, group in by_model.items():
        conditions = {figure.key: figure.where(now) for figure in group}
        counts |= model._default_manager.filter(reduce(or_, conditions.values())).aggregate(
            **{key: Count("pk", filter=condition) for key, condition in conditions.items()}
        )
    return counts


# --- Widgets: one query each ------------------------------------------------------------------


@dataclass(frozen=True)
class Widget:
    key: str
    panel: str
    template: str
    build: Callable[[datetime], dict[str, Any]]  # the template's context, given the time now


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def count(value: int) -> str:
    return number_format(value, 0, force_grouping=True)


def yuan(value: Decimal | int) -> str:
    return gettext("¥%(amount)s") % {"amount": number_format(value, 2, force_grouping=True)}


def percent(part: int, whole: int) -> str:
    return gettext("%(percent)s%%") % {"percent": number_format(round(100 * part / whole) if whole else 0, 0)}


@dataclass(frozen=True)
class InspectorDay:
    inspector: str
    passed: int
    failed: int
    total: int
    urls: dict[str, str]  # "passed", "failed", "total" -> the inspection list with those rounds


def rounds_today(now: datetime) -> dict[str, Any]:
    """The QC rounds each inspector completed today (in the reader's time zone)."""
    start = _day_start(timezone.localdate(now))
    end = start + timedelta(days=1)
    rows = (
        Inspection.objects.filter(completed_at__gte=start, completed_at__lt=end)
        .order_by()
        .values("inspector_id", "inspector__email")
        .annotate(
            total=Count("pk"),
            passed=Count("pk", filter=Q(result=Inspection.Result.PASSED)),
            failed=Count("pk", filter=Q(result=Inspection.Result.FAILED)),
        )
        .order_by("-total", "inspector__email")
    )
    listing = reverse("admin:qc_inspection_changelist")
    # The inspection list's own "completed: today" filter takes these parameters.
    today = {"completed_at__gte": str(start), "completed_at__lt": str(end)}
    days = []
    for row in rows:
        who = {"inspector__id__exact": row["inspector_id"]} if row["inspector_id"] else {"inspector__isnull": "True"}
        days.append(
            InspectorDay(
                inspector=row["inspector__email"] or gettext("Nobody recorded"),
                passed=row["passed"],
                failed=row["failed"],
                total=row["total"],
                urls={
                    "total": f"{listing}?{urlencode({**today, **who})}",
                    "passed": f"{listing}?{urlencode({**today, **who, 'result__exact': 'passed'})}",
                    "failed": f"{listing}?{urlencode({**today, **who, 'result__exact': 'failed'})}",
                },
            )
        )
    return {"days": days, "all_url": f"{listing}?{urlencode(today)}"}


PASSED = charts.Series("passed", _("Passed"))
FAILED = charts.Series("failed", _("Failed"))


def qc_rounds_per_day(now: datetime) -> dict[str, Any]:
    tz = timezone.get_current_timezone()
    today = timezone.localdate(now)
    days = [today - timedelta(days=back) for back in range(QC_DAYS - 1, -1, -1)]
    rows = (
        Inspection.objects.filter(completed_at__gte=_day_start(days[0]))
        .order_by()  # Inspection's default order would join the orders
        .annotate(day=TruncDate("completed_at", tzinfo=tz))
        .values("day")
        .annotate(
            passed=Count("pk", filter=Q(result=Inspection.Result.PASSED)),
            failed=Count("pk", filter=Q(result=Inspection.Result.FAILED)),
        )
    )
    by_day = {row["day"]: (row["passed"], row["failed"]) for row in rows}
    values = [by_day.get(day, (0, 0)) for day in days]
    labels = [date_format(day, "MONTH_DAY_FORMAT") for day in days]
    ticks = [date_format(day, AXIS_DATE) for day in days]
    passed, failed = sum(v[0] for v in values), sum(v[1] for v in values)
    busiest = max(range(len(days)), key=lambda i: (sum(values[i]), i))
    rounds = passed + failed
    summary = ngettext(
        "%(rounds)s QC round in the last %(days)s days, %(failed)s failed (%(rate)s).",
        "%(rounds)s QC rounds in the last %(days)s days, %(failed)s failed (%(rate)s).",
        rounds,
    ) % {"rounds": count(rounds), "days": QC_DAYS, "failed": count(failed), "rate": percent(failed, rounds)}
    if rounds:
        summary += " " + gettext("Busiest day: %(day)s, %(rounds)s rounds.") % {
            "day": labels[busiest],
            "rounds": count(sum(values[busiest])),
        }
    table = charts.Table(
        caption=gettext("QC rounds per day"),
        headers=(gettext("Day"), str(PASSED.label), str(FAILED.label)),
        rows=tuple((label, count(p), count(f)) for label, (p, f) in zip(labels, values, strict=True)),
    )
    return {
        "chart": charts.column_chart(
            key="qc-rounds-per-day",
            title=gettext("QC rounds per day, last %(days)s days") % {"days": QC_DAYS},
            summary=summary,
            categories=labels,
            ticks=ticks,
            series=(PASSED, FAILED),
            values=values,
            fmt=count,
            table=table,
            counts=True,
        )
    }


def fail_rate_by_seller(now: datetime) -> dict[str, Any]:
    start = _day_start(timezone.localdate(now) - timedelta(days=QC_DAYS - 1))
    rows = list(
        Inspection.objects.filter(completed_at__gte=start)
        .order_by()
        .values("order__seller_name")
        .annotate(rounds=Count("pk"), failed=Count("pk", filter=Q(result=Inspection.Result.FAILED)))
        .filter(failed__gt=0)
        .order_by("-failed", "-rounds", "order__seller_name")[:TOP_SELLERS]
    )
    names = [row["order__seller_name"] or gettext("Seller not recorded") for row in rows]
    notes = [
        gettext("%(rate)s (%(failed)s of %(rounds)s)")
        % {"rate": percent(failed, rounds), "failed": count(failed), "rounds": count(rounds)}
        for failed, rounds in ((row["failed"], row["rounds"]) for row in rows)
    ]
    if rows:
        summary = gettext("Most failures in the last %(days)s days: %(seller)s, %(note)s.") % {
            "days": QC_DAYS,
            "seller": names[0],
            "note": notes[0],
        }
    else:
        summary = gettext("No QC round failed in the last %(days)s days.") % {"days": QC_DAYS}
    table = charts.Table(
        caption=gettext("QC fail rate by seller"),
        headers=(gettext("Seller"), gettext("Failed"), gettext("Rounds"), gettext("Fail rate")),
        rows=tuple(
            (name, count(row["failed"]), count(row["rounds"]), percent(row["failed"], row["rounds"]))
            for name, row in zip(names, rows, strict=True)
        ),
    )
    return {
        "chart": charts.bar_chart(
            key="fail-rate-by-seller",
            title=gettext("QC fail rate by seller, last %(days)s days") % {"days": QC_DAYS},
            summary=summary,
            labels=names,
            shares=[row["failed"] / row["rounds"] for row in rows],
            notes=notes,
            series=FAILED,
            table=table,
        )
    }


def fail_rate_by_defect(now: datetime) -> dict[str, Any]:
    """Of the rounds completed in the last QC_DAYS days, the share that failed with each kind of
    defect (a round with two kinds counts for both). Two queries: the rounds, the failures by kind."""
    start = _day_start(timezone.localdate(now) - timedelta(days=QC_DAYS - 1))
    rounds = Inspection.objects.filter(completed_at__gte=start).count()
    failed_with = (
        Defect.objects.filter(inspection__completed_at__gte=start, inspection__result=Inspection.Result.FAILED)
        .order_by()
        .values("kind")
        .annotate(rounds=Count("inspection", distinct=True))
    )
    totals = dict.fromkeys(Defect.Kind.values, 0) | {row["kind"]: row["rounds"] for row in failed_with}
    kinds = sorted(Defect.Kind.choices, key=lambda choice: (-totals[choice[0]], str(choice[1])))
    names = [str(label) for _kind, label in kinds]
    notes = [
        gettext("%(rate)s (%(failed)s)") % {"rate": percent(totals[kind], rounds), "failed": count(totals[kind])}
        for kind, _label in kinds
    ]
    top_kind, top_label = kinds[0]
    summary = (
        gettext("Of %(rounds)s rounds in the last %(days)s days, the most frequent failure: %(kind)s, %(note)s.")
        % {"rounds": count(rounds), "days": QC_DAYS, "kind": top_label, "note": notes[0]}
        if totals[top_kind]
        else gettext("No QC round failed with a defect in the last %(days)s days.") % {"days": QC_DAYS}
    )
    table = charts.Table(
        caption=gettext("QC fail rate by kind of defect"),
        headers=(gettext("Defect"), gettext("Rounds failed with it"), gettext("Share of all rounds")),
        rows=tuple(
            (name, count(totals[kind]), percent(totals[kind], rounds))
            for name, (kind, _label) in zip(names, kinds, strict=True)
        ),
    )
    return {
        "chart": charts.bar_chart(
            key="fail-rate-by-defect",
            title=gettext("QC fail rate by kind of defect, last %(days)s days") % {"days": QC_DAYS},
            summary=summary,
            labels=names,
            shares=[totals[kind] / rounds if rounds else 0 for kind, _label in kinds],
            notes=notes,
            series=FAILED,
            table=table,
        )
    }


REFUND_KINDS = (
    charts.Series(LedgerTransaction.Kind.REFUND, _("Seller refunds")),
    charts.Series(LedgerTransaction.Kind.COMPENSATION, _("Compensation")),
    charts.Series(LedgerTransaction.Kind.CANCEL_REFUND, _("Cancelled orders")),
)


def money_refunded_per_week(now: datetime) -> dict[str, Any]:
    """What was credited to shoppers' balances as refunds, compensation and refunds of cancelled
    orders, per week (weeks start on Monday, in the reader's time zone)."""
    tz = timezone.get_current_timezone()
    today = timezone.localdate(now)
    weeks = [today - timedelta(days=today.weekday(), weeks=back) for back in range(REFUND_WEEKS - 1, -1, -1)]
    rows = (
        Entry.objects.filter(
            account__kind=Account.Kind.WALLET,
            transaction__kind__in=[series.key for series in REFUND_KINDS],
            transaction__created_at__gte=_day_start(weeks[0]),
        )
        .order_by()
        .annotate(week=TruncWeek("transaction__created_at", tzinfo=tz))
        .values("week", "transaction__kind")
        .annotate(total=Sum("amount"))
    )
    amounts: dict[tuple[date, str], Decimal] = {
        (timezone.localtime(row["week"], tz).date(), row["transaction__kind"]): row["total"] for row in rows
    }
    values = [[amounts.get((week, series.key), Decimal(0)) for series in REFUND_KINDS] for week in weeks]
    labels = [date_format(week, "MONTH_DAY_FORMAT") for week in weeks]
    ticks = [date_format(week, AXIS_DATE) for week in weeks]
    total = sum((sum(row, Decimal(0)) for row in values), Decimal(0))
    summary = gettext("%(total)s credited back to shoppers in the last %(weeks)s weeks; this week %(now)s.") % {
        "total": yuan(total),
        "weeks": REFUND_WEEKS,
        "now": yuan(sum(values[-1], Decimal(0))),
    }
    table = charts.Table(
        caption=gettext("Money refunded per week"),
        headers=(gettext("Week from"), *(str(series.label) for series in REFUND_KINDS), gettext("Total")),
        rows=tuple(
            (label, *(yuan(value) for value in row), yuan(sum(row, Decimal(0))))
            for label, row in zip(labels, values, strict=True)
        ),
    )
    return {
        "chart": charts.column_chart(
            key="money-refunded-per-week",
            title=gettext("Money refunded to balances per week"),
            summary=summary,
            categories=labels,
            ticks=ticks,
            series=REFUND_KINDS,
            values=values,
            fmt=yuan,
            table=table,
        )
    }


CHART = "admin/dashboard/chart.html"
WIDGETS: tuple[Widget, ...] = (
    Widget("rounds_today", "warehouse", "admin/dashboard/rounds_today.html", rounds_today),
    Widget("qc_rounds_per_day", "warehouse", CHART, qc_rounds_per_day),
    Widget("fail_rate_by_seller", "warehouse", CHART, fail_rate_by_seller),
    Widget("fail_rate_by_defect", "warehouse", CHART, fail_rate_by_defect),
    Widget("money_refunded_per_week", "returns", CHART, money_refunded_per_week),
)


# --- The page ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureGroup:
    title: str
    figures: tuple[FigureView, ...]


@dataclass(frozen=True)
class WidgetView:
    key: str
    template: str
    context: dict[str, Any]


@dataclass(frozen=True)
class PanelView:
    key: str
    title: str
    groups: tuple[FigureGroup, ...]
    widgets: tuple[WidgetView, ...]


def dashboard_for(*, user: "User", now: datetime) -> list[PanelView]:
    """The panels `user`'s roles act on (all for a superuser), with their figures and widgets."""
    panels = [panel for panel in PANELS if user.has_perm(panel.permission)]
    keys = {panel.key for panel in panels}
    figures = tuple(figure for figure in FIGURES if figure.panel in keys)
    counts = figure_counts(figures=figures, now=now) if figures else {}
    hours = {"decision_hours": DECISION_EXPIRING_HOURS, "seller_hours": settings.SELLER_RESPONSE_HOURS}
    views = []
    for panel in panels:
        groups: dict[str, list[FigureView]] = {}
        for figure in figures:
            if figure.panel == panel.key:
                groups.setdefault(str(figure.group), []).append(
                    FigureView(
                        key=figure.key,
                        label=figure.label % {**hours, "count": counts[figure.key]},
                        value=counts[figure.key],
                        url=f"{reverse(figure.changelist)}?{urlencode(figure.params)}",
                        urgent=figure.urgent and counts[figure.key] > 0,
                    )
                )
        widgets = tuple(
            WidgetView(widget.key, widget.template, widget.build(now))
            for widget in WIDGETS
            if widget.panel == panel.key
        )
        views.append(
            PanelView(
                key=panel.key,
                title=str(panel.title),
                groups=tuple(FigureGroup(title, tuple(items)) for title, items in groups.items()),
                widgets=widgets,
            )
        )
    return views
