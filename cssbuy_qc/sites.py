"""The staff admin site. Which admin each model gets is composed in cssbuy_qc/admin.py."""

from django.contrib import admin

from qc.models import PERM_VIEW_QUEUE
from qc.selectors import qc_queue


class SiteAdmin(admin.AdminSite):
    index_template = "admin/site_index.html"

    def index(self, request, extra_context=None):
        """The index, with the QC queue's length for whoever may see the queue."""
        extra_context = dict(extra_context or {})
        if request.user.has_perm(PERM_VIEW_QUEUE):
            extra_context["qc_queue_count"] = qc_queue().count()
        return super().index(request, extra_context)
