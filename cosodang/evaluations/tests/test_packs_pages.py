"""Pages of stored rule packs: list, readable detail, clone, edit of unconfirmed parameters."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cosodang.core.models import AuditEvent
from cosodang.core.testing import World
from cosodang.evaluations.models import StoredPack
from cosodang.evaluations.packs import RULEPACK_DIR, load_pack, unconfirmed_parameters
from cosodang.evaluations.rules_packs import editable_parameters
from cosodang.evaluations.selectors.packs import rule_pack
from cosodang.evaluations.services.packs import clone_stored_pack

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def builtin(code: str = "QD366") -> StoredPack:
    return StoredPack.objects.get(code=code)


def make_clone(w: World, code: str = "QD366-HN", owner: Any = None) -> StoredPack:
    source = builtin()
    return clone_stored_pack(
        actor=w.staff_a,
        source=source,
        owner=owner or w.province_a,
        code=code,
        title="QĐ 366 — bản Hà Nội",
        effective_from=source.effective_from,
    )


def edit_data(stored: StoredPack, **changes: str) -> dict[str, Any]:
    """Return the edit form filled with the pack's current values, then the changes."""
    data: dict[str, Any] = {}
    for p in editable_parameters(rule_pack(stored)):
        if p.kind == "bool":
            if p.value:
                data[p.path] = "on"
        else:
            data[p.path] = str(p.value)
    data.update(changes)
    return data


# --- list ------------------------------------------------------------------------------------


def test_pack_list_shows_the_three_builtin_packs(world: World) -> None:
    response = client_for(world.staff_a).get(reverse("evaluations:packs"))
    codes = [r.stored.code for r in response.context["rows"]]
    assert codes == ["QD366", "QD124", "QD132"]


def test_pack_list_counts_unconfirmed_parameters_per_pack(world: World) -> None:
    response = client_for(world.staff_a).get(reverse("evaluations:packs"))
    row = next(r for r in response.context["rows"] if r.stored.code == "QD366")
    assert row.unconfirmed == len(unconfirmed_parameters(load_pack(RULEPACK_DIR / "qd366.toml")))


def test_pack_list_shows_a_clone_with_its_owner_to_staff_of_the_owner(world: World) -> None:
    make_clone(world)
    page = client_for(world.staff_a).get(reverse("evaluations:packs")).content.decode()
    assert "QD366-HN" in page
    assert world.province_a.name in page


def test_pack_list_hides_a_clone_from_staff_of_a_sibling_province(world: World) -> None:
    make_clone(world)
    response = client_for(world.staff_b).get(reverse("evaluations:packs"))
    assert "QD366-HN" not in [r.stored.code for r in response.context["rows"]]


def test_pack_list_runs_a_fixed_number_of_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    for i in range(5):
        make_clone(world, code=f"QD366-HN-{i}")
    client = client_for(world.staff_a)
    client.get(reverse("evaluations:packs"))  # warm the session and the parse cache
    with django_assert_max_num_queries(6):
        client.get(reverse("evaluations:packs"))


# --- detail ----------------------------------------------------------------------------------


def test_pack_detail_shows_the_five_annexes_of_qd366(world: World) -> None:
    page = client_for(world.staff_a).get(reverse("evaluations:pack_detail", args=[builtin().pk]))
    text = page.content.decode()
    assert all(f"Phụ lục {n}" in text for n in range(1, 6))


def test_pack_detail_shows_the_30_70_split(world: World) -> None:
    text = (
        client_for(world.staff_a)
        .get(reverse("evaluations:pack_detail", args=[builtin().pk]))
        .content.decode()
    )
    assert "Nhóm tiêu chí chung 30 điểm, kết quả thực hiện nhiệm vụ 70 điểm" in text


def test_pack_detail_flags_the_quota_as_not_confirmed_with_its_note(world: World) -> None:
    response = client_for(world.staff_a).get(
        reverse("evaluations:pack_detail", args=[builtin().pk])
    )
    text = response.content.decode()
    quota = text[text.index('id="quota"') : text.index('id="head_cap"')]
    assert "chưa xác nhận" in quota
    assert "mặc định 20% số HTTNV" in quota
    assert "20%" in quota


def test_pack_detail_shows_thresholds_and_khtnv_triggers(world: World) -> None:
    text = (
        client_for(world.staff_a)
        .get(reverse("evaluations:pack_detail", args=[builtin().pk]))
        .content.decode()
    )
    assert "từ 90 điểm" in text
    assert "trên 50% phiếu tín nhiệm thấp" in text


def test_pack_detail_of_a_builtin_pack_opens_for_a_plain_member(world: World) -> None:
    response = client_for(world.plain_member_a).get(
        reverse("evaluations:pack_detail", args=[builtin().pk])
    )
    assert response.status_code == 200


def test_pack_detail_of_a_builtin_pack_offers_no_edit(world: World) -> None:
    response = client_for(world.staff_a).get(
        reverse("evaluations:pack_detail", args=[builtin().pk])
    )
    assert response.context["may_edit"] is False


def test_pack_detail_of_a_grade_pack_lists_the_grades(world: World) -> None:
    text = (
        client_for(world.staff_a)
        .get(reverse("evaluations:pack_detail", args=[builtin("QD124").pk]))
        .content.decode()
    )
    assert "Xuất sắc / Tốt / Trung bình / Kém" in text


# --- clone -----------------------------------------------------------------------------------


