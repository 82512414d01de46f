"""Reads of the admission pipeline; every selector starts from the actor's visible scope."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from statistics import median
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import ExtractYear
from django.utils import timezone

from cosodang.core.access import Action, get_for, scope_paths, visible_to
from cosodang.core.vn import fold, format_date
from cosodang.core.workdays import Calendar, workdays_between
from cosodang.orgs.models import PartyOrg
from cosodang.orgs.rules import OrgType

from . import rules
from .config import RulePack, pack_for, work_calendar
from .models import (
    ELIGIBLE_TYPED,
    OPEN_STATES,
    AdmissionCase,
    Candidate,
    CaseEvent,
    Document,
    Notification,
    Vote,
)
from .rules import State, Step

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
        limit = due(rules.recognition_decide_deadline, case.recognition_resolution_date, pack, 0)
        if case.final_decision_date > limit:
            out.append(
                f"Quyết định công nhận quá {pack.recognition_decide_wd} ngày làm việc "
                f"({rules.SRC_RECOGNITION})"
            )
    if case.failed_probation_votes >= 1 and case.state == State.ESCALATED:
        out.append(
            f"Biểu quyết {case.failed_probation_votes} lần không đủ 2/3 ({rules.SRC_ESCALATION})"
        )
    return out


def case_warnings(case: AdmissionCase) -> list[str]:
    """Return what an auditor should check by hand: committee sizes typed in, not counted."""
    return [
        f"{v.get_kind_display()} ngày {format_date(v.meeting_date)}: số cấp ủy viên "
        f"({v.eligible}) nhập tay vì sổ đảng viên chưa có cấp ủy, chưa đối chiếu được "
        f"({rules.SRC_COMMITTEE_VOTE})"
        for v in case.votes.all()
        if v.eligible_typed
    ]


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


class Flag(StrEnum):
    """Which flagged cases the audit view keeps."""

    ANY = "flagged"
    VIOLATION = "violation"
    OVERDUE = "overdue"
    TYPED = "typed"


FLAG_LABELS: dict[Flag, str] = {
    Flag.ANY: "Mọi hồ sơ bị đánh dấu",
    Flag.VIOLATION: "Vi phạm thời hạn",
    Flag.OVERDUE: "Đang quá hạn",
    Flag.TYPED: "Số cấp ủy viên nhập tay",
}


@dataclass(frozen=True)
class AuditFilters:
    """The audit view's filters: subtree, stage, flag, year the case was opened."""

    org: PartyOrg | None = None
    state: str = ""
    flag: Flag | None = None
    year: int | None = None

    def keeps(self, flags: CaseFlags) -> bool:
        match self.flag:
            case None:
                return True
            case Flag.ANY:
                return flags.flagged
            case Flag.VIOLATION:
                return flags.violation
            case Flag.OVERDUE:
                return flags.overdue
            case Flag.TYPED:
                return flags.typed


# The columns the flags are computed from: case_violations and an open case's next deadline.
FLAG_FIELDS = (
    "id",
    "state",
    "opened_on",
    "cert_date",
    "cell_resolution_date",
    "decision_extension_wd",
    "decision_date",
    "decision_received_date",
    "ceremony_date",
    "late_ceremony_approval",
    "recognition_resolution_date",
    "final_decision_date",
    "failed_probation_votes",
)
# The states whose deadline is the staleness of a document (rules.next_deadline).
STALE_STATES = (State.DOSSIER.value, State.CELL_REVIEW.value)


