"""URL map of cosodang."""

from django.contrib import admin
from django.urls import include, path

from cosodang.api import api
from cosodang.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("", include("cosodang.accounts.urls")),
    path("", include("cosodang.core.urls")),
    path("to-chuc/", include("cosodang.orgs.urls")),
    path("dang-vien/", include("cosodang.members.urls")),
    path("danh-gia/", include("cosodang.evaluations.urls")),
    path("ket-nap/", include("cosodang.admissions.urls")),
    path("nhat-ky/", include("cosodang.core.audit_urls")),
    path("api/v1/", api.urls),
    path("quan-tri/", admin.site.urls),
]
