from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.errors import ActionRefused
from common.forms import ExpectedStatusForm
from ledger.selectors import wallet_balance
from orders.pages import order_form_unreadable, order_refused
from orders.selectors import order_for_shopper
from orders.services import deadline_display

from . import selectors, services
from .forms import CounterOfferForm, DiscountForm, ExchangeForm, ReturnForm


@login_required
@require_POST
def order_return(request, number: str):
    order = order_for_shopper(user=request.user, number=number)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        return order_form_unreadable(request, number=number, form=form)
    try:
        order, _request = services.order_request_refund(
            order=order,
            by=request.user,
            expected_total=form.cleaned_data["expected_total"],
            expected_status=form.cleaned_data["expected_status"],
            reason=form.cleaned_data["reason"],
        )
    except ActionRefused as error:
        return order_refused(request, number=number, error=error)
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
        quote = selectors.order_quote_exchange(order=order, new_unit_price=data["new_unit_price"])
        # Confirming needs the quote the shopper saw; without it, show the quote first.
        if "confirm" in request.POST and data["expected_total"] is not None:
            try:
                order, _request = services.order_request_exchange(
                    order=order,
                    by=request.user,
                    new_option=data["new_option"],
                    new_unit_price=data["new_unit_price"],
                    expected_total=data["expected_total"],
                    expected_status=data["expected_status"],
                    reason=data["reason"],
                )
            except ActionRefused as error:
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
        "balance": wallet_balance(user=request.user),
        "window_open": order.decision_window_open(),
    }
    return render(request, "refunds/order_exchange.html", context, status=status)


@login_required
@require_POST
def order_discount(request, number: str):
    """Keep it at a discount: ask the seller for part of the price back."""
    order = order_for_shopper(user=request.user, number=number)
    form = DiscountForm(request.POST)
    if not form.is_valid():
        typed = [
            f"{form.fields[name].label}: {' '.join(form.errors[name])}"
            for name in ("amount", "reason")
            if name in form.errors
        ]
        if typed:
            return order_refused(request, number=number, error=ActionRefused(" ".join(typed)), status=400)
        return order_form_unreadable(request, number=number, form=form)
    try:
        order, discount = services.order_request_discount(
            order=order,
            by=request.user,
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            expected_status=form.cleaned_data["expected_status"],
        )
    except ActionRefused as error:
        return order_refused(request, number=number, error=error)
    messages.success(
        request,
        _("We asked the seller for ¥%(amount)s back. Your decision deadline is paused until they answer.")
        % {"amount": discount.asked_amount},
    )
    return redirect(order)


@login_required
@require_POST
def order_discount_accept(request, number: str):
    """Accept the seller's counter-offer: it is credited and the item kept."""
    order = order_for_shopper(user=request.user, number=number)
    form = CounterOfferForm(request.POST)
    if not form.is_valid():
        return order_form_unreadable(request, number=number, form=form)
    try:
        order, _txn = services.order_accept_counter_offer(
            order=order,
            by=request.user,
            expected_amount=form.cleaned_data["expected_amount"],
            expected_status=form.cleaned_data["expected_status"],
        )
    except ActionRefused as error:
        return order_refused(request, number=number, error=error)
    messages.success(
        request,
        _("You keep the item. ¥%(amount)s was credited to your balance.")
        % {"amount": form.cleaned_data["expected_amount"]},
    )
    return redirect(order)


@login_required
@require_POST
def order_discount_withdraw(request, number: str):
    """Back to keep, return or exchange, with the time spent negotiating added to the deadline."""
    order = order_for_shopper(user=request.user, number=number)
    form = ExpectedStatusForm(request.POST)
    if not form.is_valid():
        return order_form_unreadable(request, number=number, form=form)
    try:
        order, _discount = services.order_withdraw_discount(
            order=order, by=request.user, expected_status=form.expected_status_or_none()
        )
    except ActionRefused as error:
        return order_refused(request, number=number, error=error)
    messages.success(
        request,
        _("Back to your choices: you have until %(deadline)s to keep, return or exchange the item.")
        % {"deadline": deadline_display(order)},
    )
    return redirect(order)