def _audit_cases(actor: Any, filters: AuditFilters) -> QuerySet[AdmissionCase]:
    """Return the cases the filters can keep, in the view's order, with what flags them.

    A flag narrows the rows read where SQL can say so exactly: only an open case has a
    deadline to be overdue, and a committee size typed in is a stored vote field. Each case
    carries whether a vote has a typed committee size (`typed`) and, while it is before the
    cell's vote, the date of its latest 3/4/5-KNĐ (`stale_0` …), which its deadline counts from.
    """
    qs = list_cases(
        actor,
        org=filters.org,
        state=filters.state,
        year=filters.year,
        open_only=filters.flag == Flag.OVERDUE,
    )
    typed = Vote.objects.filter(case=OuterRef("pk"), eligible_source=ELIGIBLE_TYPED)
    stale = {
        f"stale_{i}": Case(
            When(
                state__in=STALE_STATES,
                then=Subquery(
                    Document.objects.filter(case=OuterRef("pk"), code=code)
                    .order_by("-doc_date")
                    .values("doc_date")[:1]
                ),
            ),
            default=None,
            output_field=DateField(),
        )
        for i, code in enumerate(rules.STALE_CODES)
    }
    qs = qs.annotate(typed=Exists(typed), **stale)
    if filters.flag == Flag.TYPED:
        qs = qs.filter(typed=True)
    return qs


def _stale_of(case: AdmissionCase) -> tuple[tuple[str, date], ...]:
    """Return the latest 3/4/5-KNĐ dates annotated by _audit_cases, as case_dates takes them."""
    out = []
    for i, code in enumerate(rules.STALE_CODES):
        day = getattr(case, f"stale_{i}")
        if day is not None:
            out.append((code, day))
    return tuple(out)


def _overdue(due: date, today: date, cal: Calendar) -> bool:
    """Tell whether `workdays_between(today, due) < 0`: a working day after `due`, up to today.

    The same answer as counting the days (case_row does, to print them), but it stops at the
    first working day instead of walking every day of a deadline missed a year ago.
    """
    day = due
    while day < today:
        day += timedelta(days=1)
        if cal.is_workday(day):
            return True
    return False


class FlagPass:
    """The flags of many cases (audit_flags), each deadline computed once per distinct date."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.cal = work_calendar()
        self.due = DueMemo()
        self.deadlines: dict[tuple[rules.CaseDates, str], rules.Deadline | None] = {}

    def next_deadline(self, dates: rules.CaseDates) -> rules.Deadline | None:
        pack = pack_for(dates.opened_on)
        key = (dates, pack.code)
        if key not in self.deadlines:
            self.deadlines[key] = rules.next_deadline(dates, pack, self.cal)
        return self.deadlines[key]

    def flags(
        self, case: AdmissionCase, stale: tuple[tuple[str, date], ...], typed: bool
    ) -> CaseFlags:
        """Return what case_row(case, today).flags would, from the FLAG_FIELDS columns only."""
        overdue = False
        if case.is_open:  # only an open case has a deadline (case_row)
            deadline = self.next_deadline(case_dates(case, stale))
            overdue = deadline is not None and _overdue(deadline.due, self.today, self.cal)
        violation = bool(case_violations(case, self.today, self.due))
        return CaseFlags(violation, overdue, typed)


def audit_flags(
    actor: Any, filters: AuditFilters = AuditFilters(), today: date | None = None
) -> list[tuple[int, CaseFlags]]:
    """Return the id and flags of every case the filters keep, in the audit view's order.

    One query whatever the number of cases, reading only the columns the flags come from: no
    document, introducer or vote row is loaded per case.
    """
    today = today or timezone.localdate()
    cases = _audit_cases(actor, filters).select_related(None).prefetch_related(None)
    run = FlagPass(today)
    out = []
    for case in cases.only(*FLAG_FIELDS):
        flags = run.flags(case, _stale_of(case), case.typed)  # type: ignore[attr-defined]
        if filters.keeps(flags):
            out.append((case.pk, flags))
    return out


def case_rows(ids: list[int], today: date) -> list[CaseRow]:
    """Return the CaseRow of each case of `ids`, in that order (one read with its prefetches)."""
    if not ids:
        return []
    by_id = case_queryset().in_bulk(ids)
    return [case_row(by_id[pk], today) for pk in ids if pk in by_id]


@dataclass
class AuditPage:
    """One page of the audit view: its rows, the page, and the totals of every page."""

    rows: list[CaseRow]
    page: Page
    total: int
    flagged: int


def audit_page(
    actor: Any,
    filters: AuditFilters,
    number: Any,
    per_page: int,
    today: date | None = None,
) -> AuditPage:
    """Return one page of the audit view; only its cases are turned into CaseRows.

    An out-of-range or malformed page number answers the last or the first page.
    """
    today = today or timezone.localdate()
    flags = audit_flags(actor, filters, today)
    page = Paginator([pk for pk, _ in flags], per_page).get_page(number)
    return AuditPage(
        rows=case_rows(list(page.object_list), today),
        page=page,
        total=len(flags),
        flagged=sum(1 for _, f in flags if f.flagged),
    )


# Cases turned into rows at a time by the export (bounded memory, short IN lists).
EXPORT_CHUNK = 500


def audit_rows(
    actor: Any, filters: AuditFilters = AuditFilters(), today: date | None = None
) -> Iterator[CaseRow]:
    """Yield every case the filters keep, with violations and overdue steps flagged."""
    today = today or timezone.localdate()
    ids = [pk for pk, _ in audit_flags(actor, filters, today)]
    for start in range(0, len(ids), EXPORT_CHUNK):
        yield from case_rows(ids[start : start + EXPORT_CHUNK], today)


def audit_years(actor: Any) -> list[int]:
    """Return the years in which the actor's visible cases were opened, latest first."""
    qs = visible_to(actor, AdmissionCase.objects.all(), Action.VIEW_ADMISSION)
    return [d.year for d in qs.dates("opened_on", "year", order="DESC")]


