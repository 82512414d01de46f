"""Reads of the admission pipeline; every selector starts from the actor's visible scope."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from cosodang.core.access import Action, get_for, visible_to
from cosodang.core.vn import format_date
from cosodang.core.workdays import workdays_between
from cosodang.orgs.models import PartyOrg

from .. import rules
from ..config import RulePack, pack_for, work_calendar
from ..models import OPEN_STATES, AdmissionCase, Candidate, CaseEvent, Document, Notification, Vote
from ..rules import State, Step

# The step form to open from the board, by state (the anchor on the case page).
NEXT_STEP: dict[State, tuple[str, str]] = {
    State.DOSSIER: ("dossier", "Hoàn thiện hồ sơ, trình chi bộ"),
    State.CELL_REVIEW: ("cell-vote", "Ghi kết quả chi bộ biểu quyết"),
    State.BRANCH_APPRAISAL: ("branch", "Ghi thẩm định của đảng ủy bộ phận"),
    State.COMMITTEE_REVIEW: ("committee-vote", "Ghi kết quả đảng ủy biểu quyết"),
    State.AWAITING_DECISION: ("decision", "Ghi quyết định kết nạp"),
    State.AWAITING_CEREMONY: ("ceremony", "Ghi lễ kết nạp"),
    State.PROBATION: ("cell-vote", "Chi bộ xét công nhận chính thức"),
    State.RECOGNITION_COMMITTEE: ("committee-vote", "Đảng ủy xét công nhận"),
    State.AWAITING_RECOGNITION: ("recognise", "Ghi quyết định công nhận"),
    State.REMOVAL_PROPOSED: ("remove", "Ghi quyết định xóa tên"),
    State.ESCALATED: ("recognise", "Cấp ủy cấp trên quyết định"),
}
# The step whose documents a state is waiting for.
WAITING_STEP: dict[State, Step] = {
    State.DOSSIER: Step.SUBMIT_DOSSIER,
    State.CELL_REVIEW: Step.CELL_VOTE_PASSED,
    State.BRANCH_APPRAISAL: Step.BRANCH_APPRAISED,
    State.COMMITTEE_REVIEW: Step.COMMITTEE_VOTE_PASSED,
    State.AWAITING_DECISION: Step.DECIDE_ADMISSION,
    State.AWAITING_CEREMONY: Step.HOLD_CEREMONY,
    State.PROBATION: Step.RECOGNITION_VOTE_PASSED,
    State.RECOGNITION_COMMITTEE: Step.RECOGNITION_COMMITTEE_PASSED,
    State.AWAITING_RECOGNITION: Step.RECOGNISE,
}


@dataclass(frozen=True)
class CaseFlags:
    """What the audit view flags on a case, computed without building its CaseRow."""

    violation: bool
    overdue: bool
    typed: bool

    @property
    def flagged(self) -> bool:
        return self.violation or self.overdue or self.typed


@dataclass
class CaseRow:
    """One case as shown on the board and the audit view, with what it is waiting for."""

    case: AdmissionCase
    missing: list[str]
    deadline: rules.Deadline | None
    days_left: int | None
    urgent: bool
    overdue: bool
    step_anchor: str
    step_label: str
    violations: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return bool(self.violations or self.overdue or self.warnings)

    @property
    def flags(self) -> CaseFlags:
        return CaseFlags(bool(self.violations), self.overdue, bool(self.warnings))

    @property
    def overdue_days(self) -> int:
        return -self.days_left if self.days_left is not None and self.days_left < 0 else 0


def case_queryset() -> QuerySet[AdmissionCase]:
    return AdmissionCase.objects.select_related("candidate", "org", "org__parent").prefetch_related(
        Prefetch("documents", queryset=Document.objects.only("id", "case_id", "code", "doc_date")),
        "introducers",
        Prefetch("votes", queryset=Vote.objects.order_by("meeting_date", "id")),
    )


def list_cases(
    actor: Any,
    *,
    org: PartyOrg | None = None,
    state: str = "",
    year: int | None = None,
    open_only: bool = False,
    action: Action = Action.VIEW_ADMISSION,
) -> QuerySet[AdmissionCase]:
    """Return the cases the actor may see, optionally within an organisation's subtree."""
    qs = visible_to(actor, case_queryset(), action)
    if org is not None:
        qs = qs.filter(org_path__startswith=org.path)
    if state:
        qs = qs.filter(state=state)
    if year is not None:
        qs = qs.filter(opened_on__gte=date(year, 1, 1), opened_on__lt=date(year + 1, 1, 1))
    if open_only:
        qs = qs.filter(state__in=OPEN_STATES)
    return qs.order_by("org_path", "candidate__sort_key", "id")


