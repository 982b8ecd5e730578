"""The QC pages of an order, mounted under /orders/ next to orders' own."""

from django.urls import path

from . import views

app_name = "qc_orders"
urlpatterns = [
    path("<str:number>/photos/ask/", views.order_photo_request, name="photo_request"),
]
