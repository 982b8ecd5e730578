from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import selectors


@login_required
def order_list(request):
    groups = selectors.order_groups_for_shopper(user=request.user)
    return render(request, "orders/order_list.html", {"groups": groups})


@login_required
def order_detail(request, number: str):
    order = selectors.order_for_shopper(user=request.user, number=number)
    return render(request, "orders/order_detail.html", {"order": order})
