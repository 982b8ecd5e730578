"""The inspectors' admin: a QC queue, and an inspection page with photos, defects, measurements
and Pass / Fail. Uploads and verdicts go through qc.services; support staff only look."""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, Count, OuterRef, Subquery, Value
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from common.pages import PageSection
from common.uploads import ACCEPT
from orders.models import Order

from . import (
    photo_request_admin,  # noqa: F401 - registers the photo request queue and its answer page
    selectors,
    services,
)
from .models import (
    PERM_ADD_INSPECTION,
    PERM_ADD_PHOTO,
    PERM_COMPLETE,
    Defect,
    Inspection,
    Measurement,
    QCPhoto,
    QCQueueItem,
)

# Files one upload request may carry. The uploader sends one file per request; this bounds a
# plain multi-file form post (without JavaScript), which is validated and stored in one go.
MAX_FILES_PER_UPLOAD = 20


class QueueAgeFilter(admin.SimpleListFilter):
    """The queue by how long orders have waited since they arrived (as on the staff dashboard)."""

    title = _("waiting")
    parameter_name = "waiting"
    labels = {"under_24h": _("Under 24 hours"), "1_2_days": _("1–2 days"), "over_2_days": _("Over 2 days")}

    def lookups(self, request, model_admin):
        return [(key, self.labels[key]) for key in selectors.QUEUE_AGES]

    def queryset(self, request, queryset):
        age = selectors.QUEUE_AGES.get(self.value() or "")
        return queryset.filter(age.q(now=timezone.now())) if age else queryset


@admin.register(QCQueueItem)
class QCQueueAdmin(admin.ModelAdmin):
    """Orders awaiting QC, the longest-waiting first. Opening one opens (or resumes) its round."""

    list_display = ["number", "product_title", "option_text", "shopper", "arrived", "waiting", "inspect_link"]
    list_filter = [QueueAgeFilter]
    list_select_related = ["shopper"]
    search_fields = ["number", "product_title", "domestic_tracking", "shopper__email"]
    list_display_links = None
    list_per_page = 100

    def get_queryset(self, request):
        open_round = Inspection.objects.filter(order=OuterRef("pk"), result=Inspection.Result.PENDING).values("pk")
        return selectors.qc_queue().annotate(open_round=Subquery(open_round[:1]))

    def get_ordering(self, request):
        return ["status_changed_at", "id"]

    @admin.display(description=_("arrived"), ordering="status_changed_at")
    def arrived(self, obj: Order):
        return obj.status_changed_at

    @admin.display(description=_("waiting"))
    def waiting(self, obj: Order):
        return timesince(obj.status_changed_at, timezone.now())

    @admin.display(description=_("QC"))
    def inspect_link(self, obj: Order):
        if obj.open_round:
            url = reverse("admin:qc_inspection_change", args=[obj.open_round])
            return format_html('<a class="button" href="{}">{}</a>', url, gettext("Continue inspection"))
        url = reverse("admin:qc_qcqueueitem_inspect", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, gettext("Inspect"))

    def get_urls(self):
        return [
            path(
                "<int:pk>/inspect/",
                self.admin_site.admin_view(self.inspect_view),
                name="qc_qcqueueitem_inspect",
            ),
            *super().get_urls(),
        ]

    def inspect_view(self, request, pk: int):
        """Open the order's QC round (round N+1 if none is open) and go to its page.

        Idempotent, so a plain link: the same order opened twice is the same round.
        """
        if not request.user.has_perm(PERM_ADD_INSPECTION):
            raise PermissionDenied
        order = get_object_or_404(Order, pk=pk)
        try:
            inspection = services.inspection_open(order=order, by=request.user)
        except services.QCError as error:
            self.message_user(request, str(error), messages.ERROR)
            return redirect("admin:qc_qcqueueitem_changelist")
        return redirect("admin:qc_inspection_change", inspection.pk)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- The inspection page --------------------------------------------------------------------


def photo_details(photo: QCPhoto) -> str:
    return gettext("%(width)s×%(height)s px, %(size)s") % {
        "width": photo.width,
        "height": photo.height,
        "size": filesizeformat(photo.bytes),
    }


