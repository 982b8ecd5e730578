from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """What an operator runs the site with: probes, metrics, request ids and logs, backups."""

    name = "ops"
    verbose_name = _("Operations")

    def ready(self) -> None:
        # Celery's task signals are framework events: every task, ours or not, gets a request id
        # and one log line. Connected here so the web (publishing) and the worker (running) both have them.
        from . import checks, tasks_context  # noqa: F401 - `checks` registers its system checks

        tasks_context.connect()
