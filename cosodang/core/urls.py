from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("chuc-nang/<slug:slug>/", views.area, name="area"),
]
