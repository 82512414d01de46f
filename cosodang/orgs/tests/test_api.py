"""Tests for the organisation API (/api/v1/orgs/)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from cosodang.accounts.models import User
from cosodang.accounts.services import create_api_token
from cosodang.core.models import AuditEvent
from cosodang.core.testing import World, make_member, make_org
from cosodang.orgs.models import OrgEvent, OrgEventKind, PartyOrg
from cosodang.orgs.rules import OrgType

BASE = "/api/v1/orgs/"


class ApiClient:
    """Call the API with a Bearer token of one user."""

    def __init__(self, user: User) -> None:
        _, raw = create_api_token(actor=None, user=user, name="test")
        self.client = Client()
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, **self.auth)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(
            path, json.dumps(body), content_type="application/json", **self.auth
        )

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.patch(
            path, json.dumps(body), content_type="application/json", **self.auth
        )


@pytest.fixture
def as_(world: World) -> Callable[[str], ApiClient]:
    return lambda persona: ApiClient(world.personas()[persona])


def codes(response: Any) -> list[str]:
    return [item["code"] for item in response.json()["items"]]


# --- list -----------------------------------------------------------------------------------


def test_staff_lists_only_their_subtree(as_: Callable[[str], ApiClient]) -> None:
    r = as_("staff_a").get(BASE)
    assert r.status_code == 200
    assert r.json()["count"] == 3
    assert codes(r) == ["HN", "HN-PC02", "HN-PC02-D1"]


def test_admin_lists_every_organisation(as_: Callable[[str], ApiClient]) -> None:
    assert as_("admin").get(BASE).json()["count"] == 6


def test_member_lists_only_their_own_cell(as_: Callable[[str], ApiClient]) -> None:
    assert codes(as_("member_a").get(BASE)) == ["HN-PC02-D1"]


def test_list_items_have_the_documented_fields(
    as_: Callable[[str], ApiClient], world: World
) -> None:
    item = as_("staff_a").get(BASE, q="HN-PC02-D1").json()["items"][0]
    assert item == {
        "id": world.cell_a.pk,
        "code": "HN-PC02-D1",
        "name": "Chi bộ Đội 1",
        "org_type": "cell",
        "parent_id": world.branch_a.pk,
        "path": world.cell_a.path,
        "depth": 3,
        "effective_from": "2020-01-01",
        "effective_to": None,
    }


def test_search_ignores_diacritics(as_: Callable[[str], ApiClient]) -> None:
    assert codes(as_("admin").get(BASE, q="cong an thanh pho ha noi")) == ["HN"]


def test_search_matches_code(as_: Callable[[str], ApiClient]) -> None:
    assert codes(as_("admin").get(BASE, q="ct-nk")) == ["CT-NK"]


def test_search_stays_in_scope(as_: Callable[[str], ApiClient]) -> None:
    assert as_("staff_a").get(BASE, q="can tho").json()["count"] == 0


def test_parent_filter_lists_direct_children(as_: Callable[[str], ApiClient], world: World) -> None:
    assert codes(as_("staff_a").get(BASE, parent=world.province_a.pk)) == ["HN-PC02"]


def test_type_filter(as_: Callable[[str], ApiClient]) -> None:
    assert codes(as_("admin").get(BASE, type="grassroots_cell")) == ["CT-NK"]


def test_unknown_type_is_422(as_: Callable[[str], ApiClient]) -> None:
    assert as_("admin").get(BASE, type="club").status_code == 422


def test_closed_organisations_are_left_out_unless_asked(
    as_: Callable[[str], ApiClient], world: World
) -> None:
    PartyOrg.objects.filter(pk=world.cell_b.pk).update(effective_to="2024-01-01")
    assert "CT-NK" not in codes(as_("admin").get(BASE))
    assert "CT-NK" in codes(as_("admin").get(BASE, include_closed="true"))


def test_limit_and_offset_page_the_list(as_: Callable[[str], ApiClient]) -> None:
    body = as_("staff_a").get(BASE, limit=1, offset=1).json()
    assert body["count"] == 3
    assert [i["code"] for i in body["items"]] == ["HN-PC02"]


def test_limit_above_200_is_422(as_: Callable[[str], ApiClient]) -> None:
    assert as_("admin").get(BASE, limit=201).status_code == 422


def test_list_uses_a_fixed_number_of_queries(
    as_: Callable[[str], ApiClient], world: World, django_assert_max_num_queries: Any
) -> None:
    for i in range(20):
        make_org(f"Chi bộ Đội {i + 10}", OrgType.CELL, world.branch_a)
    api = as_("staff_a")
    with django_assert_max_num_queries(6):
        r = api.get(BASE, limit=200)
    assert r.json()["count"] == 23


# --- detail ---------------------------------------------------------------------------------


def test_detail_shows_counts(as_: Callable[[str], ApiClient], world: World) -> None:
    make_member(world.cell_a, status="probationary")
    body = as_("staff_a").get(f"{BASE}{world.branch_a.pk}").json()
    assert body["counts"] == {"official": 4, "probationary": 1, "total": 5}
    assert body["direct_counts"] == {"official": 0, "probationary": 0, "total": 0}
    assert body["has_children"] is True
    assert body["org_type_label"] == "Đảng bộ cơ sở"


def test_detail_shows_structure_warnings(as_: Callable[[str], ApiClient], world: World) -> None:
    body = as_("staff_b").get(f"{BASE}{world.cell_b.pk}").json()
    warning = next(w for w in body["warnings"] if w["code"] == "min_official")
    assert "dưới 3 đảng viên chính thức" in warning["message"]
    assert warning["source"] == "Điều lệ Đảng, Điều 21 và 24"


def test_outsider_gets_404_on_another_subtree(
    as_: Callable[[str], ApiClient], world: World
) -> None:
    r = as_("staff_b").get(f"{BASE}{world.cell_a.pk}")
    assert r.status_code == 404
    assert r.json() == {"detail": "Không tìm thấy"}


def test_forbidden_answers_like_missing(as_: Callable[[str], ApiClient], world: World) -> None:
    api = as_("staff_b")
    forbidden = api.get(f"{BASE}{world.province_a.pk}")
    missing = api.get(f"{BASE}999999")
    assert (forbidden.status_code, forbidden.json()) == (missing.status_code, missing.json())


def test_member_sees_own_cell_but_not_its_parent(
    as_: Callable[[str], ApiClient], world: World
) -> None:
    api = as_("member_a")
    assert api.get(f"{BASE}{world.cell_a.pk}").status_code == 200
    assert api.get(f"{BASE}{world.branch_a.pk}").status_code == 404


# --- create ---------------------------------------------------------------------------------


def new_cell(parent: PartyOrg, **extra: Any) -> dict[str, Any]:
    return {
        "code": "HN-PC02-D9",
        "name": "Chi bộ  Đội 9",
        "org_type": "cell",
        "parent_id": parent.pk,
        "effective_from": "2025-07-01",
        **extra,
    }


def test_staff_creates_a_sub_organisation(as_: Callable[[str], ApiClient], world: World) -> None:
    r = as_("staff_a").post(BASE, new_cell(world.branch_a, decision_ref="12-QĐ/ĐU"))
    assert r.status_code == 201
    org = PartyOrg.objects.get(code="HN-PC02-D9")
    assert r.json()["id"] == org.pk
    assert org.name == "Chi bộ Đội 9"
    assert org.path.startswith(world.branch_a.path)
    assert AuditEvent.objects.filter(action="orgs.create_org", object_id=str(org.pk)).count() == 1


def test_create_outside_scope_is_404_and_writes_nothing(
    as_: Callable[[str], ApiClient], world: World
) -> None:
    r = as_("staff_b").post(BASE, new_cell(world.branch_a))
    assert r.status_code == 404
    assert not PartyOrg.objects.filter(code="HN-PC02-D9").exists()


def test_create_needs_manage_rights(as_: Callable[[str], ApiClient], world: World) -> None:
    assert as_("inspector_a").post(BASE, new_cell(world.branch_a)).status_code == 404


def test_create_refuses_a_wrong_level_with_the_rule(
    as_: Callable[[str], ApiClient], world: World
) -> None:
    r = as_("staff_a").post(BASE, new_cell(world.province_a))
    assert r.status_code == 422
    [error] = r.json()["detail"]
    assert error["loc"] == ["parent_id"]
    assert "không thể trực thuộc" in error["msg"]


def test_create_refuses_a_duplicate_code(as_: Callable[[str], ApiClient], world: World) -> None:
    r = as_("staff_a").post(BASE, new_cell(world.branch_a, code="HN-PC02-D1"))
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["detail"]] == [["code"]]


def test_create_refuses_unknown_fields(as_: Callable[[str], ApiClient], world: World) -> None:
    r = as_("staff_a").post(BASE, new_cell(world.branch_a, path="0001."))
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "extra_forbidden"
    assert not PartyOrg.objects.filter(code="HN-PC02-D9").exists()


# --- rename ---------------------------------------------------------------------------------


def test_staff_renames_with_a_dated_history(as_: Callable[[str], ApiClient], world: World) -> None:
    api = as_("staff_a")
    before = AuditEvent.objects.count()
    r = api.patch(
        f"{BASE}{world.cell_a.pk}", {"name": "Chi bộ Đội 1 (mới)", "effective": "2025-01-01"}
    )
    assert r.status_code == 200
    assert r.json()["name"] == "Chi bộ Đội 1 (mới)"
    event = OrgEvent.objects.get(org=world.cell_a, kind=OrgEventKind.RENAMED)
    assert (event.old_value, event.new_value) == ("Chi bộ Đội 1", "Chi bộ Đội 1 (mới)")
    assert AuditEvent.objects.count() == before + 1


def test_rename_outside_scope_is_404(as_: Callable[[str], ApiClient], world: World) -> None:
    r = as_("staff_b").patch(
        f"{BASE}{world.cell_a.pk}", {"name": "Chiếm quyền", "effective": "2025-01-01"}
    )
    assert r.status_code == 404
    world.cell_a.refresh_from_db()
    assert world.cell_a.name == "Chi bộ Đội 1"


def test_rename_needs_manage_rights(as_: Callable[[str], ApiClient], world: World) -> None:
    r = as_("secretary_a").patch(
        f"{BASE}{world.cell_a.pk}", {"name": "Tên khác", "effective": "2025-01-01"}
    )
    assert r.status_code == 404


def test_rename_to_blank_is_422(as_: Callable[[str], ApiClient], world: World) -> None:
    r = as_("staff_a").patch(f"{BASE}{world.cell_a.pk}", {"name": "  ", "effective": "2025-01-01"})
    assert r.status_code == 422
    assert r.json()["detail"] == [{"loc": ["name"], "msg": "Tên tổ chức không được để trống."}]


def test_rename_accepts_only_name_date_and_decision(
    as_: Callable[[str], ApiClient], world: World
) -> None:
    r = as_("staff_a").patch(
        f"{BASE}{world.cell_a.pk}", {"name": "X", "effective": "2025-01-01", "parent_id": 1}
    )
    assert r.status_code == 422
