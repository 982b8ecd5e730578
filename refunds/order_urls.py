"""The order pages' money and decision actions, mounted under /orders/ next to orders' own."""

from django.urls import path

from . import views

app_name = "order_money"
urlpatterns = [
    path("new/", views.order_new, name="new"),
    path("<str:number>/pay/", views.order_pay, name="pay"),
    path("<str:number>/cancel/", views.order_cancel, name="cancel"),
    path("<str:number>/keep/", views.order_keep_view, name="keep"),
    path("<str:number>/return/", views.order_return, name="return"),
    path("<str:number>/exchange/", views.order_exchange, name="exchange"),
]
