from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CssbuyQcConfig(AppConfig):
    """The project itself, as an app only so that Django finds its admin module (the wiring of the
    other apps' admins); it holds no models and no business logic."""

    name = "cssbuy_qc"
    verbose_name = _("CSSBuy QC")


class SiteAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with SiteAdmin as `admin.site`; INSTALLED_APPS lists it instead."""

    default = False  # named by its path; the app "cssbuy_qc" is CssbuyQcConfig
    default_site = "cssbuy_qc.sites.SiteAdmin"
