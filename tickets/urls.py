from django.urls import path

from . import views

app_name = "tickets"
urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("new/", views.ticket_new, name="new"),
    path("<str:number>/", views.ticket_detail, name="detail"),
    path("<str:number>/reply/", views.ticket_reply, name="reply"),
    path("<str:number>/resolve/", views.ticket_resolve, name="resolve"),
    path("<str:number>/attachments/<str:key>/", views.attachment_download, name="attachment"),
]
