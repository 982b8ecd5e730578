from django.urls import path

from . import views

app_name = "refunds"
urlpatterns = [
    path("", views.balance, name="balance"),
    path("statement.csv", views.statement_csv, name="statement_csv"),
]
