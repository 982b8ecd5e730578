"""The staff admin site. Which admin each model gets is composed in cssbuy_qc/admin.py."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import dashboard


class SiteAdmin(admin.AdminSite):
    site_header = _("CSSBuy QC staff")
    site_title = _("CSSBuy QC staff")
    index_title = _("Dashboard")
    index_template = "admin/site_index.html"

    def index(self, request, extra_context=None):
        """The dashboard: what the person's roles act on today, each figure a link to its list."""
        panels = dashboard.dashboard_for(user=request.user, now=timezone.now())
        return super().index(request, {**(extra_context or {}), "dashboard_panels": panels})