def get_case(actor: Any, pk: int, action: Action = Action.VIEW_ADMISSION) -> AdmissionCase:
    """Return one case the actor may see, or 404."""
    return get_for(
        actor,
        AdmissionCase.objects.select_related(
            "candidate", "org", "org__parent", "member", "helper", "candidate__follower"
        ),
        action,
        pk=pk,
    )


def get_candidate(actor: Any, pk: int, action: Action = Action.VIEW_ADMISSION) -> Candidate:
    """Return one candidate the actor may see, or 404."""
    return get_for(actor, Candidate.objects.select_related("org", "follower"), action, pk=pk)


def list_candidates(actor: Any, *, without_open_case: bool = False) -> QuerySet[Candidate]:
    """Return the candidate pool in the actor's scope."""
    qs = visible_to(
        actor, Candidate.objects.select_related("org", "follower"), Action.VIEW_ADMISSION
    )
    if without_open_case:
        qs = qs.exclude(cases__state__in=OPEN_STATES)
    return qs.order_by("org_path", "sort_key", "id")


def get_document(actor: Any, pk: int) -> Document:
    """Return one document the actor may see, or 404."""
    return get_for(actor, Document.objects.select_related("case"), Action.VIEW_ADMISSION, pk=pk)


def _stale_docs(case: AdmissionCase) -> tuple[tuple[str, date], ...]:
    latest: dict[str, date] = {}
    for d in case.documents.all():
        if d.code in rules.STALE_CODES:
            latest[d.code] = max(d.doc_date, latest.get(d.code, d.doc_date))
    return tuple(latest.items())


def case_dates(
    case: AdmissionCase, stale: tuple[tuple[str, date], ...] | None = None
) -> rules.CaseDates:
    """Return the dates a case's deadlines count from (`stale`: its latest 3/4/5-KNĐ dates)."""
    return rules.CaseDates(
        state=State(case.state),
        opened_on=case.opened_on,
        cell_resolution=case.cell_resolution_date,
        decision_extension_wd=case.decision_extension_wd,
        decision_received=case.decision_received_date,
        ceremony=case.ceremony_date,
        recognition_resolution=case.recognition_resolution_date,
        recognition_extension_wd=case.recognition_extension_wd,
        stale_documents=_stale_docs(case) if stale is None else stale,
        cert_date=case.cert_date,
    )


def _has_branch(case: AdmissionCase) -> bool:
    parent = case.org.parent
    return parent is not None and parent.org_type == "sub_branch"


def case_missing(case: AdmissionCase) -> list[str]:
    """Return what the case still lacks for its next step (documents, introducers, helper)."""
    state = State(case.state)
    step = WAITING_STEP.get(state)
    if step is None:
        return []
    intros = list(case.introducers.all())
    union = any(i.kind != rules.IntroducerKind.MEMBER for i in intros)
    codes = {d.code for d in case.documents.all()}
    out = rules.missing_documents(step, codes, has_branch=_has_branch(case), union_introducer=union)
    if state == State.DOSSIER:
        if len(intros) < 2:
            out.append("người giới thiệu")
        if not case.cert_number:
            out.append("số giấy chứng nhận")
    if state == State.PROBATION and case.helper_id is None:
        out.append("người giúp đỡ")
    return out


DueRule = Callable[..., date]


def _due(rule: DueRule, start: date, pack: RulePack, *extra: int) -> date:
    return rule(start, pack, *extra, work_calendar())


class DueMemo:
    """A deadline rule's answer remembered for one pass over many cases, which share dates."""

    def __init__(self) -> None:
        self.seen: dict[tuple[DueRule, date, str, tuple[int, ...]], date] = {}

    def __call__(self, rule: DueRule, start: date, pack: RulePack, *extra: int) -> date:
        key = (rule, start, pack.code, extra)
        if key not in self.seen:
            self.seen[key] = _due(rule, start, pack, *extra)
        return self.seen[key]