class PhotoInline(admin.TabularInline):
    model = QCPhoto
    extra = 0
    fields = ["preview", "caption", "position", "details"]
    readonly_fields = ["preview", "details"]
    ordering = ["position", "id"]
    verbose_name_plural = _("photos (upload new ones above)")

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # photos arrive through the uploader, which validates them

    def get_queryset(self, request):
        # Whether this viewer gets Retry buttons, on each row (the admin instance is shared
        # by every request, so it holds no per-request state).
        may_retry = request.user.has_perm("qc.change_qcphoto")
        return super().get_queryset(request).annotate(qc_may_retry=Value(may_retry, output_field=BooleanField()))

    @admin.display(description=_("photo"))
    def preview(self, obj: QCPhoto):
        if not obj.pk:
            return "—"
        if obj.renditions_have_failed:
            retry = ""
            if getattr(obj, "qc_may_retry", False):
                url = reverse("admin:qc_inspection_retry_renditions", args=[obj.inspection_id, obj.pk])
                retry = format_html(
                    '<button type="submit" class="button" formaction="{}" formmethod="post">{}</button>',
                    url,
                    gettext("Retry"),
                )
            return format_html(
                '<div class="qc-admin-failed" role="status"><strong>{}</strong> <span>{}</span> {}</div>',
                gettext("Could not be processed:"),
                obj.renditions_error,
                retry,
            )
        if not obj.is_ready:
            return format_html('<span class="qc-admin-pending">{}</span>', gettext("Processing…"))
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" width="{}" height="{}" alt="" '
            'class="qc-admin-thumb" loading="lazy"></a>',
            obj.full_url,
            obj.thumb_url,
            obj.thumb_width,
            obj.thumb_height,
        )

    @admin.display(description=_("details"))
    def details(self, obj: QCPhoto):
        return photo_details(obj) if obj.pk else "—"


class PhotoCaptionForm(forms.Form):
    """The caption sent with an upload (the same for every file of the request)."""

    caption = forms.CharField(required=False, max_length=QCPhoto._meta.get_field("caption").max_length)


