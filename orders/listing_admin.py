"""The order admin's listing images: the purchaser attaches the seller's photos when buying,
staff see every listing image beside the order, and a purchaser removes one attached by mistake.

A mixin for the order admin that cssbuy_qc/admin.py composes; the upload is its own form above
the change form (a file upload cannot sit inside the order's form)."""

from django.contrib import messages
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext

from common.errors import ActionRefused
from common.uploads import ACCEPT

from . import selectors, services
from .forms import ListingImagesForm
from .models import PERM_PURCHASE, PERM_VIEW_LISTING, ListingImage, Order


class ListingImagesAdminMixin:
    def get_urls(self):
        return [
            path(
                "<int:pk>/listing-images/",
                self.admin_site.admin_view(self.listing_images_upload_view),
                name="orders_order_listing_images",
            ),
            path(
                "<int:pk>/listing-images/<int:image_pk>/delete/",
                self.admin_site.admin_view(self.listing_image_delete_view),
                name="orders_order_listing_image_delete",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and request.user.has_perm(PERM_VIEW_LISTING):
            may_attach = request.user.has_perm(PERM_PURCHASE)
            context["listing"] = {
                "images": selectors.listing_images_for_order(order=obj),
                "may_attach": may_attach and obj.status != Order.Status.CANCELLED,
                "upload_url": reverse("admin:orders_order_listing_images", args=[obj.pk]),
                "accept": ACCEPT,
                "purchase_due": obj.status in (Order.Status.PAID, Order.Status.PURCHASED),
            }
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _order_or_404(self, request, pk: int) -> Order:
        order = self.get_object(request, str(pk))
        if order is None or not self.has_view_permission(request, order):
            raise Http404
        return order

    def listing_images_upload_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        order = self._order_or_404(request, pk)
        form = ListingImagesForm(request.POST, request.FILES)
        if not form.is_valid():
            for error in form.errors.get("images", []):
                self.message_user(request, error, messages.ERROR)
            return redirect("admin:orders_order_change", order.pk)
        try:
            added = services.listing_images_add(
                order=order,
                images=form.cleaned_data["images"],
                source=ListingImage.Source.PURCHASER,
                by=request.user,
            )
        except ActionRefused as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request,
                ngettext(
                    "%(count)d photo of the seller's listing attached.",
                    "%(count)d photos of the seller's listing attached.",
                    len(added),
                )
                % {"count": len(added)},
                messages.SUCCESS,
            )
        return redirect("admin:orders_order_change", order.pk)

    def listing_image_delete_view(self, request, pk: int, image_pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        order = self._order_or_404(request, pk)
        image = get_object_or_404(ListingImage, pk=image_pk, order=order)
        try:
            services.listing_image_delete(image=image, by=request.user)
        except ActionRefused as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(request, gettext("The listing image was removed."), messages.SUCCESS)
        return redirect("admin:orders_order_change", order.pk)
