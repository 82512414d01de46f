"""Pages, outputs and API of ratings: calibration, proposal, decision, result lists, reports."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from cosodang.accounts.services import create_api_token
from cosodang.core.testing import World, make_member, make_org
from cosodang.evaluations.models import Period, Rating
from cosodang.evaluations.selectors import ratings as sel
from cosodang.evaluations.tests.builders_ratings import (
    make_org_rating,
    make_period,
    make_rating,
    make_review,
)
from cosodang.orgs.rules import OrgType

pytestmark = pytest.mark.django_db


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def period(world: World) -> Period:
    """A period of province A: 12 ratings in two groups, one outlier score, one over quota."""
    p = make_period(world.province_a)
    cell2 = make_org("Chi bộ Đội 2", OrgType.CELL, world.branch_a)
    scores = ["80", "82", "84", "85", "86", "88", "81", "83", "40"]
    for i, score in enumerate(scores):
        member = make_member(world.cell_a if i % 2 else cell2)
        make_rating(p, member, score=Decimal(score), proposed_level="HTTNV" if i < 8 else "KHTNV")
    for score in ("95", "96", "97"):
        make_rating(
            p,
            make_member(world.cell_a),
            score=Decimal(score),
            proposed_level="HTXSNV",
            tasks_above_requirement=5,
            position_group="ta|chi_huy_truong",
        )
    return p


# --- calibration ------------------------------------------------------------------------------


def test_calibration_shows_each_groups_distribution_and_quota_use(
    world: World, period: Period
) -> None:
    response = _client(world.staff_a).get(
        reverse("evaluations:calibration", args=[world.province_a.pk]), {"ky": period.pk}
    )
    data = response.context["data"]
    groups = {g.code: g for g in data.groups}
    assert groups["uy|can_bo"].dist.count == 9
    assert groups["uy|can_bo"].dist.median == 83
    assert (
        groups["ta|chi_huy_truong"].proposed["HTXSNV"],
        groups["ta|chi_huy_truong"].allowed,
    ) == (
        3,
        0,
    )
    assert "vượt tỷ lệ" in response.content.decode()


def test_calibration_lists_the_outlier_score_with_a_link_to_the_person(
    world: World, period: Period
) -> None:
    response = _client(world.staff_a).get(
        reverse("evaluations:calibration", args=[world.province_a.pk])
    )
    outliers = response.context["data"].outliers
    low = next(o for o in outliers if o.score == 40)
    assert "điểm ngoài" in low.why
    assert reverse("members:detail", args=[low.member_id]) in response.content.decode()


def test_calibration_page_runs_a_fixed_number_of_queries(
    world: World, period: Period, django_assert_max_num_queries
) -> None:
    client = _client(world.staff_a)
    url = reverse("evaluations:calibration", args=[world.province_a.pk])
    with django_assert_max_num_queries(12):
        client.get(url, {"ky": period.pk})
    for _ in range(20):  # more people, more groups: the same queries
        make_rating(period, make_member(world.cell_a), position_group="hsq|can_bo")
    with django_assert_max_num_queries(12):
        client.get(url, {"ky": period.pk})


def test_a_group_lists_its_people_with_their_percentile(world: World, period: Period) -> None:
    response = _client(world.staff_a).get(
        reverse("evaluations:calibration", args=[world.province_a.pk]),
        {"ky": period.pk, "nhom": "uy|can_bo"},
    )
    people = response.context["people"]
    assert [p.score for p in people][:2] == [88, 86]
    assert people[0].percentile == pytest.approx(100 * 8.5 / 9)


def test_a_group_page_runs_a_fixed_number_of_queries(
    world: World, period: Period, django_assert_max_num_queries
) -> None:
    url = reverse("evaluations:calibration", args=[world.province_a.pk])
    client = _client(world.staff_a)
    # 15: the summary (none here: tallied live), score outliers, their levels, the first
    # page's groups' outliers, their names, and the group's people.
    with django_assert_max_num_queries(15):
        client.get(url, {"ky": period.pk, "nhom": "uy|can_bo"})


def test_an_unknown_group_is_404(world: World, period: Period) -> None:
    response = _client(world.staff_a).get(
        reverse("evaluations:calibration", args=[world.province_a.pk]),
        {"ky": period.pk, "nhom": "khong|co"},
    )
    assert response.status_code == 404


def test_a_period_of_another_province_is_404(world: World, period: Period) -> None:
    other = make_period(world.province_b)
    response = _client(world.admin).get(
        reverse("evaluations:calibration", args=[world.province_a.pk]), {"ky": other.pk}
    )
    assert response.status_code == 404


def test_the_calibration_percentiles_in_sql_match_the_python_rules(
    world: World, period: Period
) -> None:
    # On PostgreSQL the quartiles come from percentile_cont; elsewhere from rules_ratings.
    data = sel.calibration(period, world.province_a)
    dist = next(g for g in data.groups if g.code == "uy|can_bo").dist
    assert (dist.q1, dist.q3, dist.min, dist.max) == (81, 85, 40, 88)
    assert dist.mean == pytest.approx(sum([80, 82, 84, 85, 86, 88, 81, 83, 40]) / 9)


# --- decide and override ----------------------------------------------------------------------


def test_the_decide_button_decides_and_reports_the_quota(world: World, period: Period) -> None:
    response = _client(world.staff_a).post(
        reverse("evaluations:decide", args=[world.branch_a.pk]), {"ky": period.pk}, follow=True
    )
    assert "do vượt tỷ lệ" in response.content.decode()
    assert not Rating.objects.filter(period=period, level="HTXSNV").exists()


def test_the_decide_button_shows_a_refusal_as_a_message(world: World, period: Period) -> None:
    response = _client(world.staff_a).post(
        reverse("evaluations:decide", args=[world.province_a.pk]), {"ky": period.pk}, follow=True
    )
    assert response.status_code == 200
    assert Rating.objects.filter(period=period, state="decided").exists()


def test_the_override_page_records_the_committees_level_and_reason(
    world: World, period: Period
) -> None:
    rating = Rating.objects.filter(period=period).first()
    assert rating is not None
    response = _client(world.staff_a).post(
        reverse("evaluations:decide_one", args=[rating.pk]),
        {"level": "HTXSNV", "reason": "Lập chiến công"},
    )
    rating.refresh_from_db()
    assert response.status_code == 302
    assert (rating.level, rating.note) == ("HTXSNV", "Lập chiến công")


def test_the_override_page_without_a_reason_says_so(world: World, period: Period) -> None:
    rating = Rating.objects.filter(period=period).first()
    assert rating is not None
    response = _client(world.staff_a).post(
        reverse("evaluations:decide_one", args=[rating.pk]), {"level": "HTNV", "reason": ""}
    )
    assert response.status_code == 400
    rating.refresh_from_db()
    assert rating.note == ""


# --- the cell's proposal page -----------------------------------------------------------------


def test_the_proposal_page_lists_the_cells_members_with_their_inputs(
    world: World, django_assert_max_num_queries
) -> None:
    p = make_period(world.province_a)
    make_review(p, world.member_a, self_score=Decimal("77"))
    client = _client(world.secretary_a)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("evaluations:propose", args=[world.cell_a.pk]))
    html = response.content.decode()
    assert f'name="m{world.member_a.pk}-score" value="77' in html
    assert "Chưa nộp bản kiểm điểm." in html


def test_the_secretary_proposes_with_an_adjustment_and_its_reason(world: World) -> None:
    p = make_period(world.province_a)
    make_review(p, world.member_a, self_score=Decimal("77"))
    pk = world.member_a.pk
    response = _client(world.secretary_a).post(
        reverse("evaluations:propose", args=[world.cell_a.pk]),
        {"ky": p.pk, f"m{pk}-score": "65", f"m{pk}-reason": "Chi bộ chấm lại"},
    )
    assert response.status_code == 302
    rating = Rating.objects.get(period=p, member=world.member_a)
    assert (rating.score, rating.proposed_level) == (65, "HTNV")


def test_an_adjustment_without_reason_is_shown_back_with_the_message(world: World) -> None:
    p = make_period(world.province_a)
    make_review(p, world.member_a, self_score=Decimal("77"))
    pk = world.member_a.pk
    response = _client(world.secretary_a).post(
        reverse("evaluations:propose", args=[world.cell_a.pk]), {"ky": p.pk, f"m{pk}-score": "65"}
    )
    assert response.status_code == 400
    assert "cần ghi lý do" in response.content.decode()
    assert not Rating.objects.filter(period=p).exists()


def test_the_collective_page_proposes_the_cells_level(world: World) -> None:
    p = make_period(world.province_a)
    response = _client(world.secretary_a).post(
        reverse("evaluations:rate_collective", args=[world.cell_a.pk]),
        {
            "ky": p.pk,
            "score": "85",
            "tasks_total": "10",
            "tasks_on_time": "10",
            "tasks_above_requirement": "0",
            "tasks_late": "0",
        },
    )
    assert response.status_code == 302
    assert p.org_ratings.get(org=world.cell_a).proposed_level == "HTTNV"


# --- outputs ----------------------------------------------------------------------------------


def test_the_result_list_xlsx_holds_one_row_per_rating(world: World, period: Period) -> None:
    from openpyxl import load_workbook

    response = _client(world.staff_a).get(
        reverse("evaluations:result_list_xlsx", args=[world.province_a.pk]), {"ky": period.pk}
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("STT", "Họ và tên", "Ngày sinh")
    assert len(rows) == 1 + 12
    assert {r[7] for r in rows[1:]} == {"HTTNV", "KHTNV", "HTXSNV"}


def test_the_result_list_docx_has_the_title_table_and_signatures(
    world: World, period: Period
) -> None:
    from docx import Document

    response = _client(world.staff_a).get(
        reverse("evaluations:result_list_docx", args=[world.branch_a.pk]), {"ky": period.pk}
    )
    doc = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "DANH SÁCH KẾT QUẢ XẾP LOẠI CHẤT LƯỢNG ĐẢNG VIÊN" in text
    assert "Tổng số: 12 đảng viên" in text
    table = doc.tables[1]
    assert len(table.rows) == 1 + 12
    signatures = "\n".join(c.text for c in doc.tables[-1].rows[0].cells)
    assert "T/M CẤP ỦY" in signatures


def test_the_report_counts_every_organisation_of_the_subtree(world: World, period: Period) -> None:
    rows = {r.code: r for r in sel.subtree_report(period, world.province_a)}
    assert rows[world.province_a.code].total == 12
    assert rows[world.branch_a.code].counts["HTXSNV"] == 3
    assert rows[world.cell_a.code].total == 3 + 4
    assert rows[world.province_a.code].pct("KHTNV") == pytest.approx(100 / 12)


def test_the_report_page_shows_children_and_passes_chart_data_as_json(
    world: World, period: Period, django_assert_max_num_queries
) -> None:
    client = _client(world.staff_a)
    with django_assert_max_num_queries(11):
        response = client.get(
            reverse("evaluations:report", args=[world.province_a.pk]), {"ky": period.pk}
        )
    html = response.content.decode()
    assert 'id="rating-chart-data"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html and "js/evaluations-chart.js" in html
    assert "<script>" not in html  # data through json_script only (CSP)
    chart = response.context["chart"]
    assert chart["by_org"]["labels"] == [world.branch_a.name]
    assert chart["by_year"][0]["label"] == "Năm 2025"


def test_the_report_xlsx_lists_every_organisation_with_percentages(
    world: World, period: Period
) -> None:
    from openpyxl import load_workbook

    response = _client(world.staff_a).get(
        reverse("evaluations:report_xlsx", args=[world.province_a.pk]), {"ky": period.pk}
    )
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code[world.province_a.code][3] == 12
    assert by_code[world.branch_a.code][4:6] == (3, 25.0)


def test_the_collective_rating_feeds_the_report_of_levels(world: World, period: Period) -> None:
    make_org_rating(period, world.cell_a, proposed_level="HTNV")
    assert sel.org_ratings(period, world.province_a).count() == 1


# --- API --------------------------------------------------------------------------------------


def _api(user) -> Client:  # type: ignore[no-untyped-def]
    _, raw = create_api_token(actor=user, user=user, name="thu")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_the_api_lists_results_of_the_subtree(world: World, period: Period) -> None:
    response = _api(world.staff_a).get(
        f"/api/v1/evaluations/ratings/{world.province_a.pk}/results", {"limit": 5}
    )
    body = response.json()
    assert (body["count"], len(body["items"]), body["period"]) == (12, 5, "Năm 2025")


def test_the_api_report_gives_counts_and_percentages(world: World, period: Period) -> None:
    body = _api(world.staff_a).get(f"/api/v1/evaluations/ratings/{world.branch_a.pk}/report").json()
    first = body["rows"][0]
    assert (first["code"], first["total"], first["counts"]["HTXSNV"]) == (
        world.branch_a.code,
        12,
        3,
    )
    assert first["percentages"]["HTXSNV"] == 25.0


def test_the_api_calibration_gives_quota_use(world: World, period: Period) -> None:
    body = (
        _api(world.staff_a)
        .get(f"/api/v1/evaluations/ratings/{world.province_a.pk}/calibration")
        .json()
    )
    group = next(g for g in body["groups"] if g["code"] == "ta|chi_huy_truong")
    assert (group["proposed_htxsnv"], group["allowed_htxsnv"]) == (3, 0)
    assert json.dumps(body)  # plain JSON


def test_the_api_of_another_province_is_404(world: World, period: Period) -> None:
    response = _api(world.staff_b).get(f"/api/v1/evaluations/ratings/{world.province_a.pk}/report")
    assert response.status_code == 404
