"""Tests for API token authentication, the create_api_token command and the API's own pages."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from cosodang.accounts.models import ApiToken
from cosodang.accounts.services import create_api_token, revoke_api_token
from cosodang.core.testing import World

URL = "/api/v1/orgs/"


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


# --- authentication -------------------------------------------------------------------------


def test_valid_bearer_token_authenticates_as_its_user(world: World) -> None:
    _, raw = create_api_token(actor=world.admin, user=world.staff_a, name="script")
    r = Client().get(URL, **bearer(raw))
    assert r.status_code == 200
    assert r.json()["count"] == 3  # staff_a's subtree, so the request ran as staff_a


def test_missing_token_is_401(world: World) -> None:
    r = Client().get(URL)
    assert r.status_code == 401
    assert r["WWW-Authenticate"].startswith("Bearer")
    assert "Chưa xác thực" in r.json()["detail"]


def test_unknown_token_is_401(world: World) -> None:
    assert Client().get(URL, **bearer("csd_khong-ton-tai")).status_code == 401


def test_token_without_prefix_is_401(world: World) -> None:
    assert Client().get(URL, **bearer("abc")).status_code == 401


def test_other_auth_scheme_is_401(world: World) -> None:
    _, raw = create_api_token(actor=None, user=world.staff_a, name="x")
    assert Client().get(URL, HTTP_AUTHORIZATION=f"Token {raw}").status_code == 401


def test_revoked_token_is_401(world: World) -> None:
    token, raw = create_api_token(actor=None, user=world.staff_a, name="x")
    revoke_api_token(actor=world.admin, token=token)
    assert Client().get(URL, **bearer(raw)).status_code == 401


def test_token_of_inactive_user_is_401(world: World) -> None:
    _, raw = create_api_token(actor=None, user=world.staff_a, name="x")
    world.staff_a.is_active = False
    world.staff_a.save(update_fields=["is_active"])
    assert Client().get(URL, **bearer(raw)).status_code == 401


def test_session_login_does_not_open_the_api(world: World) -> None:
    client = Client()
    client.force_login(world.staff_a)
    assert client.get(URL).status_code == 401


def test_use_is_recorded_on_the_token(world: World) -> None:
    token, raw = create_api_token(actor=None, user=world.staff_a, name="x")
    Client().get(URL, **bearer(raw))
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.last_used_at <= timezone.now()


# --- create_api_token command ---------------------------------------------------------------


def run_command(*args: str) -> str:
    out = StringIO()
    call_command("create_api_token", *args, stdout=out)
    return out.getvalue()


def test_command_creates_a_working_token(world: World) -> None:
    output = run_command("staff_a", "--name", "Báo cáo tự động")
    [secret] = re.findall(r"^csd_\S+$", output, flags=re.MULTILINE)
    token = ApiToken.objects.get(user=world.staff_a)
    assert token.name == "Báo cáo tự động"
    assert "Đã tạo mã truy cập" in output
    assert Client().get(URL, **bearer(secret)).status_code == 200


def test_command_does_not_store_the_secret(world: World) -> None:
    output = run_command("staff_a")
    [secret] = re.findall(r"^csd_\S+$", output, flags=re.MULTILINE)
    token = ApiToken.objects.get(user=world.staff_a)
    assert token.name == "API"
    assert secret not in (token.key_hash, token.prefix)


def test_command_fails_clearly_for_an_unknown_user(world: World) -> None:
    with pytest.raises(CommandError, match="Không tìm thấy người dùng «khong_co»"):
        run_command("khong_co")
    assert not ApiToken.objects.exists()


def test_command_refuses_an_inactive_user(world: World) -> None:
    world.staff_b.is_active = False
    world.staff_b.save(update_fields=["is_active"])
    with pytest.raises(CommandError, match="đã bị khóa"):
        run_command("staff_b")


# --- OpenAPI and docs -----------------------------------------------------------------------


def test_openapi_document_lists_the_paths(db: None) -> None:
    r = Client().get("/api/v1/openapi.json")
    assert r.status_code == 200
    spec = r.json()
    assert {
        "/api/v1/orgs/",
        "/api/v1/orgs/{org_id}",
        "/api/v1/members/",
        "/api/v1/members/{member_id}",
    } <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    assert not any("docs/assets" in path for path in spec["paths"])


def test_docs_page_loads_nothing_from_outside(db: None) -> None:
    r = Client().get("/api/v1/docs")
    assert r.status_code == 200
    html = r.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    assert all(s.startswith("/api/v1/docs/assets/") for s in sources)
    assert "cdn" not in html.lower()


def test_docs_assets_are_served(db: None) -> None:
    r = Client().get("/api/v1/docs/assets/swagger-ui-bundle.js")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/javascript")


def test_unknown_docs_asset_is_404(db: None) -> None:
    assert Client().get("/api/v1/docs/assets/swagger-ui.css.map").status_code == 404
