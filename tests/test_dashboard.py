"""The staff dashboard (the admin index): what each role sees, that every figure is what the list
behind its link holds, the charts and their text, and a pinned number of queries."""

import re
from datetime import datetime, timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from benchmarks.dashboard import seed
from cssbuy_qc import charts
from ledger.models import Account, Entry, LedgerTransaction
from ledger.services import platform_account, wallet_for
from orders.models import Order
from qc.models import Defect, Inspection
from tests.factories import InspectorFactory, OrderFactory, ReturnRequestFactory, SupportFactory, UserFactory
from tests.queries import get_in_queries
from tickets.models import Ticket

S = Order.Status
pytestmark = pytest.mark.django_db

FIGURE = re.compile(r'<a class="dash-figure[^"]*" href="([^"]+)" data-figure="(\w+)" data-count="(\d+)"')


def figures(html: str) -> dict[str, tuple[int, str]]:
    """key -> (the count shown, the link), as on the page."""
    return {key: (int(count), unescape(url)) for url, key, count in FIGURE.findall(html)}


def panels(html: str) -> list[str]:
    return re.findall(r'<section class="dash-panel dash-panel--(\w+)"', html)


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(email="lead@example.com", is_staff=True, is_superuser=True))
    return client


def _order(status: str, *, hours_ago: float = 1, **fields) -> Order:
    return OrderFactory(status=status, status_changed_at=timezone.now() - timedelta(hours=hours_ago), **fields)


def _round(order: Order, inspector, *, result: str, at: datetime, kinds: tuple[str, ...] = ()) -> Inspection:
    inspection = Inspection.objects.create(
        order=order, round_number=1, inspector=inspector, result=result, opened_at=at, completed_at=at
    )
    for kind in kinds:
        Defect.objects.create(inspection=inspection, kind=kind, description="Seen at QC")
    return inspection


def _credit(order: Order, kind: str, amount: str, at: datetime) -> None:
    """A credit to the order's shopper as the refund steps post it, dated `at`."""
    source = {"refund": "seller_refunds", "compensation": "compensation", "cancel_refund": "order_payments"}[kind]
    with transaction.atomic():
        txn = LedgerTransaction.objects.create(
            kind=kind, idempotency_key=f"{kind}:{order.pk}", order=order, description="Refund", created_at=at
        )
        wallet, platform = wallet_for(user=order.shopper), platform_account(source)
        Entry.objects.create(transaction=txn, account=wallet, amount=Decimal(amount), balance_after=Decimal(amount))
        # A platform account's balance is the sum of its entries: none is cached.
        Entry.objects.create(transaction=txn, account=platform, amount=-Decimal(amount), balance_after=None)
        Account.objects.filter(pk=wallet.pk).update(balance=wallet.balance + Decimal(amount))


@pytest.fixture
def busy_day(settings, inspector):
    """A day with something in every figure, and things just outside each one."""
    settings.SELLER_RESPONSE_HOURS = 72
    now = timezone.now()
    for _ in range(2):
        _order(S.SHIPPED_TO_WAREHOUSE)
    _order(S.AWAITING_REPLACEMENT)
    _order(S.AWAITING_QC, hours_ago=2)
    _order(S.AWAITING_QC, hours_ago=3)
    _order(S.AWAITING_QC, hours_ago=30)
    _order(S.AWAITING_QC, hours_ago=60)
    _order(S.QC_FAILED, decision_deadline=now + timedelta(hours=5))
    _order(S.QC_FAILED, decision_deadline=now + timedelta(hours=50))  # not closing yet
    _order(S.RETURN_REQUESTED)
    _order(S.EXCHANGE_REQUESTED)
    ReturnRequestFactory(order=_order(S.RETURNING), shipped_at=now - timedelta(hours=80))
    ReturnRequestFactory(order=_order(S.RETURNING), shipped_at=now - timedelta(hours=10))  # not late yet
    ReturnRequestFactory(
        order=_order(S.SELLER_REFUNDING), shipped_at=now - timedelta(hours=90), seller_received_at=now
    )
    _order(S.RETURN_REFUSED)
    support = SupportFactory(email="agent@example.com")
    tickets = [
        ("open", None, -1),  # unassigned, first answer late, waiting for support
        ("awaiting_support", support, 5),  # waiting for support
        ("awaiting_shopper", None, 5),  # unassigned
        ("closed", None, -30),  # none of them
    ]
    for status, assignee, due_in in tickets:
        Ticket.objects.create(
            shopper=UserFactory(),
            subject="Where is my parcel?",
            status=status,
            assignee=assignee,
            first_response_due=now + timedelta(hours=due_in),
            first_responded_at=now if status in ("awaiting_shopper", "closed") else None,
            closed_at=now if status == "closed" else None,
        )
    second = InspectorFactory(email="li@example.com")
    today = now
    yesterday = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(hours=1)
    sellers = ["Harbin Warm", "Harbin Warm", "Yiwu Bags", "Yiwu Bags", "Ningbo Basics"]
    stored = [_order(S.STORED, seller_name=seller) for seller in sellers]
    _round(stored[0], inspector, result="passed", at=today)
    _round(stored[1], inspector, result="failed", at=today, kinds=("stain", "damage"))
    _round(stored[2], inspector, result="passed", at=today)
    _round(stored[3], second, result="failed", at=today, kinds=("stain",))
    _round(stored[4], second, result="failed", at=yesterday, kinds=("sizing",))
    refunded = [_order(S.REFUNDED) for _ in range(3)]
    _credit(refunded[0], "refund", "137.00", now)
    _credit(refunded[1], "compensation", "20.50", now)
    _credit(refunded[2], "cancel_refund", "99.00", now - timedelta(days=7))
    return now


