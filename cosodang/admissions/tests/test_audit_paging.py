"""The audit view by pages: 100 rows a page, totals of every page, filters kept, full export."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from cosodang.admissions import selectors, services, views
from cosodang.admissions.models import AdmissionCase, Candidate
from cosodang.admissions.selectors import audit as audit_selectors
from cosodang.admissions.tests.builders import (
    cell_passed_case,
    decided_case,
    dossier_case,
    probation_case,
    recognition_ready_case,
    submitted_case,
)
from cosodang.core.testing import make_org
from cosodang.core.vn import fold, name_sort_key
from cosodang.core.workdays import workdays_between
from cosodang.orgs.models import PartyOrg
from cosodang.orgs.rules import OrgType

pytestmark = pytest.mark.django_db

PAGE = views.AUDIT_PAGE_SIZE
# Session, user, grants, the picker, the years, the cases' flag columns, then the page's
# cases with their documents, introducers and votes: whatever the number of cases.
AUDIT_QUERIES = 10  # without an organisation filter
AUDIT_ORG_QUERIES = 11  # with one (the organisation is read and checked)


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def audit(user, **params):
    return client_for(user).get(reverse("admissions:audit"), params)


def names(response) -> list[str]:
    return [r.case.candidate.full_name for r in response.context["rows"]]


def bulk_cases(org: PartyOrg, n: int, *, prefix: str = "Nguyễn Văn", **fields: Any) -> None:
    """Create `n` cases directly (no documents, no audit): enough rows to fill pages."""
    people = Candidate.objects.bulk_create(
        Candidate(
            org=org,
            org_path=org.path,
            full_name=f"{prefix} {i:03d}",
            name_folded=fold(f"{prefix} {i:03d}"),
            sort_key=name_sort_key(f"{prefix} {i:03d}"),
            sex="M",
            birth_date=date(1998, 3, 10),
            in_pool_since=date(2024, 1, 2),
        )
        for i in range(n)
    )
    data = {"state": "dossier", "opened_on": date(2024, 6, 3), **fields}
    AdmissionCase.objects.bulk_create(
        AdmissionCase(candidate=c, org=org, org_path=org.path, **data) for c in people
    )


def overdue_cases(org: PartyOrg, n: int, prefix: str = "Trần Thị") -> None:
    """Cases awaiting a ceremony whose 30 working days ran out in 2024."""
    day = date(2024, 8, 16)
    bulk_cases(
        org,
        n,
        prefix=prefix,
        state="awaiting_ceremony",
        cell_resolution_date=date(2024, 7, 5),
        decision_date=day,
        decision_received_date=day,
    )


def exported(response) -> list[tuple]:
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(book.active.iter_rows(values_only=True))


def next_link(response) -> str:
    found = re.search(r'<a href="([^"]*)" rel="next"', response.content.decode())
    assert found, "no link to the next page"
    return unescape(found.group(1))


# --- pages -----------------------------------------------------------------------------------


def test_the_audit_view_shows_a_hundred_cases_a_page(world) -> None:
    bulk_cases(world.cell_a, PAGE + 5)
    response = audit(world.staff_a)
    assert len(response.context["rows"]) == PAGE == 100
    assert response.context["page_obj"].paginator.num_pages == 2


def test_the_second_page_shows_the_cases_after_the_first_hundred(world) -> None:
    bulk_cases(world.cell_a, PAGE + 5)
    response = audit(world.staff_a, page="2")
    assert names(response) == [f"Nguyễn Văn {i:03d}" for i in range(PAGE, PAGE + 5)]


def test_the_page_counts_every_case_and_every_flagged_one(world) -> None:
    bulk_cases(world.cell_a, PAGE + 5)
    overdue_cases(world.cell_a, 3)
    response = audit(world.staff_a, page="2")
    assert (response.context["total"], response.context["flagged"]) == (PAGE + 8, 3)
    assert "108 hồ sơ, trong đó 3 hồ sơ bị đánh dấu" in response.content.decode()


def test_the_export_link_names_every_case_not_one_page(world) -> None:
    bulk_cases(world.cell_a, PAGE + 5)
    assert "Xuất Excel (105 hồ sơ)" in audit(world.staff_a).content.decode()


def test_the_link_to_the_next_page_keeps_the_filters(world) -> None:
    bulk_cases(world.cell_a, PAGE + 5)
    response = audit(world.staff_a, org=world.branch_a.pk, state="dossier", year="2024")
    link = next_link(response)
    for part in (f"org={world.branch_a.pk}", "state=dossier", "year=2024", "page=2"):
        assert part in link


def test_the_second_page_of_a_flag_filter_holds_only_flagged_cases(world) -> None:
    bulk_cases(world.cell_a, 20)  # not flagged
    overdue_cases(world.cell_a, PAGE + 3)
    first = audit(world.staff_a, flag="overdue")
    second = client_for(world.staff_a).get(reverse("admissions:audit") + next_link(first))
    assert second.context["page_obj"].number == 2
    assert len(second.context["rows"]) == 3
    assert all(r.overdue for r in second.context["rows"])
    assert second.context["total"] == PAGE + 3


@pytest.mark.parametrize("page", ["999", "0", "-1"])
def test_a_page_number_past_the_end_answers_the_last_page(world, page) -> None:
    bulk_cases(world.cell_a, PAGE + 5)
    response = audit(world.staff_a, page=page)
    assert response.status_code == 200
    assert response.context["page_obj"].number == 2 and len(response.context["rows"]) == 5


@pytest.mark.parametrize("page", ["abc", "1.5", ""])
def test_a_malformed_page_number_answers_the_first_page(world, page) -> None:
    bulk_cases(world.cell_a, PAGE + 5)
    response = audit(world.staff_a, page=page)
    assert response.status_code == 200 and response.context["page_obj"].number == 1


def test_a_page_number_of_an_empty_list_answers_the_empty_first_page(world) -> None:
    response = audit(world.staff_a, page="7", state="official")
    assert response.status_code == 200
    assert response.context["rows"] == [] and "Không có hồ sơ." in response.content.decode()


def test_one_page_shows_no_page_links(world) -> None:
    bulk_cases(world.cell_a, 3)
    html = audit(world.staff_a).content.decode()
    assert 'rel="next"' not in html and "Trang 1/1" not in html


# --- the export ------------------------------------------------------------------------------


def test_the_export_holds_every_case_not_one_page(world) -> None:
    bulk_cases(world.cell_a, PAGE + 5)
    rows = exported(client_for(world.staff_a).get(reverse("admissions:audit_export")))
    assert len(rows) == 1 + PAGE + 5
    assert [r[0] for r in rows[1:]] == [f"Nguyễn Văn {i:03d}" for i in range(PAGE + 5)]


def test_the_export_ignores_the_page_number(world) -> None:
    bulk_cases(world.cell_a, PAGE + 5)
    response = client_for(world.staff_a).get(reverse("admissions:audit_export"), {"page": "2"})
    assert len(exported(response)) == 1 + PAGE + 5


def test_the_export_of_a_flag_holds_every_flagged_case(world) -> None:
    bulk_cases(world.cell_a, 10)
    overdue_cases(world.cell_a, PAGE + 3)
    response = client_for(world.staff_a).get(
        reverse("admissions:audit_export"), {"flag": "overdue"}
    )
    assert len(exported(response)) == 1 + PAGE + 3


def test_the_export_reads_the_rows_in_chunks(world, monkeypatch) -> None:
    monkeypatch.setattr(audit_selectors, "EXPORT_CHUNK", 7)
    bulk_cases(world.cell_a, 23)
    rows = list(audit_selectors.audit_rows(world.staff_a))
    assert [r.case.candidate.full_name for r in rows] == [f"Nguyễn Văn {i:03d}" for i in range(23)]


# --- cost ------------------------------------------------------------------------------------


def _queries(world, django_assert_num_queries, expected: int, **params: str) -> None:
    client = client_for(world.staff_a)
    client.get(reverse("admissions:audit"))  # warm the session and caches
    with django_assert_num_queries(expected):
        response = client.get(reverse("admissions:audit"), params)
    assert response.status_code == 200


@pytest.mark.parametrize("n", [2, PAGE + 30])
def test_the_audit_view_runs_a_fixed_number_of_queries(world, django_assert_num_queries, n) -> None:
    bulk_cases(world.cell_a, n)
    overdue_cases(world.cell_a, 2)
    _queries(world, django_assert_num_queries, AUDIT_QUERIES)


@pytest.mark.parametrize("n", [2, PAGE + 30])
def test_the_second_page_of_a_filter_runs_a_fixed_number_of_queries(
    world, django_assert_num_queries, n
) -> None:
    bulk_cases(world.cell_a, 5)
    overdue_cases(world.cell_a, n)
    params = {"org": str(world.branch_a.pk), "flag": "overdue", "page": "2"}
    _queries(world, django_assert_num_queries, AUDIT_ORG_QUERIES, **params)


def test_the_export_runs_a_fixed_number_of_queries_per_chunk(
    world, django_assert_num_queries, monkeypatch
) -> None:
    monkeypatch.setattr(audit_selectors, "EXPORT_CHUNK", 10)
    bulk_cases(world.cell_a, 30)
    with django_assert_num_queries(2 + 3 * 4):  # grants, flags, then 3 chunks of 4 reads
        assert len(list(audit_selectors.audit_rows(world.staff_a))) == 30


# --- the flags without their rows ------------------------------------------------------------


def a_bit_of_everything(world) -> None:
    dossier_case(world, full_name="Nguyễn Văn Một")  # its letters are usable until 10/06/2025
    submitted_case(world, full_name="Lê Văn Hai")
    cell_passed_case(world)  # overdue: the decision was due 01/10/2024
    decided_case(world)  # the committee's size typed in
    probation_case(world)
    recognition_ready_case(world)
    late = decided_case(world)  # a late decision, then officially recognised late
    AdmissionCase.objects.filter(pk=late.pk).update(
        state="official",
        decision_date=date(2024, 12, 2),
        ceremony_date=date(2024, 12, 20),
        recognition_resolution_date=date(2026, 1, 5),
        final_decision_date=date(2026, 6, 1),
    )
    stopped = dossier_case(world, full_name="Vũ Văn Dừng")
    services.stop_case(actor=world.secretary_a, case=stopped, reason="Rút đơn", on=date(2024, 7, 1))


TODAYS = [date(2024, 7, 2), date(2024, 10, 2), date(2025, 6, 11), date(2026, 11, 27)]


@pytest.mark.parametrize("today", TODAYS)
def test_the_flags_are_those_of_the_case_rows(world, today) -> None:
    a_bit_of_everything(world)
    flags = dict(audit_selectors.audit_flags(world.staff_a, today=today))
    rows = [selectors.case_row(c, today) for c in selectors.list_cases(world.staff_a)]
    assert {r.case.pk: r.flags for r in rows} == flags


def test_the_cases_cover_every_kind_of_flag(world) -> None:
    a_bit_of_everything(world)
    flags = [f for _, f in audit_selectors.audit_flags(world.staff_a, today=date(2026, 11, 27))]
    assert any(f.violation for f in flags) and any(f.typed for f in flags)
    assert any(f.overdue for f in flags) and not all(f.flagged for f in flags)


@pytest.mark.parametrize("flag", list(audit_selectors.Flag))
def test_each_flag_filter_keeps_what_the_case_rows_say(world, flag) -> None:
    a_bit_of_everything(world)
    today = date(2026, 11, 27)
    filters = audit_selectors.AuditFilters(flag=flag)
    kept = [pk for pk, _ in audit_selectors.audit_flags(world.staff_a, filters, today)]
    rows = [selectors.case_row(c, today) for c in selectors.list_cases(world.staff_a)]
    assert kept == [r.case.pk for r in rows if filters.keeps(r.flags)]


def test_a_stale_letter_makes_a_dossier_overdue(world) -> None:
    case = dossier_case(world)  # 3-KNĐ and 5-KNĐ of 10/06/2024, usable for 12 months
    before = dict(audit_selectors.audit_flags(world.staff_a, today=date(2025, 6, 10)))
    after = dict(audit_selectors.audit_flags(world.staff_a, today=date(2025, 6, 11)))
    assert (before[case.pk].overdue, after[case.pk].overdue) == (False, True)


def test_overdue_without_counting_days_agrees_with_the_count() -> None:
    cal = selectors.work_calendar()
    start = date(2026, 2, 6)  # around Tết 2026 (a week off) and its weekends
    days = [start + timedelta(days=i) for i in range(30)]
    for due in days:
        for today in days:
            assert audit_selectors._overdue(due, today, cal) == (
                workdays_between(today, due, cal) < 0
            )


def test_a_remembered_deadline_is_the_rules_deadline() -> None:
    memo = selectors.DueMemo()
    pack = selectors.pack_for(date(2024, 7, 5))
    rule = selectors.rules.decision_deadline
    for _ in range(2):
        assert memo(rule, date(2024, 7, 5), pack, 3) == rule(
            date(2024, 7, 5), pack, 3, selectors.work_calendar()
        )
    assert len(memo.seen) == 1


def test_the_cases_of_another_subtree_are_neither_listed_nor_counted(world) -> None:
    overdue_cases(world.cell_a, 3)
    other = make_org("Chi bộ Đội 2", OrgType.CELL, world.branch_a)
    overdue_cases(other, 2, prefix="Lê Văn")
    response = audit(world.staff_a, org=other.pk)
    assert (response.context["total"], response.context["flagged"]) == (2, 2)
