"""Pages of the evaluations app: ratings."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
