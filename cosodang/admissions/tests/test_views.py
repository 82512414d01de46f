"""The admission pages: board, case page and steps, audit view, export, statistics, API."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from cosodang.accounts.services import create_api_token
from cosodang.admissions.models import AdmissionCase
from cosodang.admissions.tests.builders import (
    cell_passed_case,
    decided_case,
    dossier_case,
    make_candidate,
    pdf,
    refresh,
    submitted_case,
)
from cosodang.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def api_for(user) -> Client:
    _, raw = create_api_token(actor=user, user=user, name="t")
    return Client(headers={"Authorization": f"Bearer {raw}"})


# --- board -----------------------------------------------------------------------------------


def test_the_board_lists_a_case_in_its_stage_with_what_is_missing(world) -> None:
    case = dossier_case(world)
    response = client_for(world.secretary_a).get(reverse("admissions:board"))
    column = next(c for c in response.context["columns"] if c.state == "dossier")
    assert [r.case.pk for r in column.rows] == [case.pk]
    assert column.rows[0].missing == []


def test_the_board_shows_the_decision_deadline_in_working_days(world) -> None:
    cell_passed_case(world)
    response = client_for(world.secretary_a).get(reverse("admissions:board"))
    column = next(c for c in response.context["columns"] if c.state == "committee_review")
    row = column.rows[0]
    assert row.deadline.due == date(2024, 10, 1)  # 60 wd after 05/07/2024 (2/9 and 3/9 off)
    assert row.overdue and row.urgent


def test_the_board_of_a_secretary_of_another_cell_shows_nothing_of_cell_a(world) -> None:
    dossier_case(world)
    response = client_for(world.staff_b).get(reverse("admissions:board"))
    assert all(not c.rows for c in response.context["columns"])
    assert "Đỗ Minh Khoa" not in response.content.decode()


def test_the_board_runs_a_bounded_number_of_queries(world, django_assert_max_num_queries) -> None:
    for i in range(6):
        dossier_case(world, full_name=f"Người Thứ {i}")
    client = client_for(world.secretary_a)
    with django_assert_max_num_queries(20):
        client.get(reverse("admissions:board"))


def test_the_audit_view_runs_a_bounded_number_of_queries(
    world, django_assert_max_num_queries
) -> None:
    for i in range(6):
        dossier_case(world, full_name=f"Người Thứ {i}")
    client = client_for(world.staff_a)
    with django_assert_max_num_queries(15):
        client.get(reverse("admissions:audit"))


def test_a_plain_member_does_not_see_the_board(world) -> None:
    assert client_for(world.plain_member_a).get(reverse("admissions:board")).status_code == 404


def test_the_workday_calculator_answers_the_nth_working_day(world) -> None:
    response = client_for(world.secretary_a).get(
        reverse("admissions:workdays"), {"start": "13/02/2026", "days": "1"}
    )
    assert response.context["result"]["date"] == date(2026, 2, 23)
    assert "Tết" in response.content.decode()


# --- case page and steps ---------------------------------------------------------------------


def test_the_case_page_shows_the_timeline(world) -> None:
    case = submitted_case(world)
    response = client_for(world.staff_a).get(reverse("admissions:case", args=[case.pk]))
    assert response.status_code == 200
    assert "Trình hồ sơ ra chi bộ" in response.content.decode()


def test_a_secretary_of_cell_a_does_not_get_the_committee_forms(world) -> None:
    case = cell_passed_case(world)
    response = client_for(world.secretary_a).get(reverse("admissions:case", args=[case.pk]))
    slugs = [slug for slug, _, _ in response.context["step_forms"]]
    assert "committee-vote" not in slugs


def test_a_refused_step_shows_the_rule_and_changes_nothing(world) -> None:
    case = dossier_case(world)
    events = AuditEvent.objects.count()
    response = client_for(world.secretary_a).post(
        reverse("admissions:step", args=[case.pk, "ceremony"]), {"ceremony_date": "05/09/2024"}
    )
    assert response.status_code == 200
    assert "Không thể" in response.content.decode()
    assert (refresh(case).state, AuditEvent.objects.count()) == ("dossier", events)


def test_the_cell_vote_through_the_page_moves_the_case(world) -> None:
    case = submitted_case(world)
    response = client_for(world.secretary_a).post(
        reverse("admissions:step", args=[case.pk, "cell-vote"]),
        {"meeting_date": "05/07/2024", "votes_for": "4", "against": "0", "abstain": "0"},
    )
    assert response.status_code == 302
    assert refresh(case).state == "committee_review"


def test_uploading_through_the_page_keeps_who_and_when(world) -> None:
    case = dossier_case(world)
    client_for(world.secretary_a).post(
        reverse("admissions:step", args=[case.pk, "upload"]),
        {"code": "4-KNĐ", "doc_date": "10/06/2024", "upload": pdf("nq-doan.pdf")},
    )
    doc = case.documents.get(code="4-KNĐ")
    assert (doc.uploaded_by, doc.filename) == (world.secretary_a, "nq-doan.pdf")


def test_a_document_downloads_for_a_viewer_of_the_cell(world) -> None:
    case = dossier_case(world)
    doc = case.documents.first()
    response = client_for(world.inspector_a).get(reverse("admissions:document", args=[doc.pk]))
    assert response.status_code == 200


def test_adding_a_candidate_through_the_page(world) -> None:
    response = client_for(world.secretary_a).post(
        reverse("admissions:candidate_create"),
        {
            "org": world.cell_a.pk,
            "full_name": "Vũ Thị Mai",
            "sex": "F",
            "birth_date": "01/02/2000",
            "ethnicity": "Kinh",
            "religion": "Không",
            "general_education": "12/12",
            "in_pool_since": "01/01/2025",
        },
    )
    assert response.status_code == 302


# --- audit view, export, statistics, parameters ----------------------------------------------


def test_the_audit_view_flags_a_late_decision(world) -> None:
    case = cell_passed_case(world)
    AdmissionCase.objects.filter(pk=case.pk).update(
        state="awaiting_ceremony", decision_date=date(2024, 12, 2)
    )
    response = client_for(world.staff_a).get(reverse("admissions:audit"), {"flagged": "1"})
    (row,) = response.context["rows"]
    assert "Quyết định kết nạp quá hạn 60 ngày làm việc" in row.violations[0]


def test_the_audit_export_is_a_spreadsheet_of_the_rows(world) -> None:
    dossier_case(world)
    response = client_for(world.staff_a).get(reverse("admissions:audit_export"))
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "Họ và tên" and rows[1][0] == "Đỗ Minh Khoa"


def test_the_statistics_count_admissions_per_year_and_stops(world) -> None:
    decided_case(world)
    stopped = submitted_case(world, full_name="Lê Văn Tám")
    from cosodang.admissions import services

    services.record_cell_vote(
        actor=world.secretary_a,
        case=stopped,
        meeting_date=date(2024, 7, 5),
        votes_for=1,
        against=3,
        abstain=0,
    )
    stats = client_for(world.staff_a).get(reverse("admissions:statistics")).context["stats"]
    assert stats.per_year_org == [(2024, "Chi bộ Đội 1", 1)]
    assert (stats.total, stats.stopped, stats.stop_reasons) == (
        2,
        1,
        [("Chi bộ biểu quyết không đủ 2/3", 1)],
    )


def test_the_parameters_page_flags_unconfirmed_parameters(world) -> None:
    response = client_for(world.plain_member_a).get(reverse("admissions:parameters"))
    text = response.content.decode()
    assert "chưa xác nhận" in text and "Quy định 24-QĐ/TW" in text


# --- API -------------------------------------------------------------------------------------


def test_the_workdays_api_answers_the_date_and_the_skipped_holidays(world) -> None:
    body = (
        api_for(world.secretary_a)
        .get("/api/v1/workdays/add", {"start": "2026-04-29", "days": 1})
        .json()
    )
    assert body["date"] == "2026-05-04"
    assert [h["date"] for h in body["skipped_holidays"]] == ["2026-04-30", "2026-05-01"]


def test_the_workdays_api_refuses_negative_days_naming_the_field(world) -> None:
    response = api_for(world.secretary_a).get(
        "/api/v1/workdays/add", {"start": "2026-04-29", "days": -3}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["days"]
    assert "không được âm" in response.json()["detail"][0]["msg"]


def test_the_workdays_api_refuses_absurd_input(world) -> None:
    client = api_for(world.secretary_a)
    assert (
        client.get("/api/v1/workdays/add", {"start": "2026-04-29", "days": 10**9}).status_code
        == 422
    )
    assert client.get("/api/v1/workdays/add", {"start": "0001-01-01", "days": 1}).status_code == 422
    assert client.get("/api/v1/workdays/add", {"start": "hôm nay", "days": 1}).status_code == 422


def test_the_case_api_returns_the_timeline_and_votes(world) -> None:
    case = cell_passed_case(world)
    body = api_for(world.inspector_a).get(f"/api/v1/admissions/cases/{case.pk}").json()
    assert body["state"] == "committee_review"
    assert body["votes"][0]["votes_for"] == 4
    assert [e["to_state"] for e in body["timeline"] if e["step"]] == [
        "cell_review",
        "committee_review",
    ]


def test_a_vote_through_the_api_with_too_many_ballots_answers_422(world) -> None:
    case = submitted_case(world)
    response = api_for(world.secretary_a).post(
        f"/api/v1/admissions/cases/{case.pk}/votes",
        data=json.dumps({"body": "cell", "meeting_date": "2024-07-05", "votes_for": 5}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "nhiều hơn" in response.json()["detail"][0]["msg"]


def test_the_case_list_api_of_another_province_holds_none_of_a(world) -> None:
    dossier_case(world)
    body = api_for(world.staff_b).get("/api/v1/admissions/cases/").json()
    assert body == {"count": 0, "items": []}


def test_a_candidate_of_another_cell_answers_404(world) -> None:
    cand = make_candidate(world)
    response = client_for(world.staff_b).get(reverse("admissions:candidate", args=[cand.pk]))
    assert response.status_code == 404