class DefectForm(forms.ModelForm):
    # Set per request by DefectInline.get_formset: the round's photos, read once for all rows.
    photo_choices: list | None = None

    class Meta:
        model = Defect
        fields = ["kind", "severity", "description", "photo", "box_x", "box_y", "box_w", "box_h"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2, "cols": 34}),
            "box_x": forms.HiddenInput(attrs={"data-qc-box": "x"}),
            "box_y": forms.HiddenInput(attrs={"data-qc-box": "y"}),
            "box_w": forms.HiddenInput(attrs={"data-qc-box": "w"}),
            "box_h": forms.HiddenInput(attrs={"data-qc-box": "h"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.photo_choices is not None and "photo" in self.fields:
            self.fields["photo"].choices = self.photo_choices


class DefectInline(admin.TabularInline):
    model = Defect
    form = DefectForm
    extra = 0
    fields = ["kind", "severity", "description", "photo", "box", "box_x", "box_y", "box_w", "box_h"]
    readonly_fields = ["box"]
    ordering = ["position", "id"]

    @admin.display(description=_("highlight box"))
    def box(self, obj: Defect):
        # Filled in by static/js/qc-admin.js: a "Draw box" button and the box's position.
        return format_html('<span class="qc-box-slot" data-qc-box-slot>{}</span>', gettext("Needs JavaScript"))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("photo")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if "photo" in formset.form.base_fields:
            # Only this round's photos, read once for the menu of every row, not once per row.
            field = formset.form.base_fields["photo"]
            field.queryset = (
                QCPhoto.objects.filter(inspection=obj).order_by("position", "id")
                if obj is not None
                else QCPhoto.objects.none()
            )
            formset.form = type("DefectRowForm", (formset.form,), {"photo_choices": list(field.choices)})
        return formset


class MeasurementInline(admin.TabularInline):
    model = Measurement
    extra = 0
    fields = ["name", "listed_value", "measured_value", "unit", "position"]
    ordering = ["position", "id"]


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    change_form_template = "admin/qc/inspection/change_form.html"
    list_display = [
        "__str__",
        "order",
        "round_number",
        "result",
        "inspector",
        "photo_count",
        "opened_at",
        "completed_at",
    ]
    list_filter = ["result", "completed_at"]
    search_fields = ["order__number", "order__product_title", "inspector__email"]
    list_select_related = ["order", "inspector"]
    readonly_fields = ["order_link", "round_number", "result", "inspector", "opened_at", "completed_at"]
    fieldsets = (
        (None, {"fields": ("order_link", "round_number", "result", "inspector", "opened_at", "completed_at")}),
        (_("Notes"), {"fields": ("public_note", "internal_note")}),
    )
    inlines = [PhotoInline, DefectInline, MeasurementInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(photo_count=Count("photos"))

    @admin.display(description=_("photos"), ordering="photo_count")
    def photo_count(self, obj: Inspection) -> int:
        return obj.photo_count

    @admin.display(description=_("order"))
    def order_link(self, obj: Inspection):
        order = obj.order
        return format_html(
            "{} — {} ({}) · {}",
            order.number,
            order.product_title,
            order.option_text or "—",
            order.get_status_display(),
        )

    def has_add_permission(self, request) -> bool:
        return False  # rounds are opened from the QC queue

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a round is evidence

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and not obj.is_open:
            return False  # a completed round is read-only
        return super().has_change_permission(request, obj)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/upload/", self.admin_site.admin_view(self.upload_view), name="qc_inspection_upload"
            ),
            path(
                "<path:object_id>/photos/<int:photo_id>/retry/",
                self.admin_site.admin_view(self.retry_renditions_view),
                name="qc_inspection_retry_renditions",
            ),
            *super().get_urls(),
        ]

    def retry_renditions_view(self, request, object_id: str, photo_id: int):
        """Make a failed photo's renditions again (the Retry button next to its reason)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm("qc.change_qcphoto"):
            raise PermissionDenied
        photo = get_object_or_404(QCPhoto, pk=photo_id, inspection_id=unquote(object_id))
        services.photo_renditions_retry(photo=photo, by=request.user)
        self.message_user(
            request, gettext("Photo %(key)s is being processed again.") % {"key": photo.key[:8]}, messages.SUCCESS
        )
        return redirect("admin:qc_inspection_change", photo.inspection_id)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        inspection = self.get_object(request, unquote(object_id))
        extra_context = extra_context or {}
        if inspection is not None:
            photos = list(inspection.photos.order_by("position", "id"))
            extra_context.update(
                {
                    "qc_can_work": self.has_change_permission(request, inspection)
                    and request.user.has_perm(PERM_COMPLETE),
                    "qc_upload_url": reverse("admin:qc_inspection_upload", args=[inspection.pk]),
                    "qc_accept": ACCEPT,
                    "qc_photos": [
                        {
                            "id": photo.pk,
                            "label": (
                                gettext("Photo %(n)s: %(caption)s") % {"n": n, "caption": photo.caption}
                                if photo.caption
                                else gettext("Photo %(n)s") % {"n": n}
                            ),
                            "src": photo.display_url if photo.is_ready else "",
                            "width": photo.display_width or photo.width,
                            "height": photo.display_height or photo.height,
                        }
                        for n, photo in enumerate(photos, start=1)
                    ],
                }
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # A service refusal while saving (the round was completed by someone else meanwhile)
        # rolls the whole save back; say why instead of failing with a server error.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.QCError as error:
            if object_id is None:
                raise
            self.message_user(request, str(error), messages.ERROR)
            return redirect("admin:qc_inspection_change", unquote(object_id))

    def save_related(self, request, form, formsets, change):
        # Photos last: a defect row saved in the same post may point at a photo deleted in it;
        # saved first, it then loses its box with the photo like every other defect on it.
        super().save_related(request, form, sorted(formsets, key=lambda f: f.model is QCPhoto), change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not QCPhoto:
            return super().save_formset(request, form, formset, change)
        instances = formset.save(commit=False)
        cleared = []
        for photo in formset.deleted_objects:
            cleared += services.photo_delete(photo=photo)
        for photo in instances:
            photo.save(update_fields=["caption", "position"])
        if cleared:
            self.message_user(
                request,
                ngettext(
                    "The highlight box of %(count)d defect was on a deleted photo and has been "
                    "cleared; the defect is kept. Draw its box again if needed: %(defects)s.",
                    "The highlight boxes of %(count)d defects were on deleted photos and have been "
                    "cleared; the defects are kept. Draw their boxes again if needed: %(defects)s.",
                    len(cleared),
                )
                % {
                    "count": len(cleared),
                    "defects": "; ".join(
                        gettext("%(defect)s “%(description)s”")
                        % {"defect": defect, "description": Truncator(defect.description).chars(40)}
                        for defect in cleared
                    ),
                },
                messages.WARNING,
            )
        return None

    def response_change(self, request, obj: Inspection):
        verdict = (
            Inspection.Result.PASSED
            if "_qc_pass" in request.POST
            else Inspection.Result.FAILED
            if "_qc_fail" in request.POST
            else None
        )
        if verdict is None:
            return super().response_change(request, obj)
        if not request.user.has_perm(PERM_COMPLETE):
            raise PermissionDenied
        try:
            inspection = services.inspection_complete(inspection=obj, by=request.user, result=verdict)
        except services.QCError as error:
            self.message_user(request, str(error), messages.ERROR)
            return redirect("admin:qc_inspection_change", obj.pk)
        self.message_user(
            request,
            gettext("Round %(round)s of order %(number)s: %(result)s. The shopper has been notified.")
            % {
                "round": inspection.round_number,
                "number": inspection.order.number,
                "result": inspection.get_result_display(),
            },
            messages.SUCCESS,
        )
        return redirect("admin:qc_qcqueueitem_changelist")

    def upload_view(self, request, object_id: str):
        """Staff-only upload endpoint: one or more files in `photo`. JSON for the uploader's
        fetch/XHR; a redirect with messages for a plain form post.

        Every refusal is a 4xx with a message the inspector can act on: an unknown round (404),
        no permission (403), a completed round (409), no file or too many files (400).
        """
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        wants_json = "application/json" in request.headers.get("Accept", "")
        files = request.FILES.getlist("photo")

        def refuse(message: str, status: int, inspection: Inspection | None = None):
            if wants_json:
                names = [uploaded.name for uploaded in files] or [""]
                results = [{"name": name, "ok": False, "errors": [message]} for name in names]
                return JsonResponse({"ok": False, "errors": [message], "results": results}, status=status)
            if status == 404:
                raise Http404(message)
            if status == 403:
                raise PermissionDenied(message)
            self.message_user(request, message, messages.ERROR)
            return redirect("admin:qc_inspection_change", inspection.pk)

        inspection = self.get_object(request, unquote(object_id))  # None for a non-numeric id too
        if inspection is None:
            return refuse(gettext("This QC round does not exist (any more)."), 404)
        if not (self.has_change_permission(request) and request.user.has_perm(PERM_ADD_PHOTO)):
            return refuse(gettext("You may not add photos here."), 403)
        if not inspection.is_open:
            return refuse(gettext("This QC round is complete; its photos cannot change."), 409, inspection)
        if not files:
            return refuse(gettext("Choose at least one photo to upload."), 400, inspection)
        if len(files) > MAX_FILES_PER_UPLOAD:
            message = ngettext(
                "Upload at most %(limit)d photo at a time; %(count)d were sent.",
                "Upload at most %(limit)d photos at a time; %(count)d were sent.",
                MAX_FILES_PER_UPLOAD,
            ) % {"limit": MAX_FILES_PER_UPLOAD, "count": len(files)}
            return refuse(message, 400, inspection)
        caption_form = PhotoCaptionForm(request.POST)
        if not caption_form.is_valid():
            return refuse(" ".join(caption_form.errors["caption"]), 400, inspection)
        caption = caption_form.cleaned_data["caption"]
        results = []
        for uploaded in files:
            try:
                photo = services.photo_add(
                    inspection=inspection, uploaded_file=uploaded, by=request.user, caption=caption
                )
            except ValidationError as error:
                results.append({"name": uploaded.name, "ok": False, "errors": error.messages})
            except services.QCError as error:
                results.append({"name": uploaded.name, "ok": False, "errors": [str(error)]})
            else:
                # What the uploader shows at once: a row in the photo list, an entry in the defects' menus.
                results.append(
                    {
                        "name": uploaded.name,
                        "ok": True,
                        "id": photo.pk,
                        "label": str(photo),
                        "details": photo_details(photo),
                    }
                )
        ok = any(result["ok"] for result in results)
        if wants_json:
            return JsonResponse({"ok": ok, "results": results}, status=200 if ok else 400)
        for result in results:
            if result["ok"]:
                self.message_user(request, gettext("Uploaded %(name)s.") % {"name": result["name"]}, messages.SUCCESS)
            else:
                for error in result["errors"]:
                    self.message_user(
                        request,
                        gettext("%(name)s: %(error)s") % {"name": result["name"], "error": error},
                        messages.ERROR,
                    )
        return redirect("admin:qc_inspection_change", inspection.pk)


class QCOrderAdminMixin:
    """For the order admin: Receive (the button and the bulk action) also opens the QC round."""

    def get_staff_actions(self) -> dict[str, Callable]:
        return {**super().get_staff_actions(), "receive": services.order_receive_and_open_round}


class OrderQCSummaryMixin:
    """For the admin of anything about an order (it has an `order`): the order's latest completed
    QC round, with its defects and thumbnails, as a section of its page."""

    def get_order_sections(self, request, obj) -> list[PageSection]:
        sections = super().get_order_sections(request, obj)
        if obj.order_id is None:
            return sections
        qc_round = selectors.latest_round_for_support(order=obj.order)
        return [*sections, PageSection("admin/qc/order_qc_summary.html", {"qc_round": qc_round})]
