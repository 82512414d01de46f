"""Login, two-factor enrolment and verification, and the user's own profile page."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import services
from .forms import ApiTokenForm, LoginForm, OtpForm
from .models import ApiToken, User


class LoginView(auth_views.LoginView):
    """Log in with username and password (lockout by django-axes)."""

    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


def _user(request: HttpRequest) -> User:
    """Return the logged-in user (views using this are behind login_required)."""
    assert isinstance(request.user, User)
    return request.user


def _next_url(request: HttpRequest) -> str:
    target = request.GET.get("next") or request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return "/"
    return target


def _qr_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: show the QR code, then check the first code."""
    user = _user(request)
    device = services.start_totp_enrolment(actor=user, user=user)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.confirm_totp_device(
            actor=request.user, device=device, token=form.cleaned_data["token"]
        ):
            otp_login(request, device)
            messages.success(request, "Đã bật xác thực hai lớp.")
            return redirect(_next_url(request))
        form.add_error("token", "Mã không đúng hoặc đã hết hạn, hãy thử mã mới.")
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "qr": _qr_data_uri(device.config_url),
            "secret": secret,
            "next": _next_url(request),
            "nav": "account",
        },
    )


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the current code of the user's authenticator app."""
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"].strip()
        for device in TOTPDevice.objects.filter(user=request.user, confirmed=True):
            if device.verify_token(token):
                otp_login(request, device)
                return redirect(_next_url(request))
        form.add_error("token", "Mã không đúng hoặc đã hết hạn.")
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request)})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Show the user's roles and API tokens; create a token (its secret shown once)."""
    user = _user(request)
    new_secret = None
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _, new_secret = services.create_api_token(
            actor=user, user=user, name=form.cleaned_data["name"]
        )
        form = ApiTokenForm()
    grants = user.grants.select_related("org").order_by("org__path")
    tokens = user.api_tokens.order_by("-created_at")
    return render(
        request,
        "accounts/profile.html",
        {
            "grants": grants,
            "tokens": tokens,
            "form": form,
            "new_secret": new_secret,
            "has_totp": TOTPDevice.objects.filter(user=request.user, confirmed=True).exists(),
            "nav": "account",
        },
    )


@login_required
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's own API tokens."""
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_api_token(actor=request.user, token=token)
    messages.success(request, f"Đã thu hồi mã «{token.name}».")
    return redirect("accounts:profile")
