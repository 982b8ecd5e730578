from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from orders.models import Order


@login_required
@require_safe
def minimal_page(request):
    """The anchor: a logged-in page that renders 20 rows with 2 queries of its own (the rows and
    their count), besides the session and the user that any logged-in page reads."""
    orders = Order.objects.for_shopper(request.user).order_by("-id")
    rows = list(orders.values_list("number", "product_title", "status", "unit_price")[:20])
    return render(request, "bench_minimal.html", {"rows": rows, "count": orders.count()})
