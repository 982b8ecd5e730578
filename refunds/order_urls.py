"""The return and exchange pages of an order, mounted under /orders/ next to orders' own."""

from django.urls import path

from . import views

app_name = "refunds"
urlpatterns = [
    path("<str:number>/return/", views.order_return, name="return"),
    path("<str:number>/exchange/", views.order_exchange, name="exchange"),
]
