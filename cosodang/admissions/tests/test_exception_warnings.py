"""Exceptions to the age and education conditions are put before the auditor.

Over 60 (in full months) or below lower-secondary education, the cell may only consider an
applicant on a recorded exception (rules.md §3.1). Once the cell's resolution relied on one, the
case is "to check by hand": the audit view flags it, names the exception and the rule, and the
export's «Cần đối chiếu» column carries it, like a committee size typed in.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from cosodang.admissions import rules, services
from cosodang.admissions.config import pack_for
from cosodang.admissions.models import AdmissionCase
from cosodang.admissions.selectors import audit as audit_selectors
from cosodang.admissions.selectors import case_queryset, case_row
from cosodang.admissions.tests.builders import CELL_VOTE, refresh, submitted_case

pytestmark = pytest.mark.django_db

DECISION_TEXT = "QĐ 12-QĐ/ĐUCA ngày 03/6/2024 của Đảng ủy Công an Trung ương"
EDUCATION_TEXT = "Người dân tộc thiểu số ở vùng đặc biệt khó khăn (HD 12-HD/BTCTW)"
TODAY = date(2024, 7, 10)


def considered(world, **candidate) -> AdmissionCase:
    case = submitted_case(world, **candidate)
    services.record_cell_vote(
        actor=world.secretary_a,
        case=case,
        meeting_date=CELL_VOTE,
        votes_for=4,
        against=0,
        abstain=0,
    )
    return refresh(case)


def row(case: AdmissionCase):
    return case_row(case_queryset().get(pk=case.pk), TODAY)


@pytest.mark.parametrize(
    ("birth", "education", "age_text", "education_text", "expected"),
    [
        (date(1960, 1, 1), "12/12", DECISION_TEXT, "", ["tuổi"]),
        (date(1990, 1, 1), "12/12", DECISION_TEXT, "", []),  # not over 60: nothing relied on
        (date(1960, 1, 1), "12/12", "", "", []),  # no exception text: the vote refused it
        (date(1990, 1, 1), "7/12", "", EDUCATION_TEXT, ["Trình độ"]),
        (date(1990, 1, 1), "9/12", "", EDUCATION_TEXT, []),  # at the minimum already
        (date(1960, 1, 1), "7/12", DECISION_TEXT, EDUCATION_TEXT, ["tuổi", "Trình độ"]),
    ],
)
def test_the_rule_names_only_the_exceptions_relied_on(
    birth: date, education: str, age_text: str, education_text: str, expected: list[str]
) -> None:
    out = rules.exceptions_relied_on(
        birth, education, age_text, education_text, CELL_VOTE, pack_for(CELL_VOTE)
    )
    assert len(out) == len(expected)
    assert all(word in text for word, text in zip(expected, out, strict=True))


def test_an_admission_over_sixty_on_a_decision_is_to_check(world) -> None:
    case = considered(world, birth_date=date(1960, 1, 1), age_exception=DECISION_TEXT)
    line = row(case)
    assert any(DECISION_TEXT in w and rules.SRC_AGE in w for w in line.warnings)
    assert line.flags.typed and line.flagged


def test_an_education_exception_relied_on_is_to_check(world) -> None:
    case = considered(world, general_education="7/12", education_exception=EDUCATION_TEXT)
    assert any(EDUCATION_TEXT in w for w in row(case).warnings)


def test_nothing_is_to_check_before_the_cell_considered_the_applicant(world) -> None:
    case = submitted_case(world, birth_date=date(1960, 1, 1), age_exception=DECISION_TEXT)
    assert row(case).warnings == []


def test_the_flag_pass_agrees_with_the_case_row(world) -> None:
    over = considered(world, birth_date=date(1960, 1, 1), age_exception=DECISION_TEXT)
    flags = dict(audit_selectors.audit_flags(world.staff_a, today=TODAY))
    assert flags[over.pk] == row(over).flags
    kept = audit_selectors.audit_flags(
        world.staff_a, audit_selectors.AuditFilters(flag=audit_selectors.Flag.TYPED), TODAY
    )
    assert [pk for pk, _ in kept] == [over.pk]


def test_an_exception_text_not_relied_on_is_not_kept_by_the_filter(world) -> None:
    young = considered(world, birth_date=date(1990, 1, 1), age_exception=DECISION_TEXT)
    kept = audit_selectors.audit_flags(
        world.staff_a, audit_selectors.AuditFilters(flag=audit_selectors.Flag.TYPED), TODAY
    )
    assert young.pk not in [pk for pk, _ in kept]


def test_the_audit_view_and_its_export_name_the_exception(world) -> None:
    considered(world, birth_date=date(1960, 1, 1), age_exception=DECISION_TEXT)
    client = Client()
    client.force_login(world.staff_a)
    page = client.get(reverse("admissions:audit"), {"flag": "typed"})
    assert DECISION_TEXT in page.content.decode()
    response = client.get(reverse("admissions:audit_export"), {"flag": "typed"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index("Cần đối chiếu")
    assert DECISION_TEXT in rows[1][column]
