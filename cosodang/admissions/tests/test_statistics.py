"""The statistics page: tables, the chart's data (CSP-safe), and the .xlsx export."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from cosodang.admissions import services
from cosodang.admissions.selectors import stats as stats_selectors
from cosodang.admissions.tests.builders import decided_case, submitted_case

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def stopped_at_the_cell(world) -> None:
    case = submitted_case(world, full_name="Lê Văn Tám")
    services.record_cell_vote(
        actor=world.secretary_a,
        case=case,
        meeting_date=date(2024, 7, 5),
        votes_for=1,
        against=3,
        abstain=0,
    )


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


def test_time_in_a_stage_is_the_median_of_working_days() -> None:
    rows = [
        (1, "", date(2024, 4, 22), at(date(2024, 4, 22))),  # Monday, opened
        (1, "dossier", date(2024, 5, 6), at(date(2024, 5, 6))),  # 30/4, 1/5 off: 8 wd
        (2, "", date(2024, 6, 3), at(date(2024, 6, 3))),
        (2, "dossier", date(2024, 6, 5), at(date(2024, 6, 5))),  # 2 wd
        (3, "", date(2024, 6, 3), at(date(2024, 6, 3))),
        (3, "dossier", date(2024, 6, 10), at(date(2024, 6, 10))),  # 5 wd
    ]
    assert stats_selectors._stage_durations(rows) == [("Lập hồ sơ", 5.0, 3)]


def test_an_undated_extension_does_not_end_a_stage() -> None:
    rows = [
        (1, "", date(2024, 6, 3), at(date(2024, 6, 3))),
        (1, "committee_review", None, at(date(2024, 6, 4))),  # extension, no date
        (1, "committee_review", date(2024, 6, 10), at(date(2024, 6, 10))),
    ]
    assert stats_selectors._stage_durations(rows) == [("Chờ đảng ủy cơ sở xét", 5.0, 1)]


def test_the_statistics_page_shows_the_median_working_days_per_stage(world) -> None:
    decided_case(world)
    stats = client_for(world.staff_a).get(reverse("admissions:statistics")).context["stats"]
    stages = {label: days for label, days, _ in stats.stage_days}
    assert stages["Chờ chi bộ xét kết nạp"] == 4.0  # submitted 01/07, voted 05/07/2024


def test_the_share_of_stopped_cases_and_why(world) -> None:
    decided_case(world)
    stopped_at_the_cell(world)
    stats = client_for(world.staff_a).get(reverse("admissions:statistics")).context["stats"]
    assert stats.stop_rows == [("Chi bộ biểu quyết không đủ 2/3", 1, 50.0)]


def test_the_chart_data_is_written_with_json_script_not_inline_script(world) -> None:
    decided_case(world)
    html = client_for(world.staff_a).get(reverse("admissions:statistics")).content.decode()
    start = html.index('<script id="admission-chart-data" type="application/json">')
    body = html[start:].split(">", 1)[1].split("</script>", 1)[0]
    assert json.loads(body)["per_year"] == {"labels": ["2024"], "values": [1]}


def test_the_statistics_page_loads_chart_js_from_the_same_origin(world) -> None:
    html = client_for(world.staff_a).get(reverse("admissions:statistics")).content.decode()
    assert "vendor/chartjs/chart.umd.min.js" in html and "admissions/statistics-chart.js" in html


def test_the_statistics_page_has_no_inline_style(world) -> None:
    decided_case(world)
    html = client_for(world.staff_a).get(reverse("admissions:statistics")).content.decode()
    assert 'style="' not in html


def test_the_statistics_page_has_no_inline_script(world) -> None:
    html = client_for(world.staff_a).get(reverse("admissions:statistics")).content.decode()
    scripts = html.split("<script")[1:]
    assert all(" src=" in s.split(">", 1)[0] or "application/json" in s for s in scripts)


def test_the_statistics_export_is_a_workbook_of_the_tables(world) -> None:
    decided_case(world)
    stopped_at_the_cell(world)
    response = client_for(world.staff_a).get(reverse("admissions:statistics_export"))
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == [
        "Tổng hợp",
        "Theo năm và tổ chức",
        "Thời gian mỗi bước",
        "Lý do dừng",
    ]
    rows = list(book["Theo năm và tổ chức"].iter_rows(values_only=True))
    assert rows[1] == (2024, "Chi bộ Đội 1", 1)


def test_the_statistics_export_holds_only_the_users_scope(world) -> None:
    decided_case(world)
    response = client_for(world.staff_b).get(reverse("admissions:statistics_export"))
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert list(book["Theo năm và tổ chức"].iter_rows(values_only=True)) == [
        ("Năm", "Chi bộ", "Số kết nạp")
    ]


def test_the_statistics_export_of_an_organisation_outside_the_scope_answers_404(world) -> None:
    response = client_for(world.staff_b).get(
        reverse("admissions:statistics_export"), {"org": world.cell_a.pk}
    )
    assert response.status_code == 404
