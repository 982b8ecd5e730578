from django.urls import path

from . import views

app_name = "orders"
urlpatterns = [
    path("", views.order_list, name="list"),
    path("new/", views.order_new, name="new"),
    path("listing-images/<int:pk>/<str:rendition>/", views.listing_image, name="listing_image"),
    path("<str:number>/", views.order_detail, name="detail"),
    path("<str:number>/pay/", views.order_pay, name="pay"),
    path("<str:number>/cancel/", views.order_cancel, name="cancel"),
    path("<str:number>/keep/", views.order_keep, name="keep"),
    path("<str:number>/listing-images/", views.listing_images_add, name="listing_images_add"),
]
