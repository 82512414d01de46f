"""Pages of the admissions app, mounted at /ket-nap/."""

from django.urls import path

from . import views

app_name = "admissions"

urlpatterns = [
    path("", views.board, name="board"),
    path("ngay-lam-viec/", views.workdays, name="workdays"),
    path("nhac-viec/<int:pk>/da-doc/", views.notification_read, name="notification_read"),
    path("quan-chung/them/", views.candidate_create, name="candidate_create"),
    path("quan-chung/<int:pk>/", views.candidate_detail, name="candidate"),
    path("quan-chung/<int:pk>/lap-ho-so/", views.open_case, name="open_case"),
    path("ho-so/<int:pk>/", views.case_detail, name="case"),
    path("ho-so/<int:pk>/buoc/<slug:step>/", views.case_step, name="step"),
    path("nguoi-gioi-thieu/<int:pk>/xoa/", views.introducer_remove, name="introducer_remove"),
    path("tai-lieu/<int:pk>/", views.document_download, name="document"),
    path("kiem-tra/", views.audit_view, name="audit"),
    path("kiem-tra/xuat-excel/", views.audit_export, name="audit_export"),
    path("thong-ke/", views.statistics, name="statistics"),
    path("thong-ke/xuat-excel/", views.statistics_export, name="statistics_export"),
    path("quy-dinh/", views.parameters, name="parameters"),
]
