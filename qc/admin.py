"""The inspectors' admin: a QC queue, and an inspection page with photos, defects, measurements
and Pass / Fail. Uploads and verdicts go through qc.services; support staff only look."""

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, Count, Max, OuterRef, Q, Subquery, Value
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from common.pages import PageSection
from common.uploads import ACCEPT, FORMATS
from orders.models import Order

from . import (
    photo_request_admin,  # noqa: F401 - registers the photo request queue and its answer page
    selectors,
    services,
)
from .forms import CategoryForm, InspectionForm, PhotoDescribeForm, PhotoOrderForm, PhotoUploadForm
from .models import (
    PERM_ADD_INSPECTION,
    PERM_ADD_PHOTO,
    PERM_CHANGE_PHOTO,
    PERM_COMPLETE,
    PERM_DELETE_PHOTO,
    PERM_VIEW_PHOTO,
    Defect,
    Inspection,
    Measurement,
    QCPhoto,
    QCQueueItem,
    ShotListItem,
)

# Files one upload request may carry. The uploader sends one file per request; this bounds a
# plain multi-file form post (without JavaScript), which is validated and stored in one go.
MAX_FILES_PER_UPLOAD = 20
# What the page's uploader lets through before sending (common.uploads checks the content again).
ACCEPTED_TYPES = sorted(content_type for _format, content_type, _extensions in FORMATS.values())
ACCEPTED_EXTENSIONS = sorted(ext for _format, _type, extensions in FORMATS.values() for ext in extensions)
# Offered as the inspector types a measurement's name (any other name is fine).
MEASUREMENT_NAMES = [
    _("Chest width"),
    _("Length"),
    _("Shoulder width"),
    _("Sleeve length"),
    _("Waist"),
    _("Hip"),
    _("Inseam"),
    _("Insole length"),
    _("Width"),
    _("Height"),
    _("Depth"),
    _("Strap length"),
]


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

    list_display = [
        "number",
        "product_title",
        "option_text",
        "category",
        "shopper",
        "arrived",
        "waiting",
        "inspect_link",
    ]
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
# One page per round, built for a warehouse inspector at 1366×768: photos dropped or picked and
# shown as they are processed, defects boxed on their photo in a dialog, measurements with their
# difference, the shot list, and the order's context. static/js/qc-admin*.js makes it live
# through the small JSON endpoints below; without JavaScript the form still saves, uploads and
# passes or fails.


def photo_payload(photo: QCPhoto) -> dict:
    """A photo as the page's script knows it (the upload's answer, the status poll, edits)."""
    ready, failed = photo.state == "ready", photo.state == "failed"
    return {
        "id": photo.pk,
        "state": photo.state,
        "caption": photo.caption,
        "shot": photo.shot_id,
        "details": photo.details,
        "thumb": photo.thumb_url if ready else "",
        "display": photo.display_url if ready else "",
        "full": photo.full_url if ready else "",
        "width": (photo.display_width if ready else None) or photo.width,
        "height": (photo.display_height if ready else None) or photo.height,
        "thumbWidth": photo.thumb_width,
        "thumbHeight": photo.thumb_height,
        "error": photo.renditions_error if failed else "",
    }


def tolerance_text() -> str:
    """QC_MEASUREMENT_TOLERANCE_PERCENT as people write it: 3, 2.5."""
    return f"{Decimal(str(settings.QC_MEASUREMENT_TOLERANCE_PERCENT)).normalize():f}"


def measurement_difference(measured, listed, unit: str) -> tuple[str, bool]:
    """The difference as the measurements table shows it, and whether it is beyond tolerance;
    static/js/qc-admin-page.js writes the same as the inspector types."""
    if measured is None or listed is None:
        return "", False
    difference = measured - listed
    tolerance = Decimal(str(settings.QC_MEASUREMENT_TOLERANCE_PERCENT))
    sign = "+" if difference > 0 else "−" if difference < 0 else "±"
    amount = f"{abs(difference).normalize():f}"
    if listed == 0:
        return f"{sign}{amount} {unit}", difference != 0
    percent = abs(difference) / abs(listed) * 100
    off = percent > tolerance
    text = gettext("%(difference)s %(unit)s (%(percent)s %%)") % {
        "difference": sign + amount,
        "unit": unit,
        "percent": f"{sign}{percent.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}",
    }
    return text, off