PICKER_LIMIT = 200
SEARCH_LIMIT = 30


def audit_orgs(actor: Any, q: str = "", selected: PartyOrg | None = None) -> list[PartyOrg]:
    """Return the organisations to pick from: matches of `q`, else the top of the scope.

    Never the whole tree (66,000 organisations): a search answers at most SEARCH_LIMIT by
    name (accents ignored) or code; without one, the top of each granted subtree and the
    level under it, at most PICKER_LIMIT. The selected organisation is always included.
    """
    base = visible_to(
        actor, PartyOrg.objects.filter(effective_to__isnull=True), Action.VIEW_ADMISSION
    ).only("id", "name", "path", "depth", "org_type", "code")
    text = q.strip()
    if text:
        found = base.filter(Q(name_folded__contains=fold(text)) | Q(code__iexact=text))
        orgs = list(found.order_by("depth", "name")[:SEARCH_LIMIT])
    else:
        paths = scope_paths(actor, Action.VIEW_ADMISSION)
        if paths is None:
            top = base.filter(depth__lte=1)
        else:
            top = base.filter(Q(path__in=paths) | Q(parent__path__in=paths))
        orgs = list(top.order_by("path")[:PICKER_LIMIT])
    if selected is not None and all(o.pk != selected.pk for o in orgs):
        orgs.insert(0, selected)
    return orgs


def get_audit_org(actor: Any, pk: int) -> PartyOrg:
    """Return an organisation whose cases the actor may audit, or 404."""
    return get_for(actor, PartyOrg.objects.all(), Action.VIEW_ADMISSION, pk=pk)


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


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------


@dataclass
class UnitRow:
    """One organisation of the statistics table: admissions in its subtree, per year."""

    org: PartyOrg
    per_year: list[int]  # aligned with Stats.years
    total: int
    drill: bool  # the row links to the statistics of its own sub-organisations


# The stop reasons (free text) shown on the page; the rest are summed into one row.
STOP_REASONS_SHOWN = 10
OTHER_REASONS = "Các lý do khác"


