"""Extending the recognition-decision deadline (rules.md §3.4: 30 wd, extendable by up to 30)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse

from cosodang.accounts.services import create_api_token
from cosodang.admissions import reminders, rules, selectors, services
from cosodang.admissions.config import pack_for, work_calendar
from cosodang.admissions.models import AdmissionCase, CaseEvent, Notification
from cosodang.admissions.rules import State, Step
from cosodang.admissions.selectors import audit as audit_selectors
from cosodang.admissions.tests.builders import (
    RECOGNITION_COMMITTEE,
    RECOGNITION_VOTE,
    recognition_ready_case,
    refresh,
    upload,
)
from cosodang.core.errors import ValidationError
from cosodang.core.models import AuditEvent
from cosodang.core.workdays import add_workdays

pytestmark = pytest.mark.django_db

REASON = "Chờ ý kiến của ban tổ chức cấp trên"


def base_due() -> date:
    days = pack_for(RECOGNITION_VOTE).recognition_decide_wd
    return add_workdays(RECOGNITION_VOTE, days, work_calendar())[0]


def extended_due() -> date:
    pack = pack_for(RECOGNITION_VOTE)
    days = pack.recognition_decide_wd + pack.recognition_extension_wd
    return add_workdays(RECOGNITION_VOTE, days, work_calendar())[0]


def next_workday(day: date) -> date:
    return add_workdays(day, 1, work_calendar())[0]


def cell_recognition_vote(world, case: AdmissionCase, on: date = RECOGNITION_VOTE) -> None:
    services.record_cell_vote(
        actor=world.secretary_a,
        case=case,
        meeting_date=on,
        votes_for=3,
        against=1,
        abstain=0,
        proposal="recognise",
    )


def at_committee(world) -> AdmissionCase:
    """Return a case whose cell proposed recognition on RECOGNITION_VOTE (committee to vote)."""
    case = recognition_ready_case(world)
    cell_recognition_vote(world, case)
    upload(world, refresh(case), "13-KNĐ", day=RECOGNITION_VOTE)
    return refresh(case)


def committee_vote(world, case: AdmissionCase, votes_for: int) -> None:
    services.record_committee_vote(
        actor=world.staff_a,
        case=case,
        meeting_date=RECOGNITION_COMMITTEE,
        eligible=9,
        votes_for=votes_for,
        against=9 - votes_for,
        abstain=0,
    )


def awaiting_recognition(world) -> AdmissionCase:
    case = at_committee(world)
    committee_vote(world, case, 9)
    upload(world, refresh(case), "15-KNĐ", day=RECOGNITION_COMMITTEE)
    return refresh(case)


def extend(world, case: AdmissionCase, reason: str = REASON, days: int = 30) -> AdmissionCase:
    return services.extend_recognition(actor=world.staff_a, case=case, days=days, reason=reason)


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def api_for(user) -> Client:
    _, raw = create_api_token(actor=user, user=user, name="t")
    return Client(headers={"Authorization": f"Bearer {raw}"})


# --- the rules -------------------------------------------------------------------------------


def test_the_extension_is_allowed_only_while_the_recognition_decision_is_awaited() -> None:
    allowed = {s for s in State if Step.EXTEND_RECOGNITION in rules.allowed_steps(s)}
    assert allowed == {State.RECOGNITION_COMMITTEE, State.AWAITING_RECOGNITION}
    for state in allowed:
        assert rules.next_state(state, Step.EXTEND_RECOGNITION) == state


def test_the_extension_is_a_committee_step() -> None:
    assert Step.EXTEND_RECOGNITION in rules.COMMITTEE_STEPS
    assert rules.STEP_LABELS[Step.EXTEND_RECOGNITION].startswith("Gia hạn")


def test_the_deadline_counts_the_extension() -> None:
    pack = pack_for(RECOGNITION_VOTE)
    for state in (State.RECOGNITION_COMMITTEE, State.AWAITING_RECOGNITION):
        dates = rules.CaseDates(
            state=state,
            opened_on=date(2024, 6, 3),
            recognition_resolution=RECOGNITION_VOTE,
            recognition_extension_wd=pack.recognition_extension_wd,
        )
        deadline = rules.next_deadline(dates, pack, work_calendar())
        assert deadline is not None and deadline.due == extended_due()


# --- the service -----------------------------------------------------------------------------


def test_the_extension_moves_the_deadline_by_the_packs_working_days(world) -> None:
    case = at_committee(world)
    pack = pack_for(RECOGNITION_VOTE)
    today = date(2026, 11, 27)
    assert selectors.case_row(case, today).deadline.due == base_due()
    case = extend(world, case)
    case = refresh(case)
    assert case.state == State.RECOGNITION_COMMITTEE
    assert case.recognition_extension_wd == pack.recognition_extension_wd == 30
    assert case.recognition_extension_reason == REASON
    due = add_workdays(base_due(), pack.recognition_extension_wd, work_calendar())[0]
    assert selectors.case_row(case, today).deadline.due == due == extended_due()


def test_the_extension_is_allowed_after_the_committees_resolution(world) -> None:
    case = extend(world, awaiting_recognition(world))
    assert refresh(case).state == State.AWAITING_RECOGNITION
    assert selectors.case_row(refresh(case), date(2026, 11, 27)).deadline.due == extended_due()


def test_the_extension_writes_one_audit_event_and_one_timeline_line(world) -> None:
    case = at_committee(world)
    audits, events = AuditEvent.objects.count(), CaseEvent.objects.count()
    extend(world, case)
    assert AuditEvent.objects.count() == audits + 1
    assert CaseEvent.objects.count() == events + 1
    event = AuditEvent.objects.latest("id")
    assert event.action == "admissions.extend_recognition"
    line = CaseEvent.objects.filter(case=case).latest("id")
    assert line.step == Step.EXTEND_RECOGNITION
    assert REASON in line.summary and "30 ngày làm việc" in line.summary
    assert extended_due().strftime("%d/%m/%Y") in line.summary
    assert (line.from_state, line.to_state) == (State.RECOGNITION_COMMITTEE,) * 2


def test_the_extension_needs_a_reason(world) -> None:
    case = at_committee(world)
    audits = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="Ghi lý do gia hạn"):
        extend(world, case, reason="   ")
    assert refresh(case).recognition_extension_wd == 0
    assert AuditEvent.objects.count() == audits


def test_extensions_beyond_the_packs_cap_are_refused(world) -> None:
    case = extend(world, at_committee(world))
    audits = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="tối đa 30 ngày làm việc"):
        extend(world, refresh(case), reason="Lần nữa", days=1)
    assert refresh(case).recognition_extension_wd == 30
    assert AuditEvent.objects.count() == audits


def test_extensions_add_up_to_the_cap(world) -> None:
    case = extend(world, at_committee(world), days=10)
    case = extend(world, refresh(case), reason="Chờ xác minh thêm", days=20)
    assert case.recognition_extension_wd == 30
    with pytest.raises(ValidationError, match="đã gia hạn 30"):
        extend(world, refresh(case), days=1)


@pytest.mark.parametrize("days", [0, -5, 31])
def test_an_extension_outside_one_to_the_cap_is_refused(world, days: int) -> None:
    case = at_committee(world)
    with pytest.raises(ValidationError, match="tối đa 30"):
        extend(world, case, days=days)
    assert refresh(case).recognition_extension_wd == 0


def test_a_further_extension_is_refused_after_the_committees_resolution(world) -> None:
    case = extend(world, at_committee(world))
    committee_vote(world, refresh(case), 9)
    with pytest.raises(ValidationError, match="tối đa 30"):
        extend(world, refresh(case), days=5)


def test_the_extension_is_refused_in_probation(world) -> None:
    case = recognition_ready_case(world)
    with pytest.raises(ValidationError, match="Không thể"):
        extend(world, case)


def test_a_secretary_cannot_extend(world) -> None:
    case = at_committee(world)
    with pytest.raises(Http404):
        services.extend_recognition(actor=world.secretary_a, case=case, days=30, reason=REASON)


def test_a_new_cell_resolution_starts_a_new_deadline_without_the_old_extension(world) -> None:
    case = extend(world, at_committee(world))
    committee_vote(world, refresh(case), 3)  # not 2/3: back to probation
    assert refresh(case).state == State.PROBATION
    again = RECOGNITION_COMMITTEE + timedelta(days=3)
    cell_recognition_vote(world, refresh(case), again)
    case = refresh(case)
    assert (case.recognition_extension_wd, case.recognition_extension_reason) == (0, "")
    due = add_workdays(again, pack_for(again).recognition_decide_wd, work_calendar())[0]
    assert selectors.case_row(case, date(2026, 11, 27)).deadline.due == due
    extend(world, case)  # the new resolution may be extended once in its turn
    assert refresh(case).recognition_extension_wd == 30


# --- overdue, violations: the flag pass agrees with case_row ---------------------------------


def flags_and_row(world, case: AdmissionCase, today: date):
    flags = dict(audit_selectors.audit_flags(world.staff_a, today=today))[case.pk]
    row = selectors.case_row(selectors.case_queryset().get(pk=case.pk), today)
    assert row.flags == flags
    return flags


def test_the_extension_lifts_the_overdue_flag(world) -> None:
    case = at_committee(world)
    day_after = next_workday(base_due())
    assert not flags_and_row(world, case, base_due()).overdue
    assert flags_and_row(world, case, day_after).overdue
    extend(world, case)
    assert not flags_and_row(world, case, day_after).overdue
    assert not flags_and_row(world, case, extended_due()).overdue
    assert flags_and_row(world, case, next_workday(extended_due())).overdue


def test_a_decision_within_the_extension_is_no_violation(world) -> None:
    case = awaiting_recognition(world)
    within = next_workday(base_due())
    services.recognise(actor=world.staff_a, case=case, decision_date=within)
    today = date(2026, 11, 27)
    assert flags_and_row(world, case, today).violation
    AdmissionCase.objects.filter(pk=case.pk).update(recognition_extension_wd=30)
    assert not flags_and_row(world, case, today).violation
    AdmissionCase.objects.filter(pk=case.pk).update(
        final_decision_date=next_workday(extended_due())
    )
    assert flags_and_row(world, case, today).violation
    row = selectors.case_row(selectors.case_queryset().get(pk=case.pk), today)
    assert any("30 ngày gia hạn" in v for v in row.violations)


# --- reminders -------------------------------------------------------------------------------


def test_the_reminder_names_the_extended_deadline(world) -> None:
    case = extend(world, at_committee(world))
    reminders.send_reminders(today=extended_due() - timedelta(days=1))
    dues = set(Notification.objects.filter(case=case).values_list("due", flat=True))
    assert dues == {extended_due()}


# --- pages and API ---------------------------------------------------------------------------


def test_the_case_page_offers_the_extension_to_the_committee_only(world) -> None:
    case = at_committee(world)
    url = reverse("admissions:case", args=[case.pk])
    staff = [s for s, _, _ in client_for(world.staff_a).get(url).context["step_forms"]]
    secretary = [s for s, _, _ in client_for(world.secretary_a).get(url).context["step_forms"]]
    assert "extend-recognition" in staff and "extend-recognition" not in secretary


def test_the_extension_through_the_page_shows_the_extended_deadline(world) -> None:
    case = at_committee(world)
    client = client_for(world.staff_a)
    response = client.post(
        reverse("admissions:step", args=[case.pk, "extend-recognition"]),
        {"days": 30, "reason": REASON},
    )
    assert response.status_code == 302
    page = client.get(reverse("admissions:case", args=[case.pk]))
    html = page.content.decode()
    assert extended_due().strftime("%d/%m/%Y") in html
    assert base_due().strftime("%d/%m/%Y") not in html
    assert REASON in html  # on the timeline
    assert page.context["row"].deadline.due == extended_due()
    assert "extend-recognition" in [s for s, _, _ in page.context["step_forms"]]


def test_the_page_without_a_reason_shows_the_error(world) -> None:
    case = at_committee(world)
    response = client_for(world.staff_a).post(
        reverse("admissions:step", args=[case.pk, "extend-recognition"]),
        {"days": 30, "reason": ""},
    )
    assert response.status_code == 200
    assert refresh(case).recognition_extension_wd == 0


def test_the_board_shows_the_extended_deadline(world) -> None:
    extend(world, at_committee(world))
    response = client_for(world.staff_a).get(reverse("admissions:board"))
    column = next(c for c in response.context["columns"] if c.state == "recognition_committee")
    assert column.rows[0].deadline.due == extended_due()


def step_body(reason: str = REASON, days: int = 30) -> str:
    return json.dumps(
        {"step": "extend_recognition", "on": "2025-09-15", "days": days, "reason": reason}
    )


def test_the_api_extends_the_recognition_deadline(world) -> None:
    case = at_committee(world)
    response = api_for(world.staff_a).post(
        f"/api/v1/admissions/cases/{case.pk}/steps",
        data=step_body(),
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["next_deadline"] == extended_due().isoformat()
    assert body["timeline"][-1]["step"] == "extend_recognition"
    assert refresh(case).recognition_extension_wd == 30


def test_the_api_refuses_a_second_extension(world) -> None:
    case = extend(world, at_committee(world))
    response = api_for(world.staff_a).post(
        f"/api/v1/admissions/cases/{case.pk}/steps",
        data=step_body("Lần nữa"),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "tối đa 30" in json.dumps(response.json(), ensure_ascii=False)


def test_the_api_extension_out_of_scope_answers_404(world) -> None:
    case = at_committee(world)
    for user in (world.staff_b, world.secretary_a):
        response = api_for(user).post(
            f"/api/v1/admissions/cases/{case.pk}/steps",
            data=step_body(),
            content_type="application/json",
        )
        assert response.status_code == 404
    assert refresh(case).recognition_extension_wd == 0