class PhotoForm(forms.ModelForm):
    # Set per request by PhotoInline.get_formset: the shots of the order's category, read once.
    shot_choices: list | None = None

    class Meta:
        model = QCPhoto
        fields = ["caption", "shot", "position"]
        widgets = {
            "caption": forms.TextInput(
                attrs={
                    "class": "qc-card__caption",
                    "data-qc-caption": "",
                    "maxlength": 200,
                    "placeholder": _("Caption"),
                }
            ),
            "shot": forms.Select(attrs={"class": "qc-card__shot", "data-qc-shot": ""}),
            "position": forms.NumberInput(attrs={"class": "qc-card__position", "data-qc-position": "", "min": 0}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.shot_choices is not None and "shot" in self.fields:
            self.fields["shot"].choices = self.shot_choices


class PhotoInline(admin.TabularInline):
    model = QCPhoto
    form = PhotoForm
    template = "admin/qc/inspection/photos_inline.html"
    extra = 0
    fields = ["caption", "shot", "position"]
    ordering = ["position", "id"]
    verbose_name_plural = _("photos")

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # photos arrive through the uploader, which validates them

    def get_queryset(self, request):
        # Whether this viewer gets Retry buttons, on each row (the admin instance is shared
        # by every request, so it holds no per-request state).
        may_retry = request.user.has_perm(PERM_CHANGE_PHOTO)
        queryset = super().get_queryset(request).select_related("shot")
        return queryset.annotate(qc_may_retry=Value(may_retry, output_field=BooleanField()))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "shot":
            # A plain menu: not the admin's links to add or change shot list items from here.
            return db_field.formfield(widget=PhotoForm._meta.widgets["shot"])
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        field = formset.form.base_fields.get("shot")
        if field is not None and obj is not None:
            # The order's shot list, and any shot a photo already covers (a category changed in
            # the order admin meanwhile): read once for every card's menu.
            field.queryset = (
                ShotListItem.objects.filter(Q(category=obj.order.category, active=True) | Q(photos__inspection=obj))
                .distinct()
                .order_by("position", "id")
            )
            choices = [("", gettext("Shot: none")), *((shot.pk, shot.label) for shot in field.queryset)]
            formset.form = type("PhotoRowForm", (formset.form,), {"shot_choices": choices})
        return formset


class DefectForm(forms.ModelForm):
    # Set per request by DefectInline.get_formset: the round's photos, read once for all rows.
    photo_choices: list | None = None

    class Meta:
        model = Defect
        fields = ["kind", "severity", "description", "photo", "box_x", "box_y", "box_w", "box_h"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2, "cols": 28}),
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
    readonly_fields = ["box", "photo_shown"]
    ordering = ["position", "id"]

    def get_fields(self, request, obj=None):
        if obj is not None and not (obj.is_open and self.has_change_permission(request, obj)):
            return ["kind", "severity", "description", "photo_shown", "box"]  # read only
        return self.fields

    @admin.display(description=_("photo"))
    def photo_shown(self, obj: Defect) -> str:
        """The photo as the page numbers it (never by its internal key)."""
        return obj.photo.label(obj.photo_number) if obj.photo_id else "—"

    @admin.display(description=_("highlight box"))
    def box(self, obj: Defect):
        # The photo with its box; on a round being inspected, static/js/qc-admin-defects.js
        # puts the buttons that draw, edit and clear it here.
        if obj.pk is None or not obj.has_box:
            shown = gettext("No box")
        elif not obj.photo.is_ready:
            shown = gettext("Processing…")
        else:
            shown = format_html(
                '<span class="qc-box-preview__frame"><img src="{}" alt="">'
                '<span class="qc-box-preview__box" style="left:{}%;top:{}%;width:{}%;height:{}%"></span></span>',
                obj.photo.thumb_url,
                *(f"{value * 100:.2f}" for value in (obj.box_x, obj.box_y, obj.box_w, obj.box_h)),
            )
        return format_html('<span class="qc-box-slot" data-qc-box-slot>{}</span>', shown)

    def get_queryset(self, request):
        # Each defect's photo number on the page: its place among the round's photos.
        same_round = QCPhoto.objects.filter(inspection=OuterRef("inspection_id"))
        before = same_round.filter(
            Q(position__lt=OuterRef("photo__position"))
            | Q(position=OuterRef("photo__position"), pk__lte=OuterRef("photo_id"))
        )
        number = before.order_by().values("inspection_id").annotate(n=Count("pk")).values("n")
        return super().get_queryset(request).select_related("photo__shot").annotate(photo_number=Subquery(number))

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if "photo" in formset.form.base_fields:
            # Only this round's photos, read once for the menu of every row, named by their
            # number and caption or shot as the page shows them.
            field = formset.form.base_fields["photo"]
            photos = list(selectors.round_photos(inspection_id=obj.pk)) if obj is not None else []
            field.queryset = QCPhoto.objects.filter(inspection=obj) if obj is not None else QCPhoto.objects.none()
            choices = [("", gettext("Photo: none")), *((p.pk, p.label(n)) for n, p in enumerate(photos, start=1))]
            formset.form = type("DefectRowForm", (formset.form,), {"photo_choices": choices})
        return formset


class MeasurementForm(forms.ModelForm):
    class Meta:
        model = Measurement
        fields = ["name", "listed_value", "measured_value", "unit"]
        widgets = {
            "name": forms.TextInput(attrs={"size": 16, "list": "qc-measurement-names", "data-qc-measure": "name"}),
            "listed_value": forms.NumberInput(
                attrs={"step": "0.01", "inputmode": "decimal", "data-qc-measure": "listed"}
            ),
            "measured_value": forms.NumberInput(
                attrs={"step": "0.01", "inputmode": "decimal", "data-qc-measure": "measured"}
            ),
            "unit": forms.TextInput(attrs={"size": 3, "data-qc-measure": "unit"}),
        }


class MeasurementInline(admin.TabularInline):
    model = Measurement
    form = MeasurementForm
    extra = 0
    fields = ["name", "listed_value", "measured_value", "unit", "difference"]
    readonly_fields = ["difference"]
    ordering = ["position", "id"]

    @admin.display(description=_("difference"))
    def difference(self, obj: Measurement):
        text, off = (
            ("", False) if obj.pk is None else measurement_difference(obj.measured_value, obj.listed_value, obj.unit)
        )
        status = gettext("off") if off else gettext("within ±%(tolerance)s %%") % {"tolerance": tolerance_text()}
        return format_html(
            '<output class="qc-diff{}" data-qc-diff>{}</output> '
            '<strong class="qc-diff__off{}" data-qc-off>{}</strong>',
            " qc-diff--off" if off else "",
            text,
            "" if off else " qc-diff__ok",
            status if text else "",
        )


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    form = InspectionForm
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
    fieldsets = (
        (_("Parcel"), {"fields": ("category", "weight_grams")}),
        (_("Notes"), {"fields": ("public_note", "internal_note")}),
    )
    inlines = [PhotoInline, DefectInline, MeasurementInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order", "inspector").annotate(photo_count=Count("photos"))

    @admin.display(description=_("photos"), ordering="photo_count")
    def photo_count(self, obj: Inspection) -> int:
        return obj.photo_count

    @admin.display(description=_("product category"))
    def category(self, obj: Inspection) -> str:
        return obj.order.get_category_display()

    def has_add_permission(self, request) -> bool:
        return False  # rounds are opened from the QC queue

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a round is evidence

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and not obj.is_open:
            return False  # a completed round is read-only
        return super().has_change_permission(request, obj)

    def get_urls(self):
        def route(suffix: str, view, name: str):
            return path(f"<path:object_id>/{suffix}", self.admin_site.admin_view(view), name=name)

        return [
            route("upload/", self.upload_view, "qc_inspection_upload"),
            route("photos/", self.photos_view, "qc_inspection_photos"),
            route("photos/order/", self.photo_order_view, "qc_inspection_photo_order"),
            route("photos/<int:photo_id>/", self.photo_view, "qc_inspection_photo"),
            route("photos/<int:photo_id>/delete/", self.photo_delete_view, "qc_inspection_photo_delete"),
            route("photos/<int:photo_id>/retry/", self.retry_renditions_view, "qc_inspection_retry_renditions"),
            route("category/", self.category_view, "qc_inspection_category"),
            *super().get_urls(),
        ]

    # --- The page ---------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        inspection = self.get_object(request, unquote(object_id))
        extra_context = extra_context or {}
        if inspection is not None:
            extra_context.update(self.workbench_context(request, inspection))
        return super().change_view(request, object_id, form_url, extra_context)

    def workbench_context(self, request, inspection: Inspection) -> dict:
        order = inspection.order
        workbench = selectors.inspection_workbench(inspection=inspection)
        can_work = self.has_change_permission(request, inspection) and request.user.has_perm(PERM_COMPLETE)
        shots = workbench.shot_lists.get(order.category, [])
        covered: dict[int, list[int]] = {}
        for number, photo in enumerate(workbench.photos, start=1):
            if photo.shot_id is not None and photo.state != "failed":
                covered.setdefault(photo.shot_id, []).append(number)
        urls = {
            "upload": reverse("admin:qc_inspection_upload", args=[inspection.pk]),
            "photos": reverse("admin:qc_inspection_photos", args=[inspection.pk]),
            "order": reverse("admin:qc_inspection_photo_order", args=[inspection.pk]),
            # With 0 where the photo's id goes.
            "photo": reverse("admin:qc_inspection_photo", args=[inspection.pk, 0]),
            "delete": reverse("admin:qc_inspection_photo_delete", args=[inspection.pk, 0]),
            "retry": reverse("admin:qc_inspection_retry_renditions", args=[inspection.pk, 0]),
            "category": reverse("admin:qc_inspection_category", args=[inspection.pk]),
        }
        config = {
            "canWork": can_work,
            "canRetry": request.user.has_perm(PERM_CHANGE_PHOTO),
            "canDelete": request.user.has_perm(PERM_DELETE_PHOTO),
            "urls": urls,
            "maxBytes": settings.QC_PHOTO_MAX_BYTES,
            "maxSizeText": filesizeformat(settings.QC_PHOTO_MAX_BYTES),
            "accept": {"types": ACCEPTED_TYPES, "extensions": ACCEPTED_EXTENSIONS},
            "tolerance": settings.QC_MEASUREMENT_TOLERANCE_PERCENT,
            "category": order.category,
            "shots": {
                category: [{"id": shot.pk, "name": shot.label} for shot in items]
                for category, items in workbench.shot_lists.items()
            },
            "photos": [photo_payload(photo) for photo in workbench.photos],
            "text": page_texts(),
        }
        return {
            "qc_inspection": inspection,
            "qc_order": order,
            "qc_can_work": can_work,
            "qc_workbench": workbench,
            "qc_shots": [{"shot": shot, "numbers": covered.get(shot.pk, [])} for shot in shots],
            "qc_missing": [shot for shot in shots if shot.pk not in covered],
            "qc_upload_url": urls["upload"],
            "qc_accept": ACCEPT,
            "qc_max_size": filesizeformat(settings.QC_PHOTO_MAX_BYTES),
            "qc_tolerance": tolerance_text(),
            "qc_measurement_names": MEASUREMENT_NAMES,
            "qc_config": config,
            "qc_defect_kinds": Defect.Kind.choices,
            "qc_defect_severities": Defect.Severity.choices,
        }

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

    def save_model(self, request, obj: Inspection, form, change) -> None:
        data = form.cleaned_data
        services.inspection_update(
            inspection=obj,
            by=request.user,
            public_note=data["public_note"],
            internal_note=data["internal_note"],
            weight_grams=data["weight_grams"],
            category=data["category"],
        )

    def save_related(self, request, form, formsets, change):
        # Photos last: a defect row saved in the same post may point at a photo deleted in it;
        # saved first, it then loses its box with the photo like every other defect on it.
        super().save_related(request, form, sorted(formsets, key=lambda f: f.model is QCPhoto), change)
        services.inspection_evidence_changed(inspection_id=form.instance.pk)

    def save_formset(self, request, form, formset, change):
        if formset.model is not QCPhoto:
            # New defects and measurements go after the ones already there, in the page's order.
            last = formset.model.objects.filter(inspection=form.instance).aggregate(last=Max("position"))["last"]
            for offset, row in enumerate(f for f in formset.extra_forms if f.has_changed()):
                row.instance.position = (-1 if last is None else last) + 1 + offset
            return super().save_formset(request, form, formset, change)
        instances = formset.save(commit=False)
        cleared = []
        for photo in formset.deleted_objects:
            cleared += services.photo_delete(photo=photo)
        for photo in instances:
            photo.save(update_fields=["caption", "shot", "position"])
        if cleared:
            self.message_user(request, cleared_boxes_message(cleared), messages.WARNING)
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
            # The page's dialog asked about missing shots already (and sent _qc_missing_ok); without
            # JavaScript, the checkbox next to the buttons is the question.
            inspection = services.inspection_complete(
                inspection=obj,
                by=request.user,
                result=verdict,
                allow_missing_shots=bool(request.POST.get("_qc_missing_ok")),
            )
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

    # --- The endpoints of the page's script -------------------------------------------------
    # Each answers JSON; every refusal is a 4xx with a message the inspector can act on: an
    # unknown round or photo (404), no permission (403), a completed round (409), bad input (400).

    def _round_for(self, request, object_id: str, *, method: str, perms: tuple[str, ...]):
        """The round an endpoint works on, or the JSON refusal to answer instead."""
        if request.method != method:
            return None, HttpResponseNotAllowed([method])
        inspection = self.get_object(request, unquote(object_id))  # None for a non-numeric id too
        if inspection is None:
            return None, json_refusal(gettext("This QC round does not exist (any more)."), 404)
        if method == "GET":
            allowed = self.has_view_permission(request, inspection)
        else:
            allowed = super().has_change_permission(request, inspection)
        if not (allowed and all(request.user.has_perm(perm) for perm in perms)):
            return None, json_refusal(gettext("You may not do this here."), 403)
        if method != "GET" and not inspection.is_open:
            return None, json_refusal(gettext("This QC round is complete; it cannot change."), 409)
        return inspection, None

    def _photo_for(self, inspection: Inspection, photo_id: int):
        photo = selectors.round_photos(inspection_id=inspection.pk).filter(pk=photo_id).first()
        if photo is None:
            return None, json_refusal(gettext("This photo is not in this QC round (any more)."), 404)
        photo.inspection = inspection
        return photo, None

    def photos_view(self, request, object_id: str):
        """The round's photos and their states (ready with the thumbnail, processing, failed with
        the reason), polled by the page while any is processing. Constant queries."""
        inspection, refusal = self._round_for(request, object_id, method="GET", perms=(PERM_VIEW_PHOTO,))
        if refusal:
            return refusal
        photos = selectors.round_photos(inspection_id=inspection.pk)
        return JsonResponse({"ok": True, "photos": [photo_payload(photo) for photo in photos]})

    def photo_view(self, request, object_id: str, photo_id: int):
        """Caption and shot of one photo, saved as the inspector edits them."""
        inspection, refusal = self._round_for(request, object_id, method="POST", perms=(PERM_CHANGE_PHOTO,))
        if refusal:
            return refusal
        photo, refusal = self._photo_for(inspection, photo_id)
        if refusal:
            return refusal
        form = PhotoDescribeForm(request.POST)
        if not form.is_valid():
            return form_refusal(form)
        try:
            photo = services.photo_describe(
                photo=photo, by=request.user, caption=form.cleaned_data["caption"], shot=form.cleaned_data["shot"]
            )
        except services.QCError as error:
            return json_refusal(str(error), 409)
        return JsonResponse({"ok": True, "photo": photo_payload(photo)})

    def photo_order_view(self, request, object_id: str):
        """The round's photos in the order the inspector dragged them into."""
        inspection, refusal = self._round_for(request, object_id, method="POST", perms=(PERM_CHANGE_PHOTO,))
        if refusal:
            return refusal
        form = PhotoOrderForm(request.POST)
        if not form.is_valid():
            return form_refusal(form)
        try:
            photos = services.photos_reorder(
                inspection=inspection, by=request.user, photo_ids=form.cleaned_data["photo"]
            )
        except services.QCError as error:
            return json_refusal(str(error), 409)
        return JsonResponse({"ok": True, "order": [photo.pk for photo in photos]})

    def photo_delete_view(self, request, object_id: str, photo_id: int):
        """Delete one photo of an open round; defects boxed on it keep everything but the box."""
        inspection, refusal = self._round_for(request, object_id, method="POST", perms=(PERM_DELETE_PHOTO,))
        if refusal:
            return refusal
        photo, refusal = self._photo_for(inspection, photo_id)
        if refusal:
            return refusal
        try:
            cleared = services.photo_delete(photo=photo)
        except services.QCError as error:
            return json_refusal(str(error), 409)
        return JsonResponse(
            {
                "ok": True,
                "cleared": [defect.pk for defect in cleared],
                "message": cleared_boxes_message(cleared) if cleared else "",
            }
        )

    def category_view(self, request, object_id: str):
        """The order's product category, set from the round: the shot list follows it."""
        inspection, refusal = self._round_for(request, object_id, method="POST", perms=(PERM_COMPLETE,))
        if refusal:
            return refusal
        form = CategoryForm(request.POST)
        if not form.is_valid():
            return form_refusal(form)
        try:
            inspection = services.inspection_set_category(
                inspection=inspection, by=request.user, category=form.cleaned_data["category"]
            )
        except services.QCError as error:
            return json_refusal(str(error), 409)
        photos = selectors.round_photos(inspection_id=inspection.pk)
        return JsonResponse(
            {"ok": True, "category": inspection.order.category, "photos": [photo_payload(p) for p in photos]}
        )

    def retry_renditions_view(self, request, object_id: str, photo_id: int):
        """Make a failed photo's renditions again (the Retry button next to its reason)."""
        wants_json = "application/json" in request.headers.get("Accept", "")
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm(PERM_CHANGE_PHOTO):
            if wants_json:
                return json_refusal(gettext("You may not do this here."), 403)
            raise PermissionDenied
        inspection = self.get_object(request, unquote(object_id))
        photo = QCPhoto.objects.filter(pk=photo_id, inspection=inspection).first() if inspection else None
        if photo is None:
            if wants_json:
                return json_refusal(gettext("This photo is not in this QC round (any more)."), 404)
            raise Http404
        photo = services.photo_renditions_retry(photo=photo, by=request.user)
        if wants_json:
            return JsonResponse({"ok": True, "photo": photo_payload(photo)})
        self.message_user(
            request, gettext("Photo %(key)s is being processed again.") % {"key": photo.key[:8]}, messages.SUCCESS
        )
        return redirect("admin:qc_inspection_change", photo.inspection_id)

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
        form = PhotoUploadForm(request.POST)
        if not form.is_valid():
            return refuse(" ".join(message for errors in form.errors.values() for message in errors), 400, inspection)
        results = []
        for uploaded in files:
            try:
                photo = services.photo_add(
                    inspection=inspection,
                    uploaded_file=uploaded,
                    by=request.user,
                    caption=form.cleaned_data["caption"],
                    shot=form.cleaned_data["shot"],
                    tag_next_shot=form.cleaned_data["next_shot"],
                )
            except ValidationError as error:
                results.append({"name": uploaded.name, "ok": False, "errors": error.messages})
            except services.QCError as error:
                results.append({"name": uploaded.name, "ok": False, "errors": [str(error)]})
            else:
                # What the uploader shows at once: a card in the photo list, an entry in the defects' menus.
                results.append(
                    {
                        "name": uploaded.name,
                        "ok": True,
                        "id": photo.pk,
                        "details": photo.details,
                        "photo": photo_payload(photo),
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


def json_refusal(message: str, status: int) -> JsonResponse:
    return JsonResponse({"ok": False, "errors": [message]}, status=status)


def form_refusal(form: forms.Form) -> JsonResponse:
    return json_refusal(" ".join(message for errors in form.errors.values() for message in errors), 400)


def cleared_boxes_message(cleared: list[Defect]) -> str:
    return ngettext(
        "The highlight box of %(count)d defect was on a deleted photo and has been "
        "cleared; the defect is kept. Draw its box again if needed: %(defects)s.",
        "The highlight boxes of %(count)d defects were on deleted photos and have been "
        "cleared; the defects are kept. Draw their boxes again if needed: %(defects)s.",
        len(cleared),
    ) % {
        "count": len(cleared),
        "defects": "; ".join(
            gettext("%(defect)s “%(description)s”")
            % {"defect": defect, "description": Truncator(defect.description).chars(40)}
            for defect in cleared
        ),
    }


def page_texts() -> dict[str, str]:
    """What the page's script says, translated here (it has no catalogue of its own)."""
    return {
        "processing": gettext("Processing…"),
        "failed": gettext("Could not be processed:"),
        "retry": gettext("Retry"),
        "dismiss": gettext("Dismiss"),
        "dismissLabel": gettext("Dismiss the message about %(name)s"),
        "waiting": gettext("Waiting…"),
        "uploading": gettext("Uploading… %(percent)s%%"),
        "uploaded": gettext("Uploaded"),
        "connection": gettext("Upload failed; check your connection and retry."),
        "tooLarge": gettext("This file is %(size)s; a photo may be at most %(limit)s."),
        "notImage": gettext("This file is not a JPEG, PNG or WebP image."),
        "photo": gettext("Photo %(number)s"),
        "photoAbout": gettext("Photo %(number)s · %(about)s"),
        "photoNone": gettext("Photo: none"),
        "shotNone": gettext("Shot: none"),
        "moveUp": gettext("Move photo %(number)s earlier"),
        "moveDown": gettext("Move photo %(number)s later"),
        "markDefect": gettext("Mark a defect on photo %(number)s"),
        "markDefectShort": pgettext("button on a photo", "Defect"),
        "delete": gettext("Delete photo %(number)s"),
        "deleteConfirm": gettext("Delete photo %(number)s? This cannot be undone."),
        "saveFailed": gettext("Not saved: %(error)s"),
        "missingNone": gettext("Every required shot is taken."),
        "missingOne": ngettext("%(count)s required shot missing.", "%(count)s required shots missing.", 1),
        "missingMany": ngettext("%(count)s required shot missing.", "%(count)s required shots missing.", 2),
        "noShots": gettext("No shots are required for this category."),
        "uploadShot": pgettext("button next to a missing shot", "Upload"),
        "uploadShotLabel": gettext("Upload the photo of “%(shot)s”"),
        "covered": gettext("photo %(numbers)s"),
        "missing": gettext("missing"),
        "draw": gettext("Draw box"),
        "edit": gettext("Edit box"),
        "clear": gettext("Clear box"),
        "noBox": gettext("No box"),
        "boxLabel": gettext("Defect box: %(x)s%% from the left, %(y)s%% from the top, %(w)s%% × %(h)s%%"),
        "needsPhoto": gettext("Choose the photo of this defect first: click its thumbnail above."),
        "needsBox": gettext("Draw the box on the photo first."),
        "needsKind": gettext("Choose the kind of defect."),
        "needsDescription": gettext("Describe the defect for the shopper."),
        "notReady": gettext("This photo is still being processed; it appears here when it is ready."),
        "unsaved": gettext("You have unsaved changes on this page."),
        "confirmPass": gettext("Pass QC and tell the shopper the item is stored?"),
        "confirmFail": gettext("Fail QC and ask the shopper to decide?"),
        "completeAnyway": gettext("Complete without them"),
        "within": gettext("within ±%(tolerance)s %%"),
        "off": gettext("off"),
        "offTitle": gettext("More than %(tolerance)s %% from the listed value"),
        "difference": gettext("%(difference)s %(unit)s (%(percent)s %%)"),
    }


@admin.register(ShotListItem)
class ShotListItemAdmin(admin.ModelAdmin):
    """The shot list of each product category: what the inspection page asks for, in order."""

    list_display = ["name", "category", "position", "active"]
    list_editable = ["position", "active"]
    list_filter = ["category", "active"]
    search_fields = ["name"]
    ordering = ["category", "position", "id"]
    list_per_page = 100


class QCOrderAdminMixin:
    """For the order admin: Receive (the button and the bulk action) also opens the QC round;
    the product category, which decides the round's shot list, can be set."""

    def get_staff_actions(self) -> dict[str, Callable]:
        return {**super().get_staff_actions(), "receive": services.order_receive_and_open_round}

    def get_fieldsets(self, request, obj=None):
        return [*super().get_fieldsets(request, obj), (_("Quality control"), {"fields": ["category"]})]


class OrderQCSummaryMixin:
    """For the admin of anything about an order (it has an `order`): the order's latest completed
    QC round, with its defects and thumbnails, as a section of its page."""

    def get_order_sections(self, request, obj) -> list[PageSection]:
        sections = super().get_order_sections(request, obj)
        if obj.order_id is None:
            return sections
        qc_round = selectors.latest_round_for_support(order=obj.order)
        return [*sections, PageSection("admin/qc/order_qc_summary.html", {"qc_round": qc_round})]
