"""Tests for the member API (/api/v1/members/)."""

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
from cosodang.members.api import MemberCreateIn, MemberFieldsIn, MemberOut, MemberPatchIn
from cosodang.members.models import Member, OrgMembership
from cosodang.members.services import EDITABLE_FIELDS
from cosodang.orgs.rules import OrgType

BASE = "/api/v1/members/"


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


def names(response: Any) -> list[str]:
    return [item["full_name"] for item in response.json()["items"]]


def new_member(org_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "org_id": org_id,
        "full_name": "Đặng  Thu Trang",
        "sex": "F",
        "birth_date": "1990-02-03",
        "decision_date": "2015-05-19",
        "ceremony_date": "2015-06-01",
        "official_date": "2016-06-01",
        "status": "official",
        "national_id": "001190000123",
        **extra,
    }


# --- list -----------------------------------------------------------------------------------


def test_staff_lists_only_their_subtree_in_vietnamese_order(
    as_: Callable[[str], ApiClient],
) -> None:
    r = as_("staff_a").get(BASE)
    assert r.status_code == 200
    assert r.json()["count"] == 4
    # Sorted by given name: Bình, Cường, Hà, Lan.
    assert names(r) == ["Trần Văn Bình", "Lê Minh Cường", "Nguyễn Thị Hà", "Hoàng Thị Lan"]


def test_staff_of_another_province_sees_only_theirs(as_: Callable[[str], ApiClient]) -> None:
    assert names(as_("staff_b").get(BASE)) == ["Phạm Văn Dũng"]


def test_member_lists_only_their_own_record(as_: Callable[[str], ApiClient]) -> None:
    r = as_("member_a").get(BASE)
    assert r.json()["count"] == 1
    assert names(r) == ["Hoàng Thị Lan"]


def test_list_items_carry_the_organisation(as_: Callable[[str], ApiClient], world: World) -> None:
    item = as_("staff_a").get(BASE, q="nguyen thi ha").json()["items"][0]
    assert item["org_id"] == world.cell_a.pk
    assert item["org_name"] == "Chi bộ Đội 1"
    assert item["status_label"] == "Chính thức"
    assert item["birth_date"] == "1985-05-01"


def test_search_ignores_diacritics(as_: Callable[[str], ApiClient]) -> None:
    assert names(as_("staff_a").get(BASE, q="nguyen thi ha")) == ["Nguyễn Thị Hà"]


def test_search_by_national_id(as_: Callable[[str], ApiClient], world: World) -> None:
    national_id = world.member_a.national_id
    assert national_id is not None and len(national_id) == 12
    assert names(as_("staff_a").get(BASE, q=national_id)) == ["Nguyễn Thị Hà"]


def test_search_by_card_number(as_: Callable[[str], ApiClient], world: World) -> None:
    assert names(as_("staff_a").get(BASE, q=world.member_a.card_number)) == ["Nguyễn Thị Hà"]


def test_search_stays_in_scope(as_: Callable[[str], ApiClient], world: World) -> None:
    assert as_("staff_a").get(BASE, q=world.member_b.national_id).json()["count"] == 0


def test_org_filter_covers_the_subtree(as_: Callable[[str], ApiClient], world: World) -> None:
    assert as_("staff_a").get(BASE, org=world.branch_a.pk).json()["count"] == 4
    assert as_("admin").get(BASE, org=world.province_b.pk).json()["count"] == 1


def test_org_filter_outside_scope_is_404(as_: Callable[[str], ApiClient], world: World) -> None:
    assert as_("staff_b").get(BASE, org=world.cell_a.pk).status_code == 404


def test_status_filter(as_: Callable[[str], ApiClient], world: World) -> None:
    make_member(world.cell_a, "Vũ Văn Mới", status="probationary")
    assert names(as_("staff_a").get(BASE, status="probationary")) == ["Vũ Văn Mới"]


def test_unknown_status_is_422(as_: Callable[[str], ApiClient]) -> None:
    assert as_("staff_a").get(BASE, status="ghost").status_code == 422


