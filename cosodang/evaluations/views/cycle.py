"""Pages of the evaluations app: cycle."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
