from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("dang-nhap/", views.LoginView.as_view(), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("xac-thuc/", views.otp_verify, name="otp_verify"),
    path("xac-thuc/cai-dat/", views.otp_setup, name="otp_setup"),
    path("tai-khoan/", views.profile, name="profile"),
    path("tai-khoan/ma-api/<int:pk>/thu-hoi/", views.revoke_token, name="revoke_token"),
]
