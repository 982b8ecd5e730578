from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services


@login_required
def order_list(request):
    groups = selectors.order_groups_for_shopper(user=request.user)
    return render(request, "orders/order_list.html", {"groups": groups})


@login_required
def order_detail(request, number: str):
    order = selectors.order_for_shopper(user=request.user, number=number)
    return render(request, "orders/order_detail.html", {"order": order})


def _refused(request, number: str, error: services.OrderActionError):
    """Show the order again with the reason, as a 409: nothing was changed."""
    messages.error(request, str(error))
    order = selectors.order_for_shopper(user=request.user, number=number)
    return render(request, "orders/order_detail.html", {"order": order}, status=409)


@login_required
@require_POST
def order_cancel(request, number: str):
    order = selectors.order_for_shopper(user=request.user, number=number)
    try:
        services.order_cancel(order=order, by=request.user, expected_status=request.POST.get("expected_status"))
    except services.OrderActionError as error:
        return _refused(request, number, error)
    messages.success(request, _("Order %(number)s is cancelled.") % {"number": order.number})
    return redirect(order)
