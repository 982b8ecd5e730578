import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orders.selectors import order_for_shopper
from orders.services import OrderActionError, order_keep

from . import selectors, services
from .forms import ExchangeForm, PayForm, PlaceOrderForm, ReturnForm


@login_required
def order_new(request):
    """Place an order and pay it from the balance in one step."""
    form = PlaceOrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            order = services.order_place_and_pay(shopper=request.user, **form.order_values())
        except services.InsufficientBalance as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Order %(number)s is placed and paid.") % {"number": order.number})
            return redirect(order)
    balance = selectors.wallet_balance(user=request.user)
    status = 402 if form.non_field_errors() else 400 if form.errors else 200
    return render(request, "refunds/order_new.html", {"form": form, "balance": balance}, status=status)


def _refused(request, order, error: OrderActionError, status: int = 409):
    """Show the order again with the reason (409: refused as things stand): nothing was changed."""
    messages.error(request, str(error))
    order = order_for_shopper(user=request.user, number=order.number)
    return render(request, "orders/order_detail.html", {"order": order}, status=status)


def _unreadable(request, order, form):
    """A one-click form whose hidden amount is not an amount (a tampered or broken page): a 400."""
    problems = " ".join(error for errors in form.errors.values() for error in errors)
    error = OrderActionError(
        _("This form sent something we cannot read: %(problems)s Reload the page and try again.")
        % {"problems": problems}
    )
    return _refused(request, order, error, status=400)


def _order_step(request, number: str, service, success: str, **extra):
    """POST a one-click step on the shopper's own order (with the status the page showed)."""
    order = order_for_shopper(user=request.user, number=number)
    try:
        service(order=order, by=request.user, expected_status=request.POST.get("expected_status"), **extra)
    except OrderActionError as error:
        return _refused(request, order, error)
    messages.success(request, success % {"number": order.number})
    return redirect(order)


@login_required
@require_POST
def order_pay(request, number: str):
    form = PayForm(request.POST)
    if not form.is_valid():
        return _unreadable(request, order_for_shopper(user=request.user, number=number), form)
    return _order_step(
        request,
        number,
        services.order_pay,
        _("Order %(number)s is paid."),
        expected_total=form.cleaned_data["expected_total"],
    )


@login_required
@require_POST
def order_cancel(request, number: str):
    return _order_step(request, number, services.order_cancel, _("Order %(number)s is cancelled."))


@login_required
@require_POST
def order_keep_view(request, number: str):
    return _order_step(request, number, order_keep, _("You kept it. The item is stored in the warehouse."))


@login_required
@require_POST
def order_return(request, number: str):
    order = order_for_shopper(user=request.user, number=number)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        return _unreadable(request, order, form)
    try:
        services.order_request_refund(
            order=order,
            by=request.user,
            expected_total=form.cleaned_data["expected_total"],
            expected_status=form.cleaned_data["expected_status"],
            reason=form.cleaned_data["reason"],
        )
    except OrderActionError as error:
        return _refused(request, order, error)
    messages.success(request, _("Return requested. We will send the item back to the seller and keep you posted."))
    return redirect(order)


@login_required
def order_exchange(request, number: str):
    """Name the new option, see the quote, then confirm (two steps on one page)."""
    order = order_for_shopper(user=request.user, number=number)
    form = ExchangeForm(request.POST or None, initial={"expected_status": order.status})
    quote = None
    status = 400 if form.errors else 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        quote = services.order_quote_exchange(order=order, new_unit_price=data["new_unit_price"])
        # Confirming needs the quote the shopper saw; without it, show the quote first.
        if "confirm" in request.POST and data["expected_total"] is not None:
            try:
                services.order_request_exchange(
                    order=order,
                    by=request.user,
                    new_option=data["new_option"],
                    new_unit_price=data["new_unit_price"],
                    expected_total=data["expected_total"],
                    expected_status=data["expected_status"],
                    reason=data["reason"],
                )
            except OrderActionError as error:
                messages.error(request, str(error))
                status = 409
            else:
                messages.success(request, _("Exchange requested for “%(option)s”.") % {"option": data["new_option"]})
                return redirect(order)
        form = ExchangeForm(initial={**data, "expected_total": quote.total})
    context = {
        "order": order,
        "form": form,
        "quote": quote,
        "balance": selectors.wallet_balance(user=request.user),
        "window_open": order.decision_window_open(),
    }
    return render(request, "refunds/order_exchange.html", context, status=status)


@login_required
def balance(request):
    page = Paginator(selectors.statement_entries(user=request.user), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "refunds/balance.html",
        {"page_obj": page, "balance": selectors.wallet_balance(user=request.user)},
    )


class _Echo:
    def write(self, value):
        return value


@login_required
def statement_csv(request):
    writer = csv.writer(_Echo())
    header = [_("Date"), _("Description"), _("Order"), _("Amount (CNY)"), _("Balance (CNY)")]

    def rows():
        yield writer.writerow(header)
        for entry in selectors.statement_entries(user=request.user).iterator(chunk_size=500):
            yield writer.writerow(
                [
                    timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M"),
                    entry.transaction.description,
                    entry.transaction.order.number if entry.transaction.order_id else "",
                    f"{entry.amount:+.2f}",
                    f"{entry.balance_after:.2f}",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="balance-statement.csv"'
    return response
