"""The inspectors' queue of shoppers' photo requests, oldest first, and the page that answers
one: photos and measurements added to the completed round through qc.services, then "Mark
answered". Registered from qc.admin."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from common.uploads import ACCEPT

from . import selectors, services
from .forms import PhotoRequestAnswerForm, PhotoRequestMeasurementForm
from .models import PERM_ANSWER_PHOTO_REQUEST, Measurement, PhotoRequest, QCPhoto

# Files one upload may carry (a plain multi-file form post, stored in one go).
MAX_FILES_PER_ANSWER_UPLOAD = 20


class PhotoRequestStatusFilter(admin.SimpleListFilter):
    """Open requests by default: the queue is what still needs an answer."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*PhotoRequest.Status.choices, ("all", _("All"))]

    def choices(self, changelist):
        current = self.value() or PhotoRequest.Status.OPEN
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or PhotoRequest.Status.OPEN
        return queryset if value == "all" else queryset.filter(status=value)


@admin.register(PhotoRequest)
class PhotoRequestAdmin(admin.ModelAdmin):
    # The Answer button first and the shopper's words next: what an inspector works from.
    list_display = [
        "answer_link",
        "what",
        "asked",
        "order_number",
        "product",
        "waiting",
        "due",
        "fee_charged",
        "status",
    ]
    list_filter = [PhotoRequestStatusFilter]
    list_select_related = ["order"]
    list_display_links = None
    search_fields = ["order__number", "order__product_title", "note"]
    ordering = ["requested_at", "id"]
    list_per_page = 100

    @admin.display(description=_("order"), ordering="order__number")
    def order_number(self, obj: PhotoRequest):
        return obj.order.number

    @admin.display(description=_("product"))
    def product(self, obj: PhotoRequest):
        return obj.order.product_title

    @admin.display(description=_("photos asked"))
    def asked(self, obj: PhotoRequest):
        return obj.photos_asked

    @admin.display(description=_("fee"), ordering="fee")
    def fee_charged(self, obj: PhotoRequest):
        return f"¥{obj.fee}"

    @admin.display(description=_("what the shopper wants to see"))
    def what(self, obj: PhotoRequest):
        return Truncator(obj.note).chars(120)

    @admin.display(description=_("waiting"), ordering="requested_at")
    def waiting(self, obj: PhotoRequest):
        return timesince(obj.requested_at, timezone.now()) if obj.is_open else "—"

    @admin.display(description=_("refunded if unanswered by"))
    def due(self, obj: PhotoRequest):
        return obj.due_at if obj.is_open else "—"

    @admin.display(description=_("answer"))
    def answer_link(self, obj: PhotoRequest):
        label = gettext("Answer") if obj.is_open else gettext("View")
        return format_html(
            '<a class="button" href="{}">{}</a>', reverse("admin:qc_photorequest_answer", args=[obj.pk]), label
        )

    def has_add_permission(self, request) -> bool:
        return False  # shoppers make them

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # answered through the answer page's services only

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a request is part of the order's record

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(
            request, {"title": gettext("Photo requests to answer"), **(extra_context or {})}
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect("admin:qc_photorequest_answer", object_id)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/answer/", view(self.answer_view), name="qc_photorequest_answer"),
            path("<int:pk>/answer/photos/", view(self.upload_view), name="qc_photorequest_upload"),
            path(
                "<int:pk>/answer/photos/<int:photo_id>/remove/",
                view(self.remove_photo_view),
                name="qc_photorequest_remove_photo",
            ),
            path("<int:pk>/answer/measurements/", view(self.measurement_view), name="qc_photorequest_measure"),
            path(
                "<int:pk>/answer/measurements/<int:measurement_id>/remove/",
                view(self.remove_measurement_view),
                name="qc_photorequest_remove_measurement",
            ),
            *super().get_urls(),
        ]

    # --- The answer page ----------------------------------------------------------------------

    def _request(self, request, pk: int, *, to_answer: bool) -> PhotoRequest:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if to_answer and not request.user.has_perm(PERM_ANSWER_PHOTO_REQUEST):
            raise PermissionDenied
        return get_object_or_404(
            PhotoRequest.objects.select_related("order", "inspection", "requested_by", "answered_by"), pk=pk
        )

    def _back(self, photo_request: PhotoRequest):
        return redirect("admin:qc_photorequest_answer", photo_request.pk)

    def answer_view(self, request, pk: int):
        """The request, the round as the shopper sees it, what has been added so far, the forms to
        add more, and "Mark answered" (POST)."""
        photo_request = self._request(request, pk, to_answer=request.method == "POST")
        answer_form = PhotoRequestAnswerForm(request.POST or None)
        if request.method == "POST" and answer_form.is_valid():
            try:
                services.photo_request_answer(
                    photo_request=photo_request, by=request.user, note=answer_form.cleaned_data["note"]
                )
            except services.QCError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("Answer sent for order %(number)s; the shopper has been notified.")
                    % {"number": photo_request.order.number},
                    messages.SUCCESS,
                )
                return redirect("admin:qc_photorequest_changelist")
            return self._back(photo_request)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Photo request for order %(number)s") % {"number": photo_request.order.number},
            "photo_request": photo_request,
            "order": photo_request.order,
            "qc_round": selectors.inspection_for_viewer(user=request.user, pk=photo_request.inspection_id),
            "added_photos": list(photo_request.photos.order_by("position", "id")),
            "added_measurements": list(photo_request.measurements.order_by("position", "id")),
            "can_answer": photo_request.is_open and request.user.has_perm(PERM_ANSWER_PHOTO_REQUEST),
            "answer_form": answer_form,
            "measurement_form": PhotoRequestMeasurementForm(),
            "accept": ACCEPT,
        }
        status = 400 if answer_form.errors else 200
        return TemplateResponse(request, "admin/qc/photorequest/answer.html", context, status=status)

    def upload_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        photo_request = self._request(request, pk, to_answer=True)
        files = request.FILES.getlist("photo")
        if not files:
            self.message_user(request, gettext("Choose at least one photo to upload."), messages.ERROR)
            return self._back(photo_request)
        if len(files) > MAX_FILES_PER_ANSWER_UPLOAD:
            self.message_user(
                request,
                ngettext(
                    "Upload at most %(limit)d photo at a time.",
                    "Upload at most %(limit)d photos at a time.",
                    MAX_FILES_PER_ANSWER_UPLOAD,
                )
                % {"limit": MAX_FILES_PER_ANSWER_UPLOAD},
                messages.ERROR,
            )
            return self._back(photo_request)
        caption = " ".join(request.POST.get("caption", "").split())[: QCPhoto._meta.get_field("caption").max_length]
        for uploaded in files:
            try:
                services.photo_request_add_photo(
                    photo_request=photo_request, uploaded_file=uploaded, by=request.user, caption=caption
                )
            except ValidationError as error:
                for message in error.messages:
                    self.message_user(request, f"{uploaded.name}: {message}", messages.ERROR)
            except services.QCError as error:
                self.message_user(request, f"{uploaded.name}: {error}", messages.ERROR)
            else:
                self.message_user(request, gettext("Added %(name)s.") % {"name": uploaded.name}, messages.SUCCESS)
        return self._back(photo_request)

    def remove_photo_view(self, request, pk: int, photo_id: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        photo_request = self._request(request, pk, to_answer=True)
        photo = get_object_or_404(
            QCPhoto.objects.select_related("photo_request"), pk=photo_id, photo_request=photo_request
        )
        try:
            services.photo_request_remove_photo(photo=photo)
        except services.QCError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(request, gettext("Photo removed."), messages.SUCCESS)
        return self._back(photo_request)

    def measurement_view(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        photo_request = self._request(request, pk, to_answer=True)
        form = PhotoRequestMeasurementForm(request.POST)
        if not form.is_valid():
            for name, errors in form.errors.items():
                label = form.fields[name].label if name in form.fields else ""
                self.message_user(
                    request, f"{label}: {' '.join(errors)}" if label else " ".join(errors), messages.ERROR
                )
            return self._back(photo_request)
        try:
            services.photo_request_add_measurement(photo_request=photo_request, by=request.user, **form.cleaned_data)
        except services.QCError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(request, gettext("Measurement added."), messages.SUCCESS)
        return self._back(photo_request)

    def remove_measurement_view(self, request, pk: int, measurement_id: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        photo_request = self._request(request, pk, to_answer=True)
        measurement = get_object_or_404(
            Measurement.objects.select_related("photo_request"), pk=measurement_id, photo_request=photo_request
        )
        try:
            services.photo_request_remove_measurement(measurement=measurement)
        except services.QCError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(request, gettext("Measurement removed."), messages.SUCCESS)
        return self._back(photo_request)
