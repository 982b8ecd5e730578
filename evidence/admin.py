from django.contrib import admin
from django.urls import reverse

from .models import PERM_STAFF_PACK, EvidencePack
from .selectors import latest_pack


class EvidenceOrderAdminMixin:
    """For the order admin: the staff evidence pack of the order (download, or its state)."""

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and request.user.has_perm(PERM_STAFF_PACK):
            context["evidence"] = {
                "url": reverse("evidence:download", args=[obj.number]),
                "pack": latest_pack(order=obj, user=request.user, audience=EvidencePack.Audience.STAFF),
            }
        return super().render_change_form(request, context, add, change, form_url, obj)


@admin.register(EvidencePack)
class EvidencePackAdmin(admin.ModelAdmin):
    """Packs asked for, for support to see what was built and why one failed. Read-only."""

    list_display = ["order", "audience", "requested_by", "status", "photo_count", "bytes", "requested_at", "built_at"]
    list_filter = ["status", "audience"]
    list_select_related = ["order", "requested_by"]
    search_fields = ["order__number", "requested_by__email"]
    fields = [*list_display, "sha256", "error"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
