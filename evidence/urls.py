from django.urls import path

from . import views

app_name = "evidence"
urlpatterns = [
    path("orders/<str:number>/", views.evidence_download, name="download"),
    path("packs/<str:key>/", views.pack, name="pack"),
]
