"""The superior's audit view: organisation picker, filters, export that follows them."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from cosodang.admissions.models import AdmissionCase
from cosodang.admissions.selectors import audit as audit_selectors
from cosodang.admissions.tests.builders import cell_passed_case, dossier_case
from cosodang.core.testing import make_org
from cosodang.orgs.rules import OrgType

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def audit(user, **params):
    return client_for(user).get(reverse("admissions:audit"), params)


def names(response) -> list[str]:
    return [r.case.candidate.full_name for r in response.context["rows"]]


def late_decision(world) -> AdmissionCase:
    case = cell_passed_case(world)
    AdmissionCase.objects.filter(pk=case.pk).update(
        state="awaiting_ceremony", decision_date=date(2024, 12, 2)
    )
    return case


def quiet_case(world) -> AdmissionCase:
    """Return a case with no deadline and nothing flagged (stopped before the cell met)."""
    case = dossier_case(world, full_name="Nguyễn Văn Một")
    AdmissionCase.objects.filter(pk=case.pk).update(state="stopped", stop_reason="Rút đơn")
    return case


def exported(response) -> list[tuple]:
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(book.active.iter_rows(values_only=True))


# --- the organisation picker -----------------------------------------------------------------


def test_the_picker_offers_the_top_of_the_scope_and_the_level_under_it(world) -> None:
    orgs = audit(world.staff_a).context["orgs"]
    assert [o.pk for o in orgs] == [world.province_a.pk, world.branch_a.pk]


def test_the_picker_offers_nothing_outside_the_users_scope(world) -> None:
    pks = {o.pk for o in audit(world.staff_b).context["orgs"]}
    assert pks.isdisjoint({world.province_a.pk, world.branch_a.pk, world.cell_a.pk})


def test_the_picker_search_finds_an_organisation_without_accents(world) -> None:
    orgs = audit_selectors.audit_orgs(world.staff_a, "chi bo doi 1")
    assert [o.pk for o in orgs] == [world.cell_a.pk]


def test_the_picker_search_stays_within_the_scope(world) -> None:
    assert audit_selectors.audit_orgs(world.staff_b, "doi 1") == []


def test_the_picker_search_answers_at_most_its_limit(world) -> None:
    for i in range(audit_selectors.SEARCH_LIMIT + 5):
        make_org(f"Chi bộ Tổ {i}", OrgType.CELL, world.branch_a)
    assert (
        len(audit_selectors.audit_orgs(world.staff_a, "chi bo to")) == audit_selectors.SEARCH_LIMIT
    )


def test_the_picker_without_a_search_is_bounded(world) -> None:
    for i in range(audit_selectors.PICKER_LIMIT + 5):
        make_org(f"Đảng bộ {i}", OrgType.GRASSROOTS_BRANCH, world.province_a)
    assert len(audit_selectors.audit_orgs(world.staff_a)) == audit_selectors.PICKER_LIMIT


def test_the_selected_organisation_is_always_in_the_picker(world) -> None:
    orgs = audit(world.staff_a, org=world.cell_a.pk).context["orgs"]
    assert world.cell_a.pk in {o.pk for o in orgs}


def test_the_picker_search_answers_options_for_htmx(world) -> None:
    response = client_for(world.staff_a).get(
        reverse("admissions:audit"), {"picker": "1", "org_q": "doi 1"}, headers={"HX-Request": "1"}
    )
    assert response.content.decode().count("<option") == 2  # "every organisation" + the cell


def test_a_search_naming_one_organisation_filters_without_javascript(world) -> None:
    response = audit(world.staff_a, org_q="Chi bộ Đội 1")
    assert response.context["org"] == world.cell_a


def test_an_organisation_outside_the_scope_answers_404(world) -> None:
    assert audit(world.staff_b, org=world.cell_a.pk).status_code == 404


# --- filters ---------------------------------------------------------------------------------


def test_the_audit_view_filters_by_organisation_subtree(world) -> None:
    dossier_case(world)
    other = make_org("Chi bộ Đội 2", OrgType.CELL, world.branch_a)
    assert names(audit(world.staff_a, org=other.pk)) == []


def test_the_audit_view_filters_by_stage(world) -> None:
    dossier_case(world, full_name="Nguyễn Văn Một")
    cell_passed_case(world)
    assert names(audit(world.staff_a, state="dossier")) == ["Nguyễn Văn Một"]


def test_the_audit_view_keeps_only_violations(world) -> None:
    dossier_case(world, full_name="Nguyễn Văn Một")
    late_decision(world)
    assert names(audit(world.staff_a, flag="violation")) == ["Đỗ Minh Khoa"]


def test_the_audit_view_keeps_only_overdue_cases(world) -> None:
    quiet_case(world)
    cell_passed_case(world)  # decision deadline 01/10/2024 passed
    assert names(audit(world.staff_a, flag="overdue")) == ["Đỗ Minh Khoa"]


def test_the_audit_view_filters_by_the_year_the_case_was_opened(world) -> None:
    case = dossier_case(world)
    AdmissionCase.objects.filter(pk=case.pk).update(opened_on=date(2023, 5, 2))
    dossier_case(world, full_name="Nguyễn Văn Một")
    assert names(audit(world.staff_a, year="2023")) == ["Đỗ Minh Khoa"]


def test_the_year_picker_lists_the_years_cases_were_opened(world) -> None:
    case = dossier_case(world)
    AdmissionCase.objects.filter(pk=case.pk).update(opened_on=date(2023, 5, 2))
    dossier_case(world, full_name="Nguyễn Văn Một")
    assert audit(world.staff_a).context["years"] == [2024, 2023]


def test_an_unknown_flag_or_year_is_ignored(world) -> None:
    dossier_case(world)
    assert names(audit(world.staff_a, flag="nonsense", year="abc")) == ["Đỗ Minh Khoa"]


def test_the_old_flagged_parameter_still_keeps_flagged_cases(world) -> None:
    quiet_case(world)
    late_decision(world)
    assert names(audit(world.staff_a, flagged="1")) == ["Đỗ Minh Khoa"]


# --- export and cost -------------------------------------------------------------------------


def test_the_export_link_carries_the_filters(world) -> None:
    response = audit(world.staff_a, org=world.cell_a.pk, state="dossier", flag="overdue")
    assert response.context["q"].querystring() == (
        f"org={world.cell_a.pk}&state=dossier&flag=overdue"
    )


def test_the_export_follows_the_filters(world) -> None:
    dossier_case(world, full_name="Nguyễn Văn Một")
    late_decision(world)
    response = client_for(world.staff_a).get(
        reverse("admissions:audit_export"), {"flag": "violation"}
    )
    rows = exported(response)
    assert [r[0] for r in rows[1:]] == ["Đỗ Minh Khoa"]


def test_the_export_has_the_to_check_column(world) -> None:
    dossier_case(world)
    rows = exported(client_for(world.staff_a).get(reverse("admissions:audit_export")))
    assert "Cần đối chiếu" in rows[0]


def _audit_queries(world, django_assert_num_queries, n: int) -> None:
    for i in range(n):
        dossier_case(world, full_name=f"Người Thứ {i}")
    client = client_for(world.staff_a)
    client.get(reverse("admissions:audit"))  # warm the session and caches
    with django_assert_num_queries(AUDIT_QUERIES):
        client.get(reverse("admissions:audit"), {"org": world.branch_a.pk, "year": "2024"})


AUDIT_QUERIES = 11  # whatever the number of cases: none is read per case (one narrow flag pass)


def test_the_audit_view_runs_a_fixed_number_of_queries_for_one_case(
    world, django_assert_num_queries
) -> None:
    _audit_queries(world, django_assert_num_queries, 1)


def test_the_audit_view_runs_the_same_number_of_queries_for_six_cases(
    world, django_assert_num_queries
) -> None:
    _audit_queries(world, django_assert_num_queries, 6)