@dataclass
class Stats:
    """Admissions per year and organisation, time in each stage, share stopped and why."""

    per_year_org: list[tuple[int, str, int]]  # every organisation with admissions (export)
    stage_days: list[tuple[str, float, int]]  # stage, median working days, cases measured
    total: int
    stopped: int
    stop_reasons: list[tuple[str, int]]
    official: int
    removed: int
    years: list[int] = field(default_factory=list)  # the years of `units`, latest first
    units: list[UnitRow] = field(default_factory=list)  # one level under the organisation

    @property
    def stopped_share(self) -> float:
        return 100 * self.stopped / self.total if self.total else 0.0

    @property
    def stop_rows(self) -> list[tuple[str, int, float]]:
        """Each reason with its count and its share of all cases (%)."""
        return [(r, n, 100 * n / self.total if self.total else 0.0) for r, n in self.stop_reasons]

    @property
    def shown_stop_reasons(self) -> list[tuple[str, int]]:
        """The most frequent reasons, the others summed into one last row (page and chart)."""
        shown = self.stop_reasons[:STOP_REASONS_SHOWN]
        rest = sum(n for _, n in self.stop_reasons[STOP_REASONS_SHOWN:])
        return [*shown, (OTHER_REASONS, rest)] if rest else shown

    @property
    def shown_stop_rows(self) -> list[tuple[str, int, float]]:
        total = self.total
        return [(r, n, 100 * n / total if total else 0.0) for r, n in self.shown_stop_reasons]

    @property
    def per_year(self) -> list[tuple[int, int]]:
        """Admissions per year (all organisations), oldest first."""
        totals: Counter[int] = Counter()
        for year, _, n in self.per_year_org:
            totals[year] += n
        return sorted(totals.items())

    def chart(self) -> dict[str, Any]:
        """Return the data the statistics chart draws (written to the page with json_script)."""
        stops = self.shown_stop_reasons
        return {
            "per_year": {
                "labels": [str(y) for y, _ in self.per_year],
                "values": [n for _, n in self.per_year],
            },
            "stages": {
                "labels": [label for label, _, _ in self.stage_days],
                "values": [days for _, days, _ in self.stage_days],
            },
            "stops": {
                "labels": [reason for reason, _ in stops],
                "values": [n for _, n in stops],
            },
        }


def _reason_key(reason: str) -> str:
    text = reason.split("(")[0].strip()
    if text.startswith("Chi bộ biểu quyết"):
        return "Chi bộ biểu quyết không đủ 2/3"
    if text.startswith("Đảng ủy biểu quyết"):
        return "Đảng ủy biểu quyết không đủ 2/3"
    return text[:80] or "Không ghi lý do"


def stats_parent(actor: Any, org: PartyOrg) -> PartyOrg | None:
    """Return the organisation above `org` when the actor may see its statistics too."""
    if org.parent_id is None:
        return None
    return (
        visible_to(actor, PartyOrg.objects.all(), Action.VIEW_ADMISSION)
        .filter(pk=org.parent_id)
        .only("id", "name", "path")
        .first()
    )


def _stats_level(actor: Any, org: PartyOrg | None) -> tuple[str | None, list[str]]:
    """Return what the table rolls admissions up to: the sub-organisations of a path, or tops.

    With an organisation: its direct sub-organisations. Without one: those of the top of the
    actor's scope when it is one organisation (a province's staff see its districts), else
    the tops themselves (several granted subtrees).
    """
    if org is not None:
        return org.path, []
    paths = scope_paths(actor, Action.VIEW_ADMISSION)
    if paths is None:
        paths = list(
            PartyOrg.objects.filter(parent__isnull=True)
            .order_by("path")
            .values_list("path", flat=True)
        )
    if len(paths) == 1:
        return paths[0], []
    return None, paths


# Organisations without sub-organisations to drill into (the cells that hold the cases).
_LEAF_TYPES = frozenset({OrgType.CELL.value, OrgType.GRASSROOTS_CELL.value})


def _unit_rows(
    actor: Any, org: PartyOrg | None, groups: list[tuple[str, int, int]]
) -> tuple[list[int], list[UnitRow]]:
    """Sum the (organisation path, year, admissions) groups one level under `org`.

    The table has one row per sub-organisation with admissions: as many as the organisation
    has direct sub-organisations (a few hundred at most), however deep and large its subtree.
    """
    parent, tops = _stats_level(actor, org)
    counts: dict[str, Counter[int]] = defaultdict(Counter)
    for path, year, n in groups:
        if parent is None:
            unit = next((t for t in tops if path.startswith(t)), "")
        elif len(path) > len(parent):
            unit = path[: path.index(".", len(parent)) + 1]  # the sub-organisation's path
        else:
            unit = path  # a case of the organisation itself
        counts[unit][year] += n
    years = sorted({y for c in counts.values() for y in c}, reverse=True)
    orgs = PartyOrg.objects.filter(path__in=list(counts)).only("id", "name", "path", "org_type")
    rows = [
        UnitRow(
            org=o,
            per_year=[counts[o.path][y] for y in years],
            total=sum(counts[o.path].values()),
            drill=o.path != parent and o.org_type not in _LEAF_TYPES,
        )
        for o in orgs.order_by("path")
    ]
    return years, rows


