import csv

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from common.locale import zone_label

from . import selectors


@login_required
def balance(request):
    page = Paginator(selectors.statement_entries(user=request.user), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "ledger/balance.html",
        {"page_obj": page, "balance": selectors.wallet_balance(user=request.user)},
    )


class _Echo:
    def write(self, value):
        return value


def _csv_time(moment) -> str:
    """Sortable, in the reader's zone, with the zone named: "2026-12-07 12:46 CET"."""
    local = timezone.localtime(moment)
    return f"{local:%Y-%m-%d %H:%M} {zone_label(local)}"


@login_required
def statement_csv(request):
    writer = csv.writer(_Echo())
    header = [_("Date"), _("Description"), pgettext("shop order", "Order"), _("Amount (CNY)"), _("Balance (CNY)")]

    def rows():
        yield writer.writerow(header)
        for entry in selectors.statement_entries(user=request.user).iterator(chunk_size=500):
            yield writer.writerow(
                [
                    _csv_time(entry.created_at),
                    entry.transaction.description,
                    entry.transaction.order.number if entry.transaction.order_id else "",
                    f"{entry.amount:+.2f}",
                    f"{entry.balance_after:.2f}",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="balance-statement.csv"'
    return response
