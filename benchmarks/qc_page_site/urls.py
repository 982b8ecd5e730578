from django.urls import path

from cssbuy_qc.urls import urlpatterns as site_urlpatterns

from .views import minimal_page

urlpatterns = [path("bench/minimal/", minimal_page, name="bench_minimal"), *site_urlpatterns]
