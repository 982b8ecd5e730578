from django.urls import path

from . import views

app_name = "ledger"
urlpatterns = [
    path("", views.balance, name="balance"),
    path("statement.csv", views.statement_csv, name="statement_csv"),
]
