"""Pages of the admissions app."""

from django.urls import path  # noqa: F401

app_name = "admissions"

urlpatterns: list = []
