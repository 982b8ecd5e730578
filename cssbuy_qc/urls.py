from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="orders:list", permanent=False)),
    path("accounts/", include("accounts.urls")),
    path("orders/", include("orders.urls")),
    path("orders/", include("refunds.order_urls")),
    path("orders/", include("qc.order_urls")),
    path("balance/", include("ledger.urls")),
    path("notifications/", include("notifications.urls")),
    path("qc/", include("qc.urls")),
    path("tickets/", include("tickets.urls")),
    path("evidence/", include("evidence.urls")),
    path("admin/", admin.site.urls),
]
