from django.urls import path

from . import views

app_name = "orgs"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/truc-thuoc/", views.children, name="children"),
    path("<int:pk>/thanh-lap/", views.create, name="create"),
    path("<int:pk>/doi-ten/", views.rename, name="rename"),
    path("<int:pk>/chuyen/", views.move, name="move"),
    path("<int:pk>/sap-nhap/", views.merge, name="merge"),
    path("<int:pk>/giai-the/", views.dissolve, name="dissolve"),
]
