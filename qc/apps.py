from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QcConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "qc"
    verbose_name = _("Quality control")
