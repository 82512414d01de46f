"""Forms for login, two-factor codes and API tokens."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    """Log in with Vietnamese labels."""

    username = forms.CharField(
        label="Tên đăng nhập",
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label="Mật khẩu",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": "Tên đăng nhập hoặc mật khẩu không đúng.",
        "inactive": "Tài khoản đã bị khóa.",
    }


class OtpForm(forms.Form):
    """Enter a six-digit code from an authenticator app."""

    token = forms.RegexField(
        label="Mã xác thực (6 chữ số)",
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": "Mã gồm 6 chữ số."},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class ApiTokenForm(forms.Form):
    """Name a new API token."""

    name = forms.CharField(label="Tên mã (để nhận biết)", max_length=100)