def test_limit_and_offset_page_the_list(as_: Callable[[str], ApiClient]) -> None:
    body = as_("staff_a").get(BASE, limit=2, offset=1).json()
    assert body["count"] == 4
    assert [i["full_name"] for i in body["items"]] == ["Lê Minh Cường", "Nguyễn Thị Hà"]


def test_limit_above_200_is_422(as_: Callable[[str], ApiClient]) -> None:
    assert as_("staff_a").get(BASE, limit=500).status_code == 422


def test_list_uses_a_fixed_number_of_queries(
    as_: Callable[[str], ApiClient], world: World, django_assert_max_num_queries: Any
) -> None:
    for _ in range(30):
        make_member(world.cell_a)
    api = as_("staff_a")
    with django_assert_max_num_queries(6):
        r = api.get(BASE, limit=200)
    assert len(r.json()["items"]) == 34


def test_org_filtered_list_uses_a_fixed_number_of_queries(
    as_: Callable[[str], ApiClient], world: World, django_assert_max_num_queries: Any
) -> None:
    for _ in range(30):
        make_member(world.cell_a)
    api = as_("staff_a")
    with django_assert_max_num_queries(7):
        r = api.get(BASE, org=world.cell_a.pk, q="nguyen")
    assert r.json()["count"] == 31


# --- detail ---------------------------------------------------------------------------------


def test_detail_shows_party_age_badge_and_organisation(
    as_: Callable[[str], ApiClient], world: World
) -> None:
    body = as_("staff_a").get(f"{BASE}{world.member_a.pk}").json()
    assert body["org_id"] == world.cell_a.pk
    assert body["org_name"] == "Chi bộ Đội 1"
    assert body["decision_date"] == "2010-03-01"
    assert body["party_age_years"] >= 15
    assert body["party_age"].startswith(f"{body['party_age_years']} năm")
    assert body["next_badge"]["years"] == 30
    assert body["next_badge"]["due_date"] == "2040-03-01"


def test_detail_shows_identifiers_to_staff(as_: Callable[[str], ApiClient], world: World) -> None:
    body = as_("staff_a").get(f"{BASE}{world.member_a.pk}").json()
    assert body["national_id"] == world.member_a.national_id
    assert body["card_number"] == world.member_a.card_number
    assert body["identifiers_masked"] is False


def test_member_sees_own_record_with_identifiers_masked(
    as_: Callable[[str], ApiClient], world: World
) -> None:
    own = world.plain_member_a.member
    assert own is not None and own.national_id and own.card_number
    body = as_("member_a").get(f"{BASE}{own.pk}").json()
    assert body["identifiers_masked"] is True
    assert body["national_id"] == "•" * 9 + own.national_id[-3:]
    assert body["card_number"] == "•" * 9 + own.card_number[-3:]
    assert own.national_id not in json.dumps(body)


def test_member_gets_404_on_another_member(as_: Callable[[str], ApiClient], world: World) -> None:
    r = as_("member_a").get(f"{BASE}{world.member_a.pk}")
    assert r.status_code == 404
    assert r.json() == {"detail": "Không tìm thấy"}


def test_outsider_gets_404_on_a_member(as_: Callable[[str], ApiClient], world: World) -> None:
    api = as_("staff_b")
    forbidden = api.get(f"{BASE}{world.member_a.pk}")
    missing = api.get(f"{BASE}999999")
    assert forbidden.status_code == 404
    assert (forbidden.status_code, forbidden.json()) == (missing.status_code, missing.json())


# --- create ---------------------------------------------------------------------------------


def test_secretary_adds_a_member_to_their_cell(
    as_: Callable[[str], ApiClient], world: World
) -> None:
    api = as_("secretary_a")
    before = AuditEvent.objects.count()
    r = api.post(BASE, new_member(world.cell_a.pk))
    assert r.status_code == 201
    member = Member.objects.get(national_id="001190000123")
    assert r.json()["id"] == member.pk
    assert r.json()["full_name"] == "Đặng Thu Trang"
    assert member.org_path == world.cell_a.path
    assert OrgMembership.objects.filter(member=member, org=world.cell_a).count() == 1
    assert AuditEvent.objects.count() == before + 1


