"""The statistics table one level down the tree, with drill-down; the export keeps everything."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from cosodang.accounts.models import Role, RoleGrant
from cosodang.admissions import selectors
from cosodang.admissions.selectors import stats as stats_selectors
from cosodang.admissions.tests.test_audit_paging import bulk_cases
from cosodang.core.testing import make_org, make_user
from cosodang.core.workdays import workdays_between
from cosodang.orgs.models import PartyOrg
from cosodang.orgs.rules import OrgType

pytestmark = pytest.mark.django_db

# Session, user, grants, the counts, the stop reasons, admissions by organisation and year,
# the organisations of the table's rows, the timeline: whatever the size of the tree.
STATS_QUERIES = 8
# With an organisation: also the organisation (read and checked) and the one above it.
STATS_ORG_QUERIES = 10


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def stats_page(user, **params):
    return client_for(user).get(reverse("admissions:statistics"), params)


def admitted(org: PartyOrg, n: int, year: int, prefix: str = "Nguyễn Văn") -> None:
    day = date(year, 8, 15)
    bulk_cases(
        org,
        n,
        prefix=f"{prefix} {year}",
        state="official",
        opened_on=date(year, 3, 2),
        decision_date=day,
    )


def stopped(org: PartyOrg, reason: str, n: int = 1) -> None:
    bulk_cases(org, n, prefix=f"Dừng {reason[:10]}", state="stopped", stop_reason=reason)


def table(response) -> list[tuple[str, list[int], int, bool]]:
    return [(u.org.name, u.per_year, u.total, u.drill) for u in response.context["stats"].units]


def export_rows(response, sheet: str) -> list[tuple]:
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(book[sheet].iter_rows(values_only=True))


@pytest.fixture
def tree(world):
    """Two branches under province A, two cells under branch A, cases in three cells."""
    branch_2 = make_org(
        "Đảng bộ Phòng Cảnh sát giao thông", OrgType.GRASSROOTS_BRANCH, world.province_a
    )
    cell_2 = make_org("Chi bộ Đội 2", OrgType.CELL, world.branch_a)
    cell_3 = make_org("Chi bộ Đội 1", OrgType.CELL, branch_2)  # same name as cell A
    admitted(world.cell_a, 2, 2024)
    admitted(world.cell_a, 1, 2025, prefix="Lê Văn")
    admitted(cell_2, 3, 2025)
    admitted(cell_3, 4, 2023)
    return branch_2, cell_2, cell_3


# --- one level down --------------------------------------------------------------------------


def test_the_table_sums_each_sub_organisation_of_the_users_scope(world, tree) -> None:
    response = stats_page(world.staff_a)
    assert response.context["stats"].years == [2025, 2024, 2023]
    assert table(response) == [
        ("Đảng bộ Phòng Cảnh sát hình sự", [4, 2, 0], 6, True),
        ("Đảng bộ Phòng Cảnh sát giao thông", [0, 0, 4], 4, True),
    ]


def test_a_sub_organisation_links_to_its_own_statistics(world, tree) -> None:
    html = stats_page(world.staff_a).content.decode()
    assert f'href="{reverse("admissions:statistics")}?org={world.branch_a.pk}"' in html


def test_drilling_down_lists_the_cells_of_the_organisation(world, tree) -> None:
    response = stats_page(world.staff_a, org=world.branch_a.pk)
    assert table(response) == [
        ("Chi bộ Đội 1", [1, 2], 3, False),
        ("Chi bộ Đội 2", [3, 0], 3, False),
    ]


def test_a_drilled_down_page_links_back_up(world, tree) -> None:
    response = stats_page(world.staff_a, org=world.branch_a.pk)
    assert response.context["parent"] == world.province_a
    assert f'?org={world.province_a.pk}">‹ {world.province_a.name}' in response.content.decode()


def test_the_top_of_the_scope_links_up_to_nothing_outside_it(world, tree) -> None:
    response = stats_page(world.staff_a, org=world.province_a.pk)
    assert response.context["parent"] is None
    assert len(table(response)) == 2


def test_a_cell_secretary_sees_the_cell_itself(world, tree) -> None:
    assert table(stats_page(world.secretary_a)) == [("Chi bộ Đội 1", [1, 2], 3, False)]


def test_the_whole_country_is_shown_by_province(world, tree) -> None:
    admitted(world.cell_b, 1, 2024)
    rows = table(stats_page(world.admin))
    assert [(name, total) for name, _, total, _ in rows] == [
        ("Đảng bộ Công an thành phố Hà Nội", 10),
        ("Đảng bộ Công an thành phố Cần Thơ", 1),
    ]


def test_several_granted_subtrees_are_shown_side_by_side(world, tree) -> None:
    branch_2, _, _ = tree
    user = make_user("two_branches", role=Role.STAFF, org=world.branch_a)
    RoleGrant.objects.create(user=user, org=branch_2, role=Role.STAFF)
    rows = table(stats_page(user))
    assert [(name, total) for name, _, total, _ in rows] == [
        ("Đảng bộ Phòng Cảnh sát hình sự", 6),
        ("Đảng bộ Phòng Cảnh sát giao thông", 4),
    ]


def test_the_year_chart_still_counts_every_organisation(world, tree) -> None:
    html = stats_page(world.staff_a).content.decode()
    start = html.index('<script id="admission-chart-data" type="application/json">')
    body = html[start:].split(">", 1)[1].split("</script>", 1)[0]
    assert json.loads(body)["per_year"] == {
        "labels": ["2023", "2024", "2025"],
        "values": [4, 2, 4],
    }


# --- the export keeps every organisation -----------------------------------------------------


def test_the_export_lists_every_cell_with_admissions(world, tree) -> None:
    response = client_for(world.staff_a).get(reverse("admissions:statistics_export"))
    rows = export_rows(response, "Theo năm và tổ chức")
    assert sorted(rows[1:]) == [
        (2023, "Chi bộ Đội 1", 4),
        (2024, "Chi bộ Đội 1", 2),
        (2025, "Chi bộ Đội 1", 1),
        (2025, "Chi bộ Đội 2", 3),
    ]


def test_two_cells_of_the_same_name_are_not_merged(world, tree) -> None:
    admitted(tree[2], 1, 2024, prefix="Trần Thị")  # "Chi bộ Đội 1" of the other branch
    stats = stats_selectors.statistics(world.staff_a)
    assert [r for r in stats.per_year_org if r[0] == 2024] == [
        (2024, "Chi bộ Đội 1", 2),
        (2024, "Chi bộ Đội 1", 1),
    ]


# --- stop reasons ----------------------------------------------------------------------------


def test_the_page_shows_the_most_frequent_stop_reasons_and_sums_the_rest(world) -> None:
    reasons = [f"Lý do số {i:02d}" for i in range(stats_selectors.STOP_REASONS_SHOWN + 3)]
    for i, reason in enumerate(reasons):
        stopped(world.cell_a, reason, n=20 - i)
    stats = stats_page(world.staff_a).context["stats"]
    shown = stats.shown_stop_reasons
    assert len(shown) == stats_selectors.STOP_REASONS_SHOWN + 1
    assert shown[0] == ("Lý do số 00", 20)
    assert shown[-1] == (stats_selectors.OTHER_REASONS, 10 + 9 + 8)
    assert stats.chart()["stops"]["labels"][-1] == stats_selectors.OTHER_REASONS


def test_the_export_lists_every_stop_reason(world) -> None:
    for i in range(stats_selectors.STOP_REASONS_SHOWN + 3):
        stopped(world.cell_a, f"Lý do số {i:02d}")
    response = client_for(world.staff_a).get(reverse("admissions:statistics_export"))
    assert len(export_rows(response, "Lý do dừng")) == 1 + stats_selectors.STOP_REASONS_SHOWN + 3


def test_the_counts_are_those_of_the_cases(world, tree) -> None:
    stopped(world.cell_a, "Rút đơn", n=2)
    bulk_cases(world.cell_a, 1, prefix="Xóa", state="removed", stop_reason="Vi phạm")
    stats = stats_selectors.statistics(world.staff_a)
    assert (stats.total, stats.official, stats.stopped, stats.removed) == (13, 10, 3, 1)
    assert stats.stop_reasons == [("Rút đơn", 2), ("Vi phạm", 1)]


# --- cost ------------------------------------------------------------------------------------


def _queries(user, django_assert_num_queries, expected: int, **params) -> None:
    client = client_for(user)
    client.get(reverse("admissions:statistics"))  # warm the session and caches
    with django_assert_num_queries(expected):
        assert client.get(reverse("admissions:statistics"), params).status_code == 200


def _grow(world, n: int) -> None:
    for i in range(n):
        cell = make_org(f"Chi bộ Tổ {i}", OrgType.CELL, world.branch_a)
        admitted(cell, 2, 2024 + i % 2)
        stopped(cell, f"Lý do {i}")


@pytest.mark.parametrize("n", [1, 25])
def test_the_statistics_page_runs_a_fixed_number_of_queries(
    world, django_assert_num_queries, n
) -> None:
    _grow(world, n)
    _queries(world.staff_a, django_assert_num_queries, STATS_QUERIES)


@pytest.mark.parametrize("n", [1, 25])
def test_a_drilled_down_page_runs_a_fixed_number_of_queries(
    world, django_assert_num_queries, n
) -> None:
    _grow(world, n)
    params = {"org": world.branch_a.pk}
    _queries(world.staff_a, django_assert_num_queries, STATS_ORG_QUERIES, **params)


# --- time in each stage ----------------------------------------------------------------------


def test_the_running_count_of_working_days_is_workdays_between() -> None:
    cal = selectors.work_calendar()
    days = [date(2025, 12, 20) + timedelta(days=i) for i in range(0, 75, 3)]  # over Tết 2026
    count = stats_selectors.WorkdayCount(days, cal)
    for a in days:
        for b in days:
            assert count.between(a, b) == workdays_between(a, b, cal)
