from django.urls import path

from . import views, views_io

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("them/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/sua/", views.edit, name="edit"),
    path("<int:pk>/lich-su/<slug:kind>/", views.add_history, name="add_history"),
    # Spreadsheets (views_io.py): export the list, import upload → preview → confirm → result.
    path("xuat-excel/", views_io.export, name="export"),
    path("nhap-excel/", views_io.upload, name="import_upload"),
    path("nhap-excel/<int:pk>/", views_io.batch_page, name="import_batch"),
    path("nhap-excel/<int:pk>/tien-do/", views_io.progress, name="import_progress"),
    path("nhap-excel/<int:pk>/xac-nhan/", views_io.confirm, name="import_confirm"),
    path("nhap-excel/<int:pk>/huy/", views_io.cancel, name="import_cancel"),
    path("nhap-excel/<int:pk>/dong-bi-tu-choi/", views_io.report, name="import_report"),
]
