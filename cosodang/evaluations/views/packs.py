"""Pages of the evaluations app: packs."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
