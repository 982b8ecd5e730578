from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulkJobsConfig(AppConfig):
    name = "bulkjobs"
    verbose_name = _("bulk jobs")
