"""Decisions, ceremony, probation, recognition, removal, stopping a case."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from cosodang.core import audit
from cosodang.core.access import Action, require
from cosodang.core.errors import ValidationError
from cosodang.core.vn import format_date
from cosodang.members import services as member_services
from cosodang.members.models import Member
from cosodang.members.rules import MemberStatus

from .. import rules
from ..config import pack_for, work_calendar
from ..models import (
    AdmissionCase,
    Notification,
    ProbationNote,
)
from ..rules import Refusal, State, Step
from ._common import (
    _audit,
    _check_documents,
    _check_state,
    _event,
    _lock,
    _move,
    _not_future,
    _require_step,
    refuse,
)


@transaction.atomic
def extend_decision(*, actor: Any, case: AdmissionCase, days: int, reason: str) -> AdmissionCase:
    """Extend the admission-decision deadline (special cases, with a reason, within the cap)."""
    case = _lock(case)
    _require_step(actor, case, Step.EXTEND_DECISION)
    _check_state(case, Step.EXTEND_DECISION)
    assert case.cell_resolution_date is not None
    pack = pack_for(case.cell_resolution_date)
    if not reason.strip():
        raise ValidationError({"reason": ["Ghi lý do gia hạn."]})
    if days <= 0 or case.decision_extension_wd + days > pack.decision_extension_wd:
        refuse(
            [
                Refusal(
                    f"Chỉ được gia hạn tổng cộng tối đa {pack.decision_extension_wd} ngày làm việc "
                    f"(đã gia hạn {case.decision_extension_wd}).",
                    rules.SRC_DECISION,
                    "days",
                )
            ]
        )
    case.decision_extension_wd += days
    case.decision_extension_reason = reason.strip()
    return _move(
        actor,
        case,
        Step.EXTEND_DECISION,
        on=None,
        summary=f"Gia hạn {days} ngày làm việc: {reason.strip()}",
        fields=["decision_extension_wd", "decision_extension_reason"],
    )


@transaction.atomic
def extend_recognition(*, actor: Any, case: AdmissionCase, days: int, reason: str) -> AdmissionCase:
    """Extend the recognition-decision deadline (with a reason, in all within the pack's cap)."""
    case = _lock(case)
    _require_step(actor, case, Step.EXTEND_RECOGNITION)
    _check_state(case, Step.EXTEND_RECOGNITION)
    assert case.recognition_resolution_date is not None
    pack = pack_for(case.recognition_resolution_date)
    if not reason.strip():
        raise ValidationError({"reason": ["Ghi lý do gia hạn."]})
    cap = pack.recognition_extension_wd
    if days <= 0 or case.recognition_extension_wd + days > cap:
        refuse(
            [
                Refusal(
                    f"Chỉ được gia hạn quyết định công nhận chính thức tổng cộng tối đa {cap} "
                    f"ngày làm việc (đã gia hạn {case.recognition_extension_wd}).",
                    rules.SRC_DECISION,
                    "days",
                )
            ]
        )
    case.recognition_extension_wd += days
    case.recognition_extension_reason = reason.strip()
    due = rules.recognition_decide_deadline(
        case.recognition_resolution_date, pack, case.recognition_extension_wd, work_calendar()
    )
    return _move(
        actor,
        case,
        Step.EXTEND_RECOGNITION,
        on=None,
        summary=f"Gia hạn quyết định công nhận chính thức {days} ngày làm việc "
        f"(hạn mới {format_date(due)}): {reason.strip()}",
        fields=["recognition_extension_wd", "recognition_extension_reason"],
    )


@transaction.atomic
def decide_admission(
    *,
    actor: Any,
    case: AdmissionCase,
    decision_date: date,
    decision_number: str,
    received_date: date,
) -> AdmissionCase:
    """Record the admission decision (9-KNĐ) and create the member record (Party age starts)."""
    case = _lock(case)
    _require_step(actor, case, Step.DECIDE_ADMISSION)
    _check_state(case, Step.DECIDE_ADMISSION)
    _not_future(decision_date, "decision_date", "Ngày quyết định")
    _not_future(received_date, "received_date", "Ngày nhận quyết định")
    refuse(
        rules.check_order(
            case.committee_resolution_date,
            decision_date,
            "ngày nghị quyết đảng ủy",
            "Ngày quyết định kết nạp",
        )
        + rules.check_order(
            decision_date, received_date, "ngày quyết định", "Ngày chi bộ nhận quyết định"
        )
    )
    if not decision_number.strip():
        raise ValidationError({"decision_number": ["Ghi số quyết định kết nạp."]})
    _check_documents(case, Step.DECIDE_ADMISSION)
    cand = case.candidate
    member = member_services.create_member(
        actor=actor,
        org=case.org,
        data={
            "full_name": cand.full_name,
            "sex": cand.sex,
            "birth_date": cand.birth_date,
            "ethnicity": cand.ethnicity,
            "religion": cand.religion,
            "general_education": cand.general_education,
            "work_unit": cand.work_unit,
            "decision_date": rules.party_age_start(decision_date),
            "status": MemberStatus.PROBATIONARY,
            "status_date": decision_date,
        },
    )
    case.member = member
    case.decision_date = decision_date
    case.decision_number = decision_number.strip()
    case.decision_received_date = received_date
    deadline = rules.decision_deadline(
        case.cell_resolution_date or decision_date,
        pack_for(decision_date),
        case.decision_extension_wd,
        work_calendar(),
    )
    summary = f"Quyết định kết nạp số {case.decision_number} ngày {format_date(decision_date)}"
    if decision_date > deadline:
        summary += f" — QUÁ HẠN (hạn {format_date(deadline)}, {rules.SRC_DECISION})"
    return _move(
        actor,
        case,
        Step.DECIDE_ADMISSION,
        on=decision_date,
        summary=summary,
        fields=["member", "decision_date", "decision_number", "decision_received_date"],
    )


@transaction.atomic
def hold_ceremony(
    *, actor: Any, case: AdmissionCase, ceremony_date: date, late_approval: str = ""
) -> AdmissionCase:
    """Record the admission ceremony: probation starts, the member record gets its date."""
    case = _lock(case)
    _require_step(actor, case, Step.HOLD_CEREMONY)
    _check_state(case, Step.HOLD_CEREMONY)
    _not_future(ceremony_date, "ceremony_date", "Ngày lễ kết nạp")
    refuse(
        rules.check_order(
            case.decision_received_date,
            ceremony_date,
            "ngày nhận quyết định kết nạp",
            "Ngày lễ kết nạp",
        )
    )
    _check_documents(case, Step.HOLD_CEREMONY)
    assert case.decision_received_date is not None and case.member is not None
    deadline = rules.ceremony_deadline(
        case.decision_received_date, pack_for(case.decision_received_date), work_calendar()
    )
    if ceremony_date > deadline and not late_approval.strip():
        refuse(
            [
                Refusal(
                    f"Lễ kết nạp phải tổ chức trong 30 ngày làm việc kể từ ngày nhận quyết định "
                    f"(hạn {format_date(deadline)}); tổ chức muộn hơn phải báo cáo và được cấp "
                    "ủy cấp trên trực tiếp đồng ý: ghi văn bản đồng ý.",
                    rules.SRC_CEREMONY,
                    "late_approval",
                )
            ]
        )
    member_services.update_member(
        actor=actor, member=case.member, data={"ceremony_date": ceremony_date}
    )
    case.ceremony_date = ceremony_date
    case.late_ceremony_approval = late_approval.strip()
    end = rules.probation_end(ceremony_date, pack_for(ceremony_date))
    return _move(
        actor,
        case,
        Step.HOLD_CEREMONY,
        on=ceremony_date,
        summary=f"Lễ kết nạp ngày {format_date(ceremony_date)}; dự bị đến {format_date(end)}",
        fields=["ceremony_date", "late_ceremony_approval"],
    )


PROBATION_STATES = (State.AWAITING_CEREMONY, State.PROBATION)


@transaction.atomic
def assign_helper(*, actor: Any, case: AdmissionCase, helper: Member) -> AdmissionCase:
    """Assign the official member who helps the probationary member."""
    case = _lock(case)
    require(actor, Action.MANAGE_ADMISSION, case.org)
    if case.state not in PROBATION_STATES:
        refuse([Refusal("Chỉ phân công giúp đỡ trong thời kỳ dự bị.", rules.SRC_PROBATION)])
    helper = Member.objects.get(pk=helper.pk)
    if helper.status not in (MemberStatus.OFFICIAL, MemberStatus.EXEMPTED):
        refuse(
            [Refusal(f"{helper} không phải đảng viên chính thức.", rules.SRC_PROBATION, "helper")]
        )
    if not helper.org_path.startswith(case.org.path) or helper.pk == case.member_id:
        raise ValidationError(
            {"helper": ["Người giúp đỡ phải là đảng viên chính thức của chi bộ."]}
        )
    before = audit.snapshot(case, ["helper"])
    case.helper = helper
    case.save(update_fields=["helper", "updated_at"])
    _event(actor, case, f"Phân công đảng viên giúp đỡ: {helper}")
    _audit(
        actor,
        "assign_helper",
        case,
        case.org_path,
        audit.diff(before, audit.snapshot(case, ["helper"])),
    )
    return case


@transaction.atomic
def add_probation_note(*, actor: Any, case: AdmissionCase, day: date, text: str) -> ProbationNote:
    """Add a dated note on the probationary member's progress."""
    case = _lock(case)
    require(actor, Action.MANAGE_ADMISSION, case.org)
    if case.state not in (State.PROBATION, State.RECOGNITION_COMMITTEE, State.ESCALATED):
        refuse([Refusal("Chỉ ghi nhận xét trong thời kỳ dự bị.", rules.SRC_PROBATION)])
    _not_future(day, "day", "Ngày ghi")
    refuse(rules.check_order(case.ceremony_date, day, "ngày lễ kết nạp", "Ngày ghi"))
    note = ProbationNote(
        case=case, date=day, text=text.strip(), author=actor if getattr(actor, "pk", None) else None
    )
    note.full_clean(exclude=["case", "author"])
    note.save()
    _event(actor, case, "Ghi nhận xét thời kỳ dự bị", on=day)
    _audit(actor, "add_probation_note", note, case.org_path, audit.diff({}, audit.snapshot(note)))
    return note


@transaction.atomic
def recognise(*, actor: Any, case: AdmissionCase, decision_date: date) -> AdmissionCase:
    """Recognise the member as official from the exact end of probation, however late."""
    case = _lock(case)
    _require_step(actor, case, Step.RECOGNISE)
    _check_state(case, Step.RECOGNISE)
    _not_future(decision_date, "decision_date", "Ngày quyết định")
    assert case.ceremony_date is not None and case.member is not None
    end = rules.probation_end(case.ceremony_date, pack_for(case.ceremony_date))
    refuse(
        rules.check_order(
            end, decision_date, "ngày hết 12 tháng dự bị", "Ngày quyết định công nhận"
        )
        + rules.check_order(
            case.recognition_committee_date,
            decision_date,
            "ngày nghị quyết đảng ủy",
            "Ngày quyết định công nhận",
        )
    )
    if case.state == State.AWAITING_RECOGNITION:
        _check_documents(case, Step.RECOGNISE)
    member_services.update_member(
        actor=actor,
        member=case.member,
        data={"status": MemberStatus.OFFICIAL, "official_date": end, "status_date": end},
    )
    case.official_date = end
    case.final_decision_date = decision_date
    return _move(
        actor,
        case,
        Step.RECOGNISE,
        on=decision_date,
        summary=f"Công nhận đảng viên chính thức từ ngày {format_date(end)} "
        f"(quyết định ngày {format_date(decision_date)})",
        fields=["official_date", "final_decision_date"],
    )


@transaction.atomic
def remove_from_list(
    *, actor: Any, case: AdmissionCase, decision_date: date, reason: str
) -> AdmissionCase:
    """Remove a probationary member who does not qualify from the list (not a penalty)."""
    case = _lock(case)
    _require_step(actor, case, Step.REMOVE)
    _check_state(case, Step.REMOVE)
    _not_future(decision_date, "decision_date", "Ngày quyết định")
    if not reason.strip():
        raise ValidationError({"reason": ["Ghi lý do xóa tên."]})
    assert case.member is not None
    refuse(
        rules.check_order(
            case.ceremony_date, decision_date, "ngày lễ kết nạp", "Ngày quyết định xóa tên"
        )
    )
    member_services.update_member(
        actor=actor,
        member=case.member,
        data={"status": MemberStatus.REMOVED, "status_date": decision_date},
    )
    case.final_decision_date = decision_date
    case.stop_reason = reason.strip()
    case.stopped_on = decision_date
    return _move(
        actor,
        case,
        Step.REMOVE,
        on=decision_date,
        summary=f"Xóa tên khỏi danh sách đảng viên: {reason.strip()} ({rules.SRC_REMOVAL})",
        fields=["final_decision_date", "stop_reason", "stopped_on"],
    )


@transaction.atomic
def stop_case(*, actor: Any, case: AdmissionCase, on: date, reason: str) -> AdmissionCase:
    """Stop a case before the admission decision (withdrawn, no longer qualifies…)."""
    case = _lock(case)
    _require_step(actor, case, Step.STOP)
    _check_state(case, Step.STOP)
    _not_future(on, "on", "Ngày dừng")
    if not reason.strip():
        raise ValidationError({"reason": ["Ghi lý do dừng xét."]})
    case.stop_reason = reason.strip()
    case.stopped_on = on
    return _move(
        actor,
        case,
        Step.STOP,
        on=on,
        summary=f"Dừng xét: {reason.strip()}",
        fields=["stop_reason", "stopped_on"],
    )


@transaction.atomic
def mark_notification_read(*, actor: Any, notification: Notification) -> None:
    """Mark one of the user's own reminders as read."""
    if notification.user_id != getattr(actor, "pk", None):
        raise ValidationError({"__all__": ["Không tìm thấy"]})
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    audit.record(
        actor=actor,
        action="admissions.mark_notification_read",
        obj=notification,
        org_path=notification.org_path,
        changes={"read": [False, True]},
    )