def test_create_keeps_model_defaults_for_omitted_fields(
    as_: Callable[[str], ApiClient], world: World
) -> None:
    r = as_("staff_a").post(BASE, new_member(world.cell_a.pk))
    assert r.json()["ethnicity"] == "Kinh"
    assert r.json()["birth_place_country"] == "Việt Nam"


def test_create_with_13_digit_national_id_is_422_and_writes_nothing(
    as_: Callable[[str], ApiClient], world: World
) -> None:
    api = as_("staff_a")
    members, events = Member.objects.count(), AuditEvent.objects.count()
    r = api.post(BASE, new_member(world.cell_a.pk, national_id="0011900001234"))
    assert r.status_code == 422
    errors = r.json()["detail"]
    assert {tuple(e["loc"]) for e in errors} == {("national_id",)}
    assert any("12" in e["msg"] and ("chữ số" in e["msg"] or "ký tự" in e["msg"]) for e in errors)
    assert (Member.objects.count(), AuditEvent.objects.count()) == (members, events)


def test_create_reports_every_field_in_vietnamese(
    as_: Callable[[str], ApiClient], world: World
) -> None:
    r = as_("staff_a").post(
        BASE, new_member(world.cell_a.pk, ceremony_date="2015-01-01", email="khong-phai-email")
    )
    assert r.status_code == 422
    locs = {e["loc"][0]: e["msg"] for e in r.json()["detail"]}
    assert locs["ceremony_date"] == "Ngày lễ kết nạp không được trước ngày quyết định kết nạp"
    assert "email" in locs


def test_create_in_a_branch_names_org_id(as_: Callable[[str], ApiClient], world: World) -> None:
    r = as_("staff_a").post(BASE, new_member(world.branch_a.pk))
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["detail"]] == [["org_id"]]


def test_create_outside_scope_is_404_and_writes_nothing(
    as_: Callable[[str], ApiClient], world: World
) -> None:
    r = as_("staff_a").post(BASE, new_member(world.cell_b.pk))
    assert r.status_code == 404
    assert not Member.objects.filter(national_id="001190000123").exists()


def test_create_needs_edit_rights(as_: Callable[[str], ApiClient], world: World) -> None:
    assert as_("inspector_a").post(BASE, new_member(world.cell_a.pk)).status_code == 404
    assert as_("member_a").post(BASE, new_member(world.cell_a.pk)).status_code == 404


def test_create_refuses_unknown_fields(as_: Callable[[str], ApiClient], world: World) -> None:
    r = as_("staff_a").post(BASE, new_member(world.cell_a.pk, org_path="0001."))
    assert r.status_code == 422
    [error] = r.json()["detail"]
    assert error["type"] == "extra_forbidden"
    assert error["loc"][-1] == "org_path"
    assert error["msg"] == "Trường này không được phép."


def test_create_names_missing_fields(as_: Callable[[str], ApiClient], world: World) -> None:
    body = new_member(world.cell_a.pk)
    del body["full_name"]
    r = as_("staff_a").post(BASE, body)
    assert r.status_code == 422
    [error] = r.json()["detail"]
    assert error["loc"][-1] == "full_name"
    assert error["msg"] == "Trường này là bắt buộc."


def test_create_refuses_malformed_dates(as_: Callable[[str], ApiClient], world: World) -> None:
    r = as_("staff_a").post(BASE, new_member(world.cell_a.pk, birth_date="03/02/1990"))
    assert r.status_code == 422
    assert r.json()["detail"][0]["msg"] == "Ngày không hợp lệ (định dạng YYYY-MM-DD)."


def test_input_schemas_cover_exactly_the_editable_fields() -> None:
    assert set(MemberFieldsIn.model_fields) == set(EDITABLE_FIELDS)
    assert set(MemberCreateIn.model_fields) == {*EDITABLE_FIELDS, "org_id"}
    assert set(MemberPatchIn.model_fields) == {*EDITABLE_FIELDS, "org_id", "effective"}
    assert set(EDITABLE_FIELDS) <= set(MemberOut.model_fields)


