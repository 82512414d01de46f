"""Enforce two-factor authentication for staff roles when COSODANG_REQUIRE_2FA is on."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from cosodang.core.access import roles_of

from .models import STAFF_ROLES

EXEMPT_PREFIXES = ("/static/", "/healthz", "/api/")


def needs_second_factor(user) -> bool:  # type: ignore[no-untyped-def]
    """Return whether this logged-in user must pass a TOTP check before going on."""
    if not settings.COSODANG_REQUIRE_2FA or not user.is_authenticated:
        return False
    if user.is_verified():
        return False
    return user.is_superuser or bool(roles_of(user) & STAFF_ROLES)


class RequireTwoFactorMiddleware:
    """Send staff users without a verified second factor to enrolment or verification."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        allowed = {
            reverse("accounts:login"),
            reverse("accounts:logout"),
            reverse("accounts:otp_verify"),
            reverse("accounts:otp_setup"),
        }
        if (
            path not in allowed
            and not path.startswith(EXEMPT_PREFIXES)
            and needs_second_factor(request.user)
        ):
            from django_otp.plugins.otp_totp.models import TOTPDevice

            has_device = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
            target = "accounts:otp_verify" if has_device else "accounts:otp_setup"
            return redirect(f"{reverse(target)}?next={path}")
        return self.get_response(request)
