from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .page_cache import create_stamp_function

        post_migrate.connect(create_stamp_function, sender=self, dispatch_uid="orders.page_stamp_function")
