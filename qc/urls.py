from django.urls import path

from . import views

app_name = "qc"
urlpatterns = [
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection"),
    path("photos/<int:pk>/<str:rendition>/", views.photo, name="photo"),
    path("files/<int:pk>/<int:expires>/<str:signature>/<path:name>", views.photo_file, name="file"),
    path("orders/<str:number>/compare/", views.compare, name="compare"),
]
