"""API of stored rule packs and the rule simulator: POST /api/v1/evaluations/simulate."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from cosodang.accounts.services import create_api_token
from cosodang.api import api
from cosodang.core.testing import World
from cosodang.evaluations.models import StoredPack
from cosodang.evaluations.services.packs import clone_stored_pack

pytestmark = pytest.mark.django_db

URL = "/api/v1/evaluations/simulate"


def api_client(user: Any) -> Client:
    _, raw = create_api_token(actor=user, user=user, name="kiem-thu")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def body(**changes: Any) -> dict[str, Any]:
    """A member under QĐ 366 who meets every HTXSNV condition unless told otherwise."""
    data: dict[str, Any] = {
        "pack": "QD366",
        "date": "2025-12-31",
        "subject_kind": "member",
        "score": 95,
        "tasks_total": 10,
        "tasks_on_time": 10,
        "tasks_above_requirement": 5,
        "tasks_late": 0,
        "disciplines": [],
        "degradation_concluded": False,
        "professional_level": None,
        "collective_level": None,
    }
    data.update(changes)
    return data


def post(client: Client, data: dict[str, Any]) -> Any:
    return client.post(URL, data=json.dumps(data), content_type="application/json")


@pytest.fixture
def staff(world: World) -> Client:
    return api_client(world.staff_a)


def fields_named(response: Any) -> list[Any]:
    return [e["loc"][-1] for e in response.json()["detail"]]


@pytest.mark.parametrize(
    ("changes", "level"),
    [
        ({}, "HTXSNV"),
        ({"score": 80, "tasks_above_requirement": 0}, "HTTNV"),
        ({"score": 60, "tasks_on_time": 8, "tasks_late": 2}, "HTNV"),
        ({"score": 40}, "KHTNV"),
    ],
)
def test_simulate_answers_each_level(staff: Client, changes: dict[str, Any], level: str) -> None:
    response = post(staff, body(**changes))
    assert (response.status_code, response.json()["level"]) == (200, level)


def test_simulate_names_the_pack_used(staff: Client) -> None:
    assert post(staff, body()).json()["pack"] == "QD366"


def test_simulate_lists_reasons_with_rule_passed_and_detail(staff: Client) -> None:
    reasons = post(staff, body(score=85)).json()["reasons"]
    threshold = next(r for r in reasons if r["rule"] == "thresholds.HTXSNV")
    assert threshold["passed"] is False
    assert "90" in threshold["detail"]


def test_a_discipline_in_the_year_makes_a_member_khtnv(staff: Client) -> None:
    response = post(staff, body(disciplines=[{"form": "khien_trach", "date": "2025-05-01"}]))
    reasons = {r["rule"]: r["passed"] for r in response.json()["reasons"]}
    assert response.json()["level"] == "KHTNV"
    assert reasons["khtnv_triggers.cn_ky_luat"] is False


def test_a_discipline_of_another_year_does_not_count(staff: Client) -> None:
    response = post(staff, body(disciplines=[{"form": "khien_trach", "date": "2024-05-01"}]))
    assert response.json()["level"] == "HTXSNV"


def test_a_head_is_capped_by_the_collective_level(staff: Client) -> None:
    response = post(staff, body(collective_level="HTTNV"))
    assert response.json()["level"] == "HTTNV"
    assert response.json()["reasons"][-1]["rule"] == "head_cap"


def test_a_professional_khtnv_makes_a_member_khtnv(staff: Client) -> None:
    assert post(staff, body(professional_level="KHTNV")).json()["level"] == "KHTNV"


def test_degradation_concluded_makes_a_leader_khtnv(staff: Client) -> None:
    response = post(staff, body(subject_kind="leader", degradation_concluded=True))
    assert response.json()["level"] == "KHTNV"


def test_without_a_pack_a_2026_date_chooses_qd366(staff: Client) -> None:
    response = post(staff, body(pack=None, date="2026-06-30"))
    assert response.json()["pack"] == "QD366"


def test_without_a_pack_a_2024_date_chooses_qd124(staff: Client) -> None:
    grades = {
        "CHINH_TRI_TU_TUONG": "T",
        "DAO_DUC_LOI_SONG": "T",
        "TAC_PHONG_LE_LOI": "T",
        "Y_THUC_KY_LUAT": "T",
        "KET_QUA_NHIEM_VU": "T",
    }
    data = body(date="2024-12-31", score=None, grades=grades)
    del data["pack"]
    response = post(staff, data)
    assert (response.status_code, response.json()["pack"]) == (200, "QD124")


def test_a_grade_pack_without_grades_is_refused_naming_grades(staff: Client) -> None:
    response = post(staff, body(pack=None, date="2024-12-31"))
    assert (response.status_code, fields_named(response)) == (422, ["grades"])


def test_an_unknown_field_is_refused_naming_it(staff: Client) -> None:
    response = post(staff, body(salary=10))
    assert (response.status_code, fields_named(response)) == (422, ["salary"])
    assert response.json()["detail"][0]["msg"] == "Trường này không được phép."


def test_an_unknown_field_inside_a_discipline_is_refused(staff: Client) -> None:
    response = post(
        staff, body(disciplines=[{"form": "khien_trach", "date": "2025-05-01", "x": 1}])
    )
    assert (response.status_code, fields_named(response)) == (422, ["x"])


def test_a_score_above_100_is_refused_naming_score(staff: Client) -> None:
    response = post(staff, body(score=100.5))
    assert (response.status_code, fields_named(response)) == (422, ["score"])


def test_a_score_with_three_decimals_is_refused_naming_score(staff: Client) -> None:
    response = post(staff, body(score=89.995))
    assert (response.status_code, fields_named(response)) == (422, ["score"])
    assert "2 chữ số thập phân" in response.json()["detail"][0]["msg"]


def test_a_score_with_two_decimals_is_exact_at_the_boundary(staff: Client) -> None:
    assert post(staff, body(score=89.99)).json()["level"] == "HTTNV"


def test_a_negative_task_count_is_refused_naming_it(staff: Client) -> None:
    response = post(staff, body(tasks_late=-1))
    assert (response.status_code, fields_named(response)) == (422, ["tasks_late"])


def test_more_tasks_on_time_than_tasks_is_refused_naming_tasks_on_time(staff: Client) -> None:
    response = post(staff, body(tasks_on_time=11))
    assert (response.status_code, fields_named(response)) == (422, ["tasks_on_time"])
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "tasks_on_time"]


def test_an_unknown_pack_is_refused_naming_pack(staff: Client) -> None:
    response = post(staff, body(pack="QD999"))
    assert (response.status_code, fields_named(response)) == (422, ["pack"])


def test_a_date_without_a_pack_in_force_is_refused_naming_date(staff: Client) -> None:
    response = post(staff, body(pack=None, date="2010-12-31"))
    assert (response.status_code, fields_named(response)) == (422, ["date"])


def test_a_malformed_date_is_refused_naming_date(staff: Client) -> None:
    response = post(staff, body(date="31/12/2025"))
    assert (response.status_code, fields_named(response)) == (422, ["date"])


def test_an_unknown_discipline_form_is_refused_naming_it(staff: Client) -> None:
    response = post(staff, body(disciplines=[{"form": "phat_tien", "date": "2025-05-01"}]))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "disciplines", 0, "form"]


def test_an_unknown_subject_kind_is_refused_naming_it(staff: Client) -> None:
    response = post(staff, body(subject_kind="robot"))
    assert (response.status_code, fields_named(response)) == (422, ["subject_kind"])


def test_a_collective_level_for_a_collective_is_refused(staff: Client) -> None:
    response = post(staff, body(subject_kind="collective", collective_level="HTTNV"))
    assert (response.status_code, fields_named(response)) == (422, ["collective_level"])


def test_a_secretary_may_simulate(world: World) -> None:
    assert post(api_client(world.secretary_a), body()).status_code == 200


def test_a_plain_member_gets_404(world: World) -> None:
    assert post(api_client(world.plain_member_a), body()).status_code == 404


def test_a_clone_outside_the_callers_scope_answers_like_an_unknown_pack(world: World) -> None:
    clone_stored_pack(
        actor=world.staff_a,
        source=StoredPack.objects.get(code="QD366"),
        owner=world.province_a,
        code="QD366-HN",
        title="Bản Hà Nội",
        effective_from=StoredPack.objects.get(code="QD366").effective_from,
    )
    response = post(api_client(world.staff_b), body(pack="QD366-HN"))
    assert (response.status_code, fields_named(response)) == (422, ["pack"])


def test_a_clone_in_scope_may_be_simulated(world: World) -> None:
    clone_stored_pack(
        actor=world.staff_a,
        source=StoredPack.objects.get(code="QD366"),
        owner=world.province_a,
        code="QD366-HN",
        title="Bản Hà Nội",
        effective_from=StoredPack.objects.get(code="QD366").effective_from,
    )
    response = post(api_client(world.staff_a), body(pack="QD366-HN"))
    assert response.json()["pack"] == "QD366-HN"


def test_the_openapi_schema_lists_the_simulator() -> None:
    paths = api.get_openapi_schema()["paths"]
    assert "post" in paths["/api/v1/evaluations/simulate"]


def test_the_openapi_schema_forbids_extra_fields_in_the_request() -> None:
    schemas = api.get_openapi_schema()["components"]["schemas"]
    assert schemas["SimulateIn"]["additionalProperties"] is False


def test_pack_list_holds_the_builtin_packs_for_everyone(world: World) -> None:
    items = api_client(world.plain_member_a).get("/api/v1/evaluations/packs/").json()["items"]
    assert {i["code"] for i in items} == {"QD132", "QD124", "QD366"}


def test_pack_list_counts_the_unconfirmed_parameters(staff: Client) -> None:
    items = staff.get("/api/v1/evaluations/packs/").json()["items"]
    assert all(i["unconfirmed"] > 0 for i in items)


def test_pack_detail_lists_the_unconfirmed_parameters_with_their_notes(staff: Client) -> None:
    pk = StoredPack.objects.get(code="QD366").pk
    detail = staff.get(f"/api/v1/evaluations/packs/{pk}").json()
    quota = next(p for p in detail["unconfirmed_parameters"] if p["path"] == "quota")
    assert "20%" in quota["note"]


def test_pack_detail_of_a_missing_pack_is_404(staff: Client) -> None:
    assert staff.get("/api/v1/evaluations/packs/999999").status_code == 404


def test_an_absurd_task_count_is_refused_naming_it(staff: Client) -> None:
    response = post(staff, body(tasks_total=10**12))
    assert (response.status_code, fields_named(response)) == (422, ["tasks_total"])


def test_a_score_that_is_not_a_number_is_refused_naming_score(staff: Client) -> None:
    response = post(staff, body(score="chín mươi"))
    assert (response.status_code, fields_named(response)) == (422, ["score"])


def test_a_score_that_is_not_a_number_is_refused_in_vietnamese(staff: Client) -> None:
    response = post(staff, body(score="tám mươi"))
    assert response.status_code == 422
    messages = {e["msg"] for e in response.json()["detail"] if e["loc"][-1] == "score"}
    assert "Phải là một số." in messages
