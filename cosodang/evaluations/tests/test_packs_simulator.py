"""The rule simulator page: one subject's inputs → level and reasons, on any screen."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cosodang.core.models import AuditEvent
from cosodang.core.testing import World

pytestmark = pytest.mark.django_db

URL = "/danh-gia/mo-phong/"


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def query(**changes: Any) -> dict[str, Any]:
    """A member under QĐ 366 who meets every HTXSNV condition unless told otherwise."""
    data: dict[str, Any] = {
        "pack": "QD366",
        "date": "31/12/2025",
        "subject_kind": "member",
        "score": "95",
        "tasks_total": "10",
        "tasks_on_time": "10",
        "tasks_above_requirement": "5",
        "tasks_late": "0",
        "professional_level": "",
        "collective_level": "",
        "disc-TOTAL_FORMS": "1",
        "disc-INITIAL_FORMS": "0",
        "disc-MIN_NUM_FORMS": "0",
        "disc-MAX_NUM_FORMS": "50",
        "disc-0-form": "",
        "disc-0-date": "",
    }
    data.update(changes)
    return data


@pytest.fixture
def staff(world: World) -> Client:
    return client_for(world.staff_a)


def test_the_simulator_has_the_url_name_of_issue_4() -> None:
    assert reverse("evaluations:simulator") == URL


def test_the_empty_simulator_shows_the_form_without_errors(staff: Client) -> None:
    response = staff.get(URL)
    assert response.status_code == 200
    assert not response.context["form"].is_bound


@pytest.mark.parametrize(
    ("changes", "level"),
    [
        ({}, "HTXSNV"),
        ({"score": "80", "tasks_above_requirement": "0"}, "HTTNV"),
        ({"score": "60", "tasks_on_time": "8", "tasks_late": "2"}, "HTNV"),
        ({"score": "49.99"}, "KHTNV"),
    ],
)
def test_the_simulator_shows_each_level(staff: Client, changes: dict[str, Any], level: str) -> None:
    response = staff.get(URL, query(**changes))
    assert response.context["result"].level == level
    assert f'id="result-level">{level}<' in response.content.decode()


def test_the_simulator_lists_every_reason_with_passed_or_failed(staff: Client) -> None:
    text = staff.get(URL, query(score="85")).content.decode()
    assert "Không đạt" in text
    assert "HTXSNV: điểm ≥ 90 (thực tế: 85) — không đạt." in text


def test_the_simulator_chooses_the_pack_by_date_when_none_is_picked(staff: Client) -> None:
    response = staff.get(URL, query(pack="", date="30/06/2026"))
    assert response.context["simulation"].pack.code == "QD366"


def test_the_simulator_counts_a_discipline_row_of_the_year(staff: Client) -> None:
    response = staff.get(URL, query(**{"disc-0-form": "khien_trach", "disc-0-date": "01/05/2025"}))
    assert response.context["result"].level == "KHTNV"


def test_the_simulator_refuses_an_unknown_discipline_form_on_its_row(staff: Client) -> None:
    # giai_tan (dissolution) applies to collectives only: the engine names the row.
    response = staff.get(URL, query(**{"disc-0-form": "giai_tan", "disc-0-date": "01/05/2025"}))
    assert response.context["result"] is None
    assert response.context["rows"].forms[0].errors["form"]


def test_the_simulator_refuses_a_row_with_a_form_but_no_date(staff: Client) -> None:
    response = staff.get(URL, query(**{"disc-0-form": "khien_trach"}))
    assert response.context["rows"].forms[0].non_field_errors()


def test_the_simulator_refuses_a_score_with_three_decimals_on_the_score_field(
    staff: Client,
) -> None:
    response = staff.get(URL, query(score="89.995"))
    assert response.context["form"].errors["score"] == ["tối đa 2 chữ số thập phân"]


def test_the_simulator_refuses_a_score_above_100(staff: Client) -> None:
    response = staff.get(URL, query(score="100.5"))
    assert "score" in response.context["form"].errors


def test_the_simulator_refuses_more_tasks_on_time_than_tasks(staff: Client) -> None:
    response = staff.get(URL, query(tasks_on_time="11"))
    assert response.context["form"].errors["tasks_on_time"]


def test_the_simulator_refuses_a_date_without_a_pack_in_force(staff: Client) -> None:
    response = staff.get(URL, query(pack="", date="31/12/2010"))
    assert "date" in response.context["form"].errors


def test_a_grade_pack_offers_one_grade_per_criterion(staff: Client) -> None:
    response = staff.get(URL, query(pack="", date="31/12/2024"))
    assert response.context["form"].grade_fields == [
        "grade_CHINH_TRI_TU_TUONG",
        "grade_DAO_DUC_LOI_SONG",
        "grade_TAC_PHONG_LE_LOI",
        "grade_Y_THUC_KY_LUAT",
        "grade_KET_QUA_NHIEM_VU",
    ]


def test_a_grade_pack_rates_the_grades_given(staff: Client) -> None:
    grades = {
        f"grade_{c}": "T"
        for c in (
            "CHINH_TRI_TU_TUONG",
            "DAO_DUC_LOI_SONG",
            "TAC_PHONG_LE_LOI",
            "Y_THUC_KY_LUAT",
            "KET_QUA_NHIEM_VU",
        )
    }
    response = staff.get(URL, query(pack="", date="31/12/2024", score="", **grades))
    assert (response.context["simulation"].pack.code, response.context["result"].level) == (
        "QD124",
        "HTTNV",
    )


def test_add_row_shows_one_more_discipline_row_without_rating(staff: Client) -> None:
    response = staff.get(URL, query(add_row="1"))
    assert (len(response.context["rows"].forms), response.context["result"]) == (2, None)


def test_add_row_keeps_the_values_entered(staff: Client) -> None:
    response = staff.get(URL, query(add_row="1", score="77"))
    assert 'value="77"' in response.content.decode()


def test_the_simulator_writes_nothing(staff: Client) -> None:
    events = AuditEvent.objects.count()
    staff.get(URL, query())
    assert AuditEvent.objects.count() == events


def test_the_simulator_page_fits_a_phone(staff: Client) -> None:
    text = staff.get(URL).content.decode()
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in text
    assert 'inputmode="decimal"' in text


def test_a_secretary_may_use_the_simulator(world: World) -> None:
    assert client_for(world.secretary_a).get(URL, query()).status_code == 200


def test_a_plain_member_gets_404(world: World) -> None:
    assert client_for(world.plain_member_a).get(URL).status_code == 404


def test_the_simulator_runs_a_fixed_number_of_queries(
    staff: Client, django_assert_max_num_queries: Any
) -> None:
    staff.get(URL, query())
    with django_assert_max_num_queries(8):
        staff.get(URL, query())