BUSY_DAY_FIGURES = {
    "inbound": 2,
    "replacements": 1,
    "qc_queue": 4,
    "qc_under_24h": 2,
    "qc_1_2_days": 1,
    "qc_over_2_days": 1,
    "decisions_expiring": 1,
    "returns_to_ship": 2,
    "returns_overdue": 1,
    "refunds_to_confirm": 1,
    "refusals": 1,
    "tickets_unassigned": 2,
    "tickets_overdue": 1,
    "tickets_waiting": 2,
}


def test_every_figure_is_a_link_to_a_list_holding_exactly_what_it_counts(superuser_client, busy_day):
    page = superuser_client.get(reverse("admin:index")).content.decode()

    shown = figures(page)
    assert {key: count for key, (count, _url) in shown.items()} == BUSY_DAY_FIGURES
    for key, (count, url) in shown.items():
        listed = superuser_client.get(url)
        assert listed.status_code == 200, (key, url)
        assert listed.context["cl"].result_count == count, (key, url)


def test_each_role_sees_what_concerns_it(client, busy_day, inspector, support):
    pages = {}
    for who in (inspector, support, UserFactory(is_staff=True, is_superuser=True), UserFactory(is_staff=True)):
        client.force_login(who)
        pages[who.email] = client.get(reverse("admin:index")).content.decode()

    assert panels(pages["inspector@example.com"]) == ["warehouse"]
    assert panels(pages["support@example.com"]) == ["returns", "tickets"]
    everything = [
        page for email, page in pages.items() if email not in ("inspector@example.com", "support@example.com")
    ]
    assert panels(everything[0]) == ["warehouse", "returns", "tickets"]
    assert panels(everything[1]) == [] and "Staff pages" in everything[1]  # no role: the plain list of pages
    assert "Money refunded to balances per week" not in pages["inspector@example.com"]
    assert "QC rounds per day" not in pages["support@example.com"]


def test_the_figures_name_the_hours_they_are_about(superuser_client, busy_day, settings):
    settings.SELLER_RESPONSE_HOURS = 48

    page = superuser_client.get(reverse("admin:index")).content.decode()

    assert "Returns without a seller answer after 48 hours" in page
    assert "Shopper decisions closing within 24 hours" in page


def test_rounds_done_today_per_inspector_link_to_those_rounds(superuser_client, busy_day):
    response = superuser_client.get(reverse("admin:index"))

    widget = next(w for p in response.context["dashboard_panels"] for w in p.widgets if w.key == "rounds_today")
    days = {(d.inspector, d.passed, d.failed, d.total) for d in widget.context["days"]}
    assert days == {("inspector@example.com", 2, 1, 3), ("li@example.com", 0, 1, 1)}
    for day in widget.context["days"]:
        for what in ("passed", "failed", "total"):
            listed = superuser_client.get(day.urls[what])
            assert listed.context["cl"].result_count == getattr(day, what), (day.inspector, what)
    assert superuser_client.get(widget.context["all_url"]).context["cl"].result_count == 4


def _widget(response, key: str):
    return next(w for p in response.context["dashboard_panels"] for w in p.widgets if w.key == key).context


def test_the_qc_charts_count_the_last_30_days(superuser_client, busy_day):
    response = superuser_client.get(reverse("admin:index"))

    per_day = _widget(response, "qc_rounds_per_day")["chart"]
    assert per_day.title == "QC rounds per day, last 30 days"
    assert per_day.table.rows[-1][1:] == ("2", "2")  # today: 2 passed, 2 failed
    assert per_day.table.rows[-2][1:] == ("0", "1")
    assert len(per_day.table.rows) == 30
    assert per_day.summary.startswith("5 QC rounds in the last 30 days, 3 failed (60%).")
    sellers = _widget(response, "fail_rate_by_seller")["chart"]
    assert sellers.table.rows == (  # most failures first, then most rounds
        ("Harbin Warm", "1", "2", "50%"),
        ("Yiwu Bags", "1", "2", "50%"),
        ("Ningbo Basics", "1", "1", "100%"),
    )
    defects = _widget(response, "fail_rate_by_defect")["chart"]
    assert defects.table.rows[:3] == (("Stain", "2", "40%"), ("Damage", "1", "20%"), ("Sizing", "1", "20%"))
    assert defects.summary == "Of 5 rounds in the last 30 days, the most frequent failure: Stain, 40% (2)."