def test_clone_page_creates_a_clone_owned_by_the_given_organisation(world: World) -> None:
    response = client_for(world.staff_a).post(
        reverse("evaluations:pack_clone", args=[builtin().pk]),
        {
            "code": "qd366-hn",
            "title": "Bản Hà Nội",
            "owner_code": world.province_a.code,
            "effective_from": "01/01/2026",
        },
    )
    clone = StoredPack.objects.get(code="QD366-HN")
    assert response.status_code == 302
    assert (clone.owner, clone.derived_from, clone.builtin) == (world.province_a, builtin(), False)


def test_clone_page_refuses_an_organisation_outside_the_users_scope(world: World) -> None:
    response = client_for(world.staff_a).post(
        reverse("evaluations:pack_clone", args=[builtin().pk]),
        {
            "code": "QD366-CT",
            "title": "Bản Cần Thơ",
            "owner_code": world.province_b.code,
            "effective_from": "01/01/2026",
        },
    )
    assert "owner_code" in response.context["form"].errors
    assert not StoredPack.objects.filter(code="QD366-CT").exists()


def test_clone_page_refuses_a_code_already_used(world: World) -> None:
    response = client_for(world.staff_a).post(
        reverse("evaluations:pack_clone", args=[builtin().pk]),
        {
            "code": "QD124",
            "title": "Trùng mã",
            "owner_code": world.province_a.code,
            "effective_from": "01/01/2026",
        },
    )
    assert "code" in response.context["form"].errors


def test_clone_page_is_404_for_an_inspector(world: World) -> None:
    response = client_for(world.inspector_a).get(
        reverse("evaluations:pack_clone", args=[builtin().pk])
    )
    assert response.status_code == 404


def test_clone_page_proposes_the_users_top_organisation(world: World) -> None:
    response = client_for(world.staff_a).get(reverse("evaluations:pack_clone", args=[builtin().pk]))
    assert response.context["form"].initial["owner_code"] == world.province_a.code


# --- edit ------------------------------------------------------------------------------------


def test_edit_page_offers_the_quota_ratio(world: World) -> None:
    clone = make_clone(world)
    response = client_for(world.staff_a).get(reverse("evaluations:pack_edit", args=[clone.pk]))
    assert "quota.max_ratio" in response.context["form"].fields


def test_edit_page_offers_no_confirmed_parameter(world: World) -> None:
    clone = make_clone(world)
    response = client_for(world.staff_a).get(reverse("evaluations:pack_edit", args=[clone.pk]))
    assert "thresholds.htxsnv" not in response.context["form"].fields


def test_edit_page_saves_a_new_quota_ratio(world: World) -> None:
    clone = make_clone(world)
    client_for(world.staff_a).post(
        reverse("evaluations:pack_edit", args=[clone.pk]),
        edit_data(clone, **{"quota.max_ratio": "0.25"}),
    )
    clone.refresh_from_db()
    assert str(rule_pack(clone).quota.max_ratio) == "0.25"


def test_edit_page_audits_the_change_with_before_and_after(world: World) -> None:
    clone = make_clone(world)
    client_for(world.staff_a).post(
        reverse("evaluations:pack_edit", args=[clone.pk]),
        edit_data(clone, **{"quota.max_ratio": "0.25", "reason": "Theo kế hoạch của tỉnh"}),
    )
    event = AuditEvent.objects.filter(action="evaluations.pack.edit").get()
    assert event.diff == {
        "quota.max_ratio": ["0.2", "0.25"],
        "reason": [None, "Theo kế hoạch của tỉnh"],
    }


def test_edit_page_refuses_a_ratio_above_one_with_the_packs_message(world: World) -> None:
    clone = make_clone(world)
    response = client_for(world.staff_a).post(
        reverse("evaluations:pack_edit", args=[clone.pk]),
        edit_data(clone, **{"quota.max_ratio": "1.5"}),
    )
    assert response.context["form"].errors["quota.max_ratio"] == ["phải trong khoảng 0–1"]


def test_edit_page_writes_nothing_when_one_value_is_refused(world: World) -> None:
    clone = make_clone(world)
    before = clone.data
    client_for(world.staff_a).post(
        reverse("evaluations:pack_edit", args=[clone.pk]),
        edit_data(clone, **{"quota.max_ratio": "0.3", "quota.basis": "rated", "x": "1"})
        | {"frameworks.tap_the.criteria.TT_CHUNG.points": "35"},
    )
    clone.refresh_from_db()
    assert clone.data == before


def test_edit_page_shows_a_points_sum_error_above_the_form(world: World) -> None:
    clone = make_clone(world)
    response = client_for(world.staff_a).post(
        reverse("evaluations:pack_edit", args=[clone.pk]),
        edit_data(clone, **{"frameworks.tap_the.criteria.TT_CHUNG.points": "35"}),
    )
    errors = response.context["form"].non_field_errors()
    assert any("tổng điểm nhóm chung 35 ≠ 30" in e for e in errors)


def test_edit_page_of_a_builtin_pack_is_404(world: World) -> None:
    response = client_for(world.admin).get(reverse("evaluations:pack_edit", args=[builtin().pk]))
    assert response.status_code == 404


def test_edit_page_is_404_for_an_inspector_who_may_view_the_clone(world: World) -> None:
    clone = make_clone(world)
    response = client_for(world.inspector_a).get(reverse("evaluations:pack_edit", args=[clone.pk]))
    assert response.status_code == 404
