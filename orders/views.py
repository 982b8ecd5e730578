from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext, pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from common.errors import ActionRefused
from common.forms import ExpectedStatusForm
from common.serving import stored_file_response
from ledger.selectors import wallet_balance
from ledger.services import InsufficientBalance

from . import selectors, services
from .forms import ListingImagesForm, PayForm, PlaceOrderForm
from .models import LISTING_RENDITIONS, ListingImage
from .pages import order_form_unreadable, order_page, order_refused

# Each tab's label, and a shorter one where a phone has no room for the long one.
TAB_LABELS = {
    "action": (_lazy("Needs your action"), pgettext_lazy("orders that need the shopper", "To do")),
    "progress": (_lazy("In progress"), pgettext_lazy("orders in progress", "Ongoing")),
    "done": (pgettext_lazy("orders that are finished", "Done"), pgettext_lazy("orders that are finished", "Done")),
    "all": (pgettext_lazy("all orders", "All"), pgettext_lazy("all orders", "All")),
}


@login_required
@require_safe
def order_list(request):
    """The shopper's orders, a page at a time, in a status tab, optionally searched."""
    listing = selectors.order_list_for_shopper(
        user=request.user,
        tab=request.GET.get("tab", "all"),
        search=request.GET.get("q", ""),
        page=request.GET.get("page"),
    )
    search = {"q": listing.search} if listing.search else {}
    tabs = [
        {
            "key": key,
            "label": TAB_LABELS[key][0],
            "short_label": TAB_LABELS[key][1],
            "count": listing.counts[key],
            "query": urlencode({**({"tab": key} if key != "all" else {}), **search}),
        }
        for key in selectors.TABS
    ]
    query = urlencode({**({"tab": listing.tab} if listing.tab != "all" else {}), **search})
    return render(request, "orders/order_list.html", {"listing": listing, "tabs": tabs, "query": query})


@login_required
def order_detail(request, number: str):
    return order_page(request, number=number)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def order_new(request):
    """Place an order and pay it from the balance in one step, for the total the page showed."""
    form = PlaceOrderForm(request.POST or None, request.FILES or None)
    status, total_to_confirm = 200, None
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        elif form.cleaned_data["expected_total"] is None:
            # The page could not show the total as the shopper typed (no JavaScript): show it now
            # and let them press "Place and pay" again, knowing it.
            form = form.with_total_shown()
            total_to_confirm = form.data["expected_total"]
        else:
            try:
                order = services.order_place_and_pay(
                    shopper=request.user, expected_total=form.cleaned_data["expected_total"], **form.order_values()
                )
            except services.TotalNotAsShown as error:
                form = form.with_total_shown()
                form.add_error(None, str(error))
                status, total_to_confirm = 409, form.data["expected_total"]
            except ActionRefused as error:
                form.add_error(None, str(error))
                status = 402 if isinstance(error, InsufficientBalance) else 409
            else:
                messages.success(request, _("Order %(number)s is placed and paid.") % {"number": order.number})
                return redirect(order)
    context = {"form": form, "balance": wallet_balance(user=request.user), "total_to_confirm": total_to_confirm}
    return render(request, "orders/order_new.html", context, status=status)


def _order_step(request, number: str, service, success: str, form_class=ExpectedStatusForm):
    """POST a one-click step on the shopper's own order (with the status the page showed)."""
    order = selectors.order_for_shopper(user=request.user, number=number)
    form = form_class(request.POST)
    if not form.is_valid():
        return order_form_unreadable(request, number=number, form=form)
    extra = {name: value for name, value in form.cleaned_data.items() if name != "expected_status"}
    try:
        order = service(order=order, by=request.user, expected_status=form.expected_status_or_none(), **extra)
    except ActionRefused as error:
        return order_refused(request, number=number, error=error)
    messages.success(request, success % {"number": order.number})
    return redirect(order)


@login_required
@require_POST
def order_pay(request, number: str):
    return _order_step(request, number, services.order_pay, _("Order %(number)s is paid."), form_class=PayForm)


@login_required
@require_POST
def order_cancel(request, number: str):
    return _order_step(request, number, services.order_cancel, _("Order %(number)s is cancelled."))


@login_required
@require_POST
def order_keep(request, number: str):
    return _order_step(request, number, services.order_keep, _("You kept it. The item is stored in the warehouse."))


@login_required
@require_POST
def listing_images_add(request, number: str):
    """The shopper adds screenshots of the listing from the order page."""
    order = selectors.order_for_shopper(user=request.user, number=number)
    form = ListingImagesForm(request.POST, request.FILES)
    if not form.is_valid():
        problems = [error for errors in form.errors.values() for error in errors]
        return order_refused(request, number=number, error=ActionRefused(" ".join(problems)), status=400)
    try:
        added = services.listing_images_add(
            order=order, images=form.cleaned_data["images"], source=ListingImage.Source.SHOPPER, by=request.user
        )
    except ActionRefused as error:
        return order_refused(request, number=number, error=error)
    messages.success(
        request,
        ngettext("%(count)d listing image attached.", "%(count)d listing images attached.", len(added))
        % {"count": len(added)},
    )
    return redirect(order)


@login_required
@require_safe
def listing_image(request, pk: int, rendition: str):
    """One rendition of a listing image, for its order's shopper or staff; anyone else gets 404."""
    if rendition not in LISTING_RENDITIONS:
        raise Http404
    image = selectors.listing_image_for_viewer(user=request.user, pk=pk)
    return stored_file_response(
        request,
        getattr(image, rendition),
        etag=f"{image.key}-{rendition}",
        content_type="image/jpeg",
        filename=f"listing-{image.key[:12]}-{rendition}.jpg",
    )