def test_the_money_chart_sums_what_was_credited_back_per_week(superuser_client, busy_day):
    response = superuser_client.get(reverse("admin:index"))

    chart = _widget(response, "money_refunded_per_week")["chart"]
    assert chart.table.headers == ("Week from", "Seller refunds", "Compensation", "Cancelled orders", "Total")
    assert chart.table.rows[-1][1:] == ("¥137.00", "¥20.50", "¥0.00", "¥157.50")
    assert chart.table.rows[-2][1:] == ("¥0.00", "¥0.00", "¥99.00", "¥99.00")
    assert len(chart.table.rows) == 12
    assert chart.summary == "¥256.50 credited back to shoppers in the last 12 weeks; this week ¥157.50."


def test_charts_are_pictures_with_a_text_alternative(superuser_client, busy_day):
    page = superuser_client.get(reverse("admin:index")).content.decode()

    svgs = re.findall(r"<svg class=\"dash-chart__svg\"[^>]*>", page)
    assert len(svgs) == 4
    for svg in svgs:
        assert 'role="img"' in svg
        title, summary = re.search(r'aria-labelledby="(\S+) (\S+)"', svg).groups()
        assert f'id="{title}"' in page and f'id="{summary}"' in page
    assert page.count("<summary>The numbers as a table</summary>") == 4
    assert '<th scope="row">Harbin Warm</th>' in page


def test_the_dashboard_renders_in_chinese(superuser_client, busy_day):
    superuser_client.cookies["django_language"] = "zh-hans"

    with translation.override("zh-hans"):
        response = superuser_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert '<html lang="zh-hans"' in response.content.decode()
    assert figures(response.content.decode())["inbound"][0] == 2


# --- Queries: constant in the number of rows, pinned ---------------------------------------

# Session and user (2); for staff with roles their permissions (groups', own: 2). Then one aggregate
# per model of the figures shown (orders; returns; tickets) and the widgets: rounds today, rounds
# per day, sellers, defects (2 queries), money per week.
PINNED = {
    "superuser": 2 + 3 + 6,  # every panel
    "inspector": 2 + 2 + 1 + 5,  # warehouse and QC: order figures, the four QC widgets
    "support": 2 + 2 + 3 + 1,  # returns (orders, returns) and tickets figures, money per week
}


@pytest.fixture
def role_client(client, request):
    users = {
        "superuser": lambda: UserFactory(is_staff=True, is_superuser=True),
        "inspector": lambda: InspectorFactory(email="i@example.com"),
        "support": lambda: SupportFactory(email="s@example.com"),
    }
    client.force_login(users[request.param]())
    return client, request.param


@pytest.mark.parametrize("role_client", PINNED, indirect=True)
def test_the_dashboard_runs_a_pinned_number_of_queries_empty_and_with_many_rows(
    role_client, django_assert_num_queries
):
    client, role = role_client
    url = reverse("admin:index")
    get_in_queries(client, url, PINNED[role], django_assert_num_queries)

    seed(orders=400, now=timezone.now())

    page = get_in_queries(client, url, PINNED[role], django_assert_num_queries)
    assert sum(count for count, _url in figures(page).values()) > 0


# --- The chart geometry ------------------------------------------------------------------------


def test_a_scale_ends_on_a_round_number_and_counts_halve_to_whole_numbers():
    assert [charts.nice_ceiling(v) for v in (0, 0.4, 3, 7, 12, 137)] == [1, 0.5, 5, 10, 20, 200]
    assert [charts.nice_ceiling(v, counts=True) for v in (0, 1, 3, 7, 9, 31)] == [2, 2, 4, 8, 10, 40]


def test_long_names_are_cut_by_their_width_on_screen():
    assert charts.fit("Ningbo Basics", 22) == "Ningbo Basics"
    assert charts.fit("Guangzhou Baiyun Leather Goods Factory", 22) == "Guangzhou Baiyun Leath…"
    assert charts.fit("杭州四季青服装批发市场旗舰店", 22) == "杭州四季青服装批发市场…"


def test_stacked_columns_are_as_tall_as_their_share_of_the_scale():
    series = (charts.Series("passed", "Passed"), charts.Series("failed", "Failed"))
    table = charts.Table("t", ("Day", "Passed", "Failed"), ())

    chart = charts.column_chart(
        key="k", title="t", summary="s", categories=["a", "b"], ticks=["a", "b"], series=series,
        values=[(3, 1), (0, 2)], fmt=str, table=table, counts=True,
    )  # fmt: skip

    assert (chart.title, chart.marks[0].title) == ("t", "a: Passed 3")
    heights = [(mark.series.key, mark.height) for mark in chart.marks]
    assert heights == [("passed", 112.5), ("failed", 37.5), ("failed", 75.0)]  # of 150 for a scale to 4
    assert [line.label.text for line in chart.grid] == ["0", "2", "4"]
    assert chart.marks[1].y + chart.marks[1].height == chart.marks[0].y  # stacked
