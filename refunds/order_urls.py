"""The return and exchange pages of an order, mounted under /orders/ next to orders' own."""

from django.urls import path

from . import views

app_name = "refunds"
urlpatterns = [
    path("<str:number>/return/", views.order_return, name="return"),
    path("<str:number>/exchange/", views.order_exchange, name="exchange"),
    path("<str:number>/discount/", views.order_discount, name="discount"),
    path("<str:number>/discount/accept/", views.order_discount_accept, name="discount_accept"),
    path("<str:number>/discount/withdraw/", views.order_discount_withdraw, name="discount_withdraw"),
]
