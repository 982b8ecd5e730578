from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from common.errors import ActionRefused
from common.forms import ExpectedStatusForm
from common.serving import stored_file_response
from ledger.selectors import wallet_balance

from . import selectors, services
from .forms import ListingImagesForm, PayForm, PlaceOrderForm
from .models import LISTING_RENDITIONS, ListingImage
from .pages import order_form_unreadable, order_page, order_refused


@login_required
def order_list(request):
    groups = selectors.order_groups_for_shopper(user=request.user)
    return render(request, "orders/order_list.html", {"groups": groups})


@login_required
def order_detail(request, number: str):
    return order_page(request, number=number)


@login_required
def order_new(request):
    """Place an order and pay it from the balance in one step."""
    form = PlaceOrderForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            order = services.order_place_and_pay(shopper=request.user, **form.order_values())
        except ActionRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Order %(number)s is placed and paid.") % {"number": order.number})
            return redirect(order)
    balance = wallet_balance(user=request.user)
    status = 402 if form.non_field_errors() else 400 if form.errors else 200
    return render(request, "orders/order_new.html", {"form": form, "balance": balance}, status=status)


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