def statistics(actor: Any, org: PartyOrg | None = None) -> Stats:
    """Compute the statistics over the cases in the actor's scope (or `org`'s subtree).

    Counted in SQL: a fixed number of queries, and rows grouped by organisation and year or by
    stop reason rather than one row per case.
    """
    cases = visible_to(actor, AdmissionCase.objects.all(), Action.VIEW_ADMISSION)
    if org is not None:
        cases = cases.filter(org_path__startswith=org.path)
    ended = [State.STOPPED.value, State.REMOVED.value]
    counts = cases.aggregate(
        total=Count("id"),
        stopped=Count("id", filter=Q(state__in=ended)),
        official=Count("id", filter=Q(state=State.OFFICIAL)),
        removed=Count("id", filter=Q(state=State.REMOVED)),
    )
    reasons: Counter[str] = Counter()
    grouped = cases.filter(state__in=ended).values_list("stop_reason").annotate(n=Count("id"))
    for reason, n in grouped.order_by():
        reasons[_reason_key(reason)] += n
    per_org = (
        cases.filter(decision_date__isnull=False)
        .annotate(year=ExtractYear("decision_date"))
        .values_list("org_path", "org__name", "year")
        .annotate(n=Count("id"))
        .order_by("-year", "org_path")
    )
    groups = list(per_org)
    years, units = _unit_rows(actor, org, [(path, y, n) for path, _, y, n in groups])
    events = visible_to(actor, CaseEvent.objects.all(), Action.VIEW_ADMISSION).exclude(to_state="")
    if org is not None:
        events = events.filter(case__org_path__startswith=org.path)
    timeline = events.values_list("case_id", "from_state", "on", "at")
    stage = _stage_durations(timeline.order_by("case_id", "at", "id"))
    return Stats(
        per_year_org=[(y, name, n) for _, name, y, n in groups],
        stage_days=stage,
        total=counts["total"],
        stopped=counts["stopped"],
        stop_reasons=reasons.most_common(),
        official=counts["official"],
        removed=counts["removed"],
        years=years,
        units=units,
    )


class WorkdayCount:
    """`workdays_between(a, b)` for many pairs of days: a running count over their span.

    Counting each pair day by day costs the length of every stage; the running count costs the
    span once (a few thousand days), then each pair is a subtraction.
    """

    def __init__(self, days: Iterable[date], cal: Calendar) -> None:
        span = sorted(set(days))
        self.count: dict[date, int] = {}
        if not span:
            return
        day, n = span[0], 0
        self.count[day] = 0
        while day < span[-1]:
            day += timedelta(days=1)
            n += cal.is_workday(day)
            self.count[day] = n

    def between(self, start: date, end: date) -> int:
        return self.count[end] - self.count[start]


def _stage_durations(
    rows: Iterable[tuple[int, str, date | None, Any]],
) -> list[tuple[str, float, int]]:
    """Median working days spent in each stage, from the dated transitions of the timeline.

    A stage is measured from the dated step that entered it to the dated step that left it;
    steps that stay in the same stage (an extension) do not end it.
    """
    steps = [
        (case_id, from_state, on or timezone.localtime(at).date())
        for case_id, from_state, on, at in sorted(rows, key=lambda r: (r[0], r[3]))
        if on is not None or not from_state  # an undated step (an extension) is no boundary
    ]
    workdays = WorkdayCount((day for _, _, day in steps), work_calendar())
    entered: dict[int, date] = {}
    spent: dict[str, list[int]] = defaultdict(list)
    for case_id, from_state, day in steps:
        if case_id in entered and from_state:
            spent[from_state].append(max(0, workdays.between(entered[case_id], day)))
        entered[case_id] = day
    out = []
    for state in rules.State:
        values = spent.get(state.value)
        if values:
            out.append((rules.STATE_LABELS[state], float(median(values)), len(values)))
    return out