def case_violations(case: AdmissionCase, today: date, due: DueRule = _due) -> list[str]:
    """Return the rule breaches visible in a case's recorded dates (for superiors).

    `due(rule, start, pack, *extra)` answers the deadline rule (a DueMemo in a long pass).
    """
    out: list[str] = []
    if case.cell_resolution_date and case.decision_date:
        pack = pack_for(case.cell_resolution_date)
        limit = due(
            rules.decision_deadline, case.cell_resolution_date, pack, case.decision_extension_wd
        )
        if case.decision_date > limit:
            out.append(
                f"Quyết định kết nạp quá hạn {pack.decision_deadline_wd} ngày làm việc "
                f"({rules.SRC_DECISION})"
            )
    if case.decision_received_date and case.ceremony_date:
        pack = pack_for(case.decision_received_date)
        limit = due(rules.ceremony_deadline, case.decision_received_date, pack)
        if case.ceremony_date > limit:
            note = "có văn bản đồng ý" if case.late_ceremony_approval else "không có văn bản đồng ý"
            out.append(
                f"Lễ kết nạp quá {pack.ceremony_deadline_wd} ngày làm việc, {note} "
                f"({rules.SRC_CEREMONY})"
            )
    if case.ceremony_date and case.recognition_resolution_date:
        pack = pack_for(case.ceremony_date)
        limit = due(rules.recognition_consider_deadline, case.ceremony_date, pack)
        if case.recognition_resolution_date > limit:
            out.append(
                f"Chi bộ xét công nhận quá {pack.recognition_consider_wd} ngày làm việc sau khi "
                f"hết dự bị ({rules.SRC_RECOGNITION})"
            )
    if (
        case.recognition_resolution_date
        and case.final_decision_date
        and case.state == State.OFFICIAL
    ):
        pack = pack_for(case.recognition_resolution_date)
        extension = case.recognition_extension_wd
        limit = due(
            rules.recognition_decide_deadline, case.recognition_resolution_date, pack, extension
        )
        if case.final_decision_date > limit:
            extended = f" và {extension} ngày gia hạn" if extension else ""
            out.append(
                f"Quyết định công nhận quá {pack.recognition_decide_wd} ngày làm việc{extended} "
                f"({rules.SRC_RECOGNITION})"
            )
    if case.failed_probation_votes >= 1 and case.state == State.ESCALATED:
        out.append(
            f"Biểu quyết {case.failed_probation_votes} lần không đủ 2/3 ({rules.SRC_ESCALATION})"
        )
    return out


def exception_warnings(case: AdmissionCase) -> list[str]:
    """Return the age or education exceptions the cell's resolution relied on (rules)."""
    on = case.cell_resolution_date
    if on is None:
        return []
    cand = case.candidate
    return rules.exceptions_relied_on(
        cand.birth_date,
        cand.general_education,
        cand.age_exception,
        cand.education_exception,
        on,
        pack_for(on),
    )


def case_warnings(case: AdmissionCase) -> list[str]:
    """Return what an auditor should check by hand: committee sizes typed in, not counted,
    and the exceptions to the age or education conditions the admission relied on."""
    typed = [
        f"{v.get_kind_display()} ngày {format_date(v.meeting_date)}: số cấp ủy viên "
        f"({v.eligible}) nhập tay vì sổ đảng viên chưa có cấp ủy, chưa đối chiếu được "
        f"({rules.SRC_COMMITTEE_VOTE})"
        for v in case.votes.all()
        if v.eligible_typed
    ]
    return typed + exception_warnings(case)


def case_row(case: AdmissionCase, today: date) -> CaseRow:
    """Return the board line of a case: what it lacks, its deadline, how close it is."""
    state = State(case.state)
    deadline = None
    days_left = None
    if case.is_open:
        deadline = rules.next_deadline(case_dates(case), pack_for(case.opened_on), work_calendar())
    if deadline is not None:
        days_left = workdays_between(today, deadline.due, work_calendar())
    warn = pack_for(today).warning_wd
    anchor, label = NEXT_STEP.get(state, ("timeline", "Xem diễn biến"))
    return CaseRow(
        case=case,
        missing=case_missing(case) if case.is_open else [],
        deadline=deadline,
        days_left=days_left,
        urgent=days_left is not None and days_left <= warn,
        overdue=days_left is not None and days_left < 0,
        step_anchor=anchor,
        step_label=label,
        violations=case_violations(case, today),
        warnings=case_warnings(case),
    )


@dataclass
class BoardColumn:
    """One stage of the board with its cases."""

    state: State
    label: str
    rows: list[CaseRow]


def board(actor: Any, today: date | None = None) -> list[BoardColumn]:
    """Return the actor's open cases grouped by stage, most urgent first within a stage."""
    today = today or timezone.localdate()
    rows = [case_row(c, today) for c in list_cases(actor, open_only=True)]
    by_state: dict[State, list[CaseRow]] = defaultdict(list)
    for row in rows:
        by_state[State(row.case.state)].append(row)
    columns = []
    for state in rules.BOARD_STATES:
        items = sorted(
            by_state.get(state, []),
            key=lambda r: (r.days_left is None, r.days_left if r.days_left is not None else 0),
        )
        columns.append(BoardColumn(state, rules.STATE_LABELS[state], items))
    return columns


def timeline(case: AdmissionCase) -> QuerySet[CaseEvent]:
    """Return the case's timeline (who did what, when), oldest first."""
    return case.events.select_related("actor").order_by("at", "id")


def list_notifications(actor: Any, limit: int = 10) -> list[Notification]:
    """Return the actor's own unread reminders, soonest deadline first."""
    if not getattr(actor, "is_authenticated", False):
        return []
    return list(
        Notification.objects.filter(user=actor, read_at__isnull=True)
        .select_related("case__candidate")
        .order_by("due", "id")[:limit]
    )