# --- update ---------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_sent_and_writes_one_audit_event(
    as_: Callable[[str], ApiClient], world: World
) -> None:
    api = as_("secretary_a")
    before = AuditEvent.objects.count()
    r = api.patch(f"{BASE}{world.member_a.pk}", {"phone": "0912345678"})
    assert r.status_code == 200
    assert r.json()["phone"] == "0912345678"
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert event.action == "members.update_member"
    assert event.diff == {"phone": ["", "0912345678"]}
    world.member_a.refresh_from_db()
    assert world.member_a.full_name == "Nguyễn Thị Hà"


def test_patch_moves_a_member_to_another_cell(
    as_: Callable[[str], ApiClient], world: World
) -> None:
    cell_2 = make_org("Chi bộ Đội 2", OrgType.CELL, world.branch_a)
    r = as_("staff_a").patch(
        f"{BASE}{world.member_a.pk}", {"org_id": cell_2.pk, "effective": "2025-09-01"}
    )
    assert r.status_code == 200
    assert r.json()["org_id"] == cell_2.pk
    world.member_a.refresh_from_db()
    assert world.member_a.org_path == cell_2.path
    assert OrgMembership.objects.filter(
        member=world.member_a, org=cell_2, start="2025-09-01"
    ).exists()


def test_patch_into_a_cell_outside_scope_is_404(
    as_: Callable[[str], ApiClient], world: World
) -> None:
    r = as_("staff_a").patch(f"{BASE}{world.member_a.pk}", {"org_id": world.cell_b.pk})
    assert r.status_code == 404
    world.member_a.refresh_from_db()
    assert world.member_a.org_id == world.cell_a.pk


def test_outsider_patch_is_404_and_writes_nothing(
    as_: Callable[[str], ApiClient], world: World
) -> None:
    api = as_("staff_b")
    before = AuditEvent.objects.count()
    r = api.patch(f"{BASE}{world.member_a.pk}", {"phone": "0900000000"})
    assert r.status_code == 404
    assert r.json() == {"detail": "Không tìm thấy"}
    world.member_a.refresh_from_db()
    assert world.member_a.phone == ""
    assert AuditEvent.objects.count() == before


def test_member_cannot_patch_own_record(as_: Callable[[str], ApiClient], world: World) -> None:
    own = world.plain_member_a.member
    assert own is not None
    assert as_("member_a").patch(f"{BASE}{own.pk}", {"phone": "0900000000"}).status_code == 404


def test_patch_with_invalid_national_id_is_422_and_writes_nothing(
    as_: Callable[[str], ApiClient], world: World
) -> None:
    api = as_("staff_a")
    before = AuditEvent.objects.count()
    r = api.patch(f"{BASE}{world.member_a.pk}", {"national_id": "12345"})
    assert r.status_code == 422
    assert {e["loc"][0] for e in r.json()["detail"]} == {"national_id"}
    old = world.member_a.national_id
    world.member_a.refresh_from_db()
    assert world.member_a.national_id == old
    assert AuditEvent.objects.count() == before


def test_patch_refuses_null_for_a_required_field(
    as_: Callable[[str], ApiClient], world: World
) -> None:
    r = as_("staff_a").patch(f"{BASE}{world.member_a.pk}", {"phone": None})
    assert r.status_code == 422
    assert r.json()["detail"][0]["msg"] == "Trường này không nhận giá trị null."


def test_patch_may_clear_a_nullable_identifier(
    as_: Callable[[str], ApiClient], world: World
) -> None:
    r = as_("staff_a").patch(f"{BASE}{world.member_a.pk}", {"card_number": None})
    assert r.status_code == 200
    world.member_a.refresh_from_db()
    assert world.member_a.card_number is None


def test_patch_refuses_unknown_fields(as_: Callable[[str], ApiClient], world: World) -> None:
    r = as_("staff_a").patch(f"{BASE}{world.member_a.pk}", {"sort_key": "a"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "extra_forbidden"
