from django.urls import path

from . import views

app_name = "tickets"
urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("new/", views.ticket_new, name="new"),
    path("<slug:number>/", views.ticket_detail, name="detail"),
    path("<slug:number>/reply/", views.ticket_reply, name="reply"),
    path("<slug:number>/resolve/", views.ticket_resolve, name="resolve"),
    path("<slug:number>/attachments/<slug:key>/", views.attachment_download, name="attachment"),
]
