"""Tests for authentication hardening: 2FA for staff roles, login lockout, health, headers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import axes.utils
import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from cosodang.accounts.services import create_api_token
from cosodang.core.testing import PASSWORD, World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_lockouts() -> Iterator[None]:
    """Start and end every test with no recorded login failures."""
    axes.utils.reset()
    yield
    axes.utils.reset()


@pytest.fixture
def require_2fa(settings: Any) -> None:
    settings.COSODANG_REQUIRE_2FA = True


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def current_code(device: TOTPDevice) -> str:
    """Return the code the user's authenticator app shows now."""
    code = totp(
        device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift
    )
    return f"{code:0{device.digits}d}"


def confirmed_device(user: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Điện thoại", confirmed=True)


TREE = "/to-chuc/"


# --- two-factor authentication ---------------------------------------------------------------


def test_staff_without_a_device_is_sent_to_the_otp_setup_page(
    world: World, require_2fa: None
) -> None:
    response = logged_in(world.staff_a).get(TREE)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:otp_setup')}?next={TREE}"


@pytest.mark.parametrize("persona", ["admin", "staff_a", "secretary_a", "inspector_a"])
def test_every_staff_role_is_forced_to_use_a_second_factor(
    world: World, require_2fa: None, persona: str
) -> None:
    response = logged_in(world.personas()[persona]).get(TREE)
    assert response["Location"].startswith(reverse("accounts:otp_setup"))


def test_staff_is_forced_on_every_page_not_just_the_tree(world: World, require_2fa: None) -> None:
    url = reverse("members:detail", args=[world.member_a.pk])
    response = logged_in(world.staff_a).get(url)
    assert response["Location"] == f"{reverse('accounts:otp_setup')}?next={url}"


def test_otp_setup_page_shows_a_qr_code_and_the_manual_key(world: World, require_2fa: None) -> None:
    response = logged_in(world.staff_a).get(reverse("accounts:otp_setup"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in html
    assert response.context["secret"] in html


def test_staff_reaches_pages_after_confirming_a_totp_device(
    world: World, require_2fa: None
) -> None:
    client = logged_in(world.staff_a)
    client.get(reverse("accounts:otp_setup"))
    device = TOTPDevice.objects.get(user=world.staff_a)
    response = client.post(
        reverse("accounts:otp_setup"), {"token": current_code(device), "next": TREE}
    )
    assert response["Location"] == TREE
    assert client.get(TREE).status_code == 200


def test_confirming_a_totp_device_marks_it_confirmed(world: World, require_2fa: None) -> None:
    client = logged_in(world.staff_a)
    client.get(reverse("accounts:otp_setup"))
    device = TOTPDevice.objects.get(user=world.staff_a)
    client.post(reverse("accounts:otp_setup"), {"token": current_code(device)})
    device.refresh_from_db()
    assert device.confirmed


def test_a_wrong_code_does_not_confirm_the_device(world: World, require_2fa: None) -> None:
    client = logged_in(world.staff_a)
    client.get(reverse("accounts:otp_setup"))
    device = TOTPDevice.objects.get(user=world.staff_a)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("accounts:otp_setup"), {"token": wrong})
    device.refresh_from_db()
    assert "Mã không đúng" in " ".join(response.context["form"].errors["token"])
    assert not device.confirmed
    assert client.get(TREE).status_code == 302


def test_otp_setup_reuses_the_unconfirmed_device_on_reload(world: World, require_2fa: None) -> None:
    client = logged_in(world.staff_a)
    client.get(reverse("accounts:otp_setup"))
    client.get(reverse("accounts:otp_setup"))
    assert TOTPDevice.objects.filter(user=world.staff_a).count() == 1


def test_staff_with_a_device_is_sent_to_the_otp_verify_page(
    world: World, require_2fa: None
) -> None:
    confirmed_device(world.staff_a)
    response = logged_in(world.staff_a).get(TREE)
    assert response["Location"] == f"{reverse('accounts:otp_verify')}?next={TREE}"


def test_staff_reaches_pages_after_entering_the_current_code(
    world: World, require_2fa: None
) -> None:
    device = confirmed_device(world.staff_a)
    client = logged_in(world.staff_a)
    response = client.post(
        reverse("accounts:otp_verify"), {"token": current_code(device), "next": TREE}
    )
    assert response["Location"] == TREE
    assert client.get(TREE).status_code == 200


def test_otp_verify_refuses_an_offsite_next_url(world: World, require_2fa: None) -> None:
    device = confirmed_device(world.staff_a)
    response = logged_in(world.staff_a).post(
        reverse("accounts:otp_verify"),
        {"token": current_code(device), "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


def test_a_used_code_cannot_be_replayed(world: World, require_2fa: None) -> None:
    device = confirmed_device(world.staff_a)
    code = current_code(device)
    logged_in(world.staff_a).post(reverse("accounts:otp_verify"), {"token": code})
    response = logged_in(world.staff_a).post(reverse("accounts:otp_verify"), {"token": code})
    assert response.status_code == 200
    assert "Mã không đúng" in " ".join(response.context["form"].errors["token"])


def test_plain_member_is_not_forced_to_use_a_second_factor(world: World, require_2fa: None) -> None:
    assert logged_in(world.plain_member_a).get(TREE).status_code == 200


def test_staff_is_not_forced_when_2fa_is_switched_off(world: World, settings: Any) -> None:
    settings.COSODANG_REQUIRE_2FA = False
    assert logged_in(world.staff_a).get(TREE).status_code == 200


def test_the_api_with_a_token_is_not_sent_to_the_otp_pages(world: World, require_2fa: None) -> None:
    _, raw = create_api_token(actor=world.staff_a, user=world.staff_a, name="tích hợp")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.get("/api/v1/orgs/").status_code == 200


def test_logout_stays_reachable_before_the_second_factor(world: World, require_2fa: None) -> None:
    response = logged_in(world.staff_a).post(reverse("accounts:logout"))
    assert response["Location"] == reverse("accounts:login")


# --- login and lockout -----------------------------------------------------------------------


def login(client: Client, username: str, password: str) -> Any:
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_right_password_logs_in(world: World, client: Client) -> None:
    response = login(client, "staff_a", PASSWORD)
    assert response["Location"] == reverse("orgs:tree")
    assert is_logged_in(client)


def test_a_wrong_password_shows_a_vietnamese_error(world: World, client: Client) -> None:
    response = login(client, "staff_a", "sai-mat-khau")
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.content.decode()
    assert not is_logged_in(client)


def test_after_the_failure_limit_the_right_password_is_refused(
    world: World, client: Client
) -> None:
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        login(client, "staff_a", "sai-mat-khau")
    response = login(client, "staff_a", PASSWORD)
    assert response.status_code == 429
    assert not is_logged_in(client)


def test_the_lockout_page_explains_in_vietnamese(world: World, client: Client) -> None:
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        login(client, "staff_a", "sai-mat-khau")
    response = login(client, "staff_a", PASSWORD)
    assert "Tạm khóa đăng nhập" in response.content.decode()


def test_one_failure_below_the_limit_still_lets_the_right_password_in(
    world: World, client: Client
) -> None:
    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        login(client, "staff_a", "sai-mat-khau")
    login(client, "staff_a", PASSWORD)
    assert is_logged_in(client)


def test_the_lockout_of_one_user_does_not_lock_another(world: World, client: Client) -> None:
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        login(client, "staff_a", "sai-mat-khau")
    login(client, "staff_b", PASSWORD)
    assert is_logged_in(client)


def test_resetting_the_lockout_lets_the_user_in_again(world: World, client: Client) -> None:
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        login(client, "staff_a", "sai-mat-khau")
    axes.utils.reset(username="staff_a")
    login(client, "staff_a", PASSWORD)
    assert is_logged_in(client)


def test_a_successful_login_clears_earlier_failures(world: World) -> None:
    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        login(Client(), "staff_a", "sai-mat-khau")
    login(Client(), "staff_a", PASSWORD)
    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        login(Client(), "staff_a", "sai-mat-khau")
    client = Client()
    login(client, "staff_a", PASSWORD)
    assert is_logged_in(client)


# --- health check ----------------------------------------------------------------------------


def test_healthz_reports_the_database_ok(client: Client, db: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["database"] == "ok"


def test_healthz_reports_the_overall_status_ok(client: Client, db: None) -> None:
    assert client.get("/healthz").json()["status"] == "ok"


def test_healthz_is_never_cached(client: Client, db: None) -> None:
    assert "no-cache" in client.get("/healthz")["Cache-Control"]


def test_healthz_needs_no_login_even_with_2fa_on(
    client: Client, db: None, require_2fa: None
) -> None:
    assert client.get("/healthz").status_code == 200


# --- security headers ------------------------------------------------------------------------


@pytest.fixture
def page(world: World) -> Any:
    return logged_in(world.staff_a).get(TREE)


def test_pages_carry_a_content_security_policy(page: Any) -> None:
    assert "Content-Security-Policy" in page.headers


def test_the_csp_allows_only_the_sites_own_resources_by_default(page: Any) -> None:
    assert "default-src 'self'" in page["Content-Security-Policy"]


def test_the_csp_allows_no_inline_scripts(page: Any) -> None:
    policy = page["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_the_csp_forbids_framing(page: Any) -> None:
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]


def test_the_login_page_carries_the_csp_too(client: Client, db: None) -> None:
    response = client.get(reverse("accounts:login"))
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_pages_refuse_framing_for_old_browsers(page: Any) -> None:
    assert page["X-Frame-Options"] == "DENY"


def test_pages_forbid_content_type_sniffing(page: Any) -> None:
    assert page["X-Content-Type-Options"] == "nosniff"


def test_pages_send_referrers_only_to_the_same_origin(page: Any) -> None:
    assert page["Referrer-Policy"] == "same-origin"


def test_the_session_cookie_is_http_only(world: World, client: Client) -> None:
    login(client, "staff_a", PASSWORD)
    assert client.cookies[django_settings.SESSION_COOKIE_NAME]["httponly"]


def test_login_ignores_an_offsite_next_url(world: World, client: Client) -> None:
    response = client.post(
        reverse("accounts:login") + "?next=https://evil.example/",
        {"username": "staff_a", "password": PASSWORD},
    )
    assert response["Location"] == reverse("orgs:tree")
