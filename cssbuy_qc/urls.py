from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

from accounts.views import language_set

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
    # Before Django's own set_language: ours also saves the choice on a signed-in user.
    path("i18n/setlang/", language_set, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Our scripts' strings (static/js, domain djangojs) in the page's language. Not cached by
    # URL: one address serves every language.
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
]
