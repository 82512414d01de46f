"""Reads of the superior's audit view: the cases of a subtree with violations and overdue steps
flagged, a page at a time, from one narrow flag pass (docs/decisions.md)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    DateField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.utils import timezone

from cosodang.admissions.selectors import (
    CaseFlags,
    CaseRow,
    DueMemo,
    case_dates,
    case_queryset,
    case_row,
    case_violations,
    exception_warnings,
    list_cases,
)
from cosodang.core.access import Action, get_for, scope_paths, visible_to
from cosodang.core.vn import fold
from cosodang.core.workdays import Calendar
from cosodang.orgs.models import PartyOrg

from .. import rules
from ..config import pack_for, work_calendar
from ..models import (
    ELIGIBLE_TYPED,
    AdmissionCase,
    Document,
    Vote,
)
from ..rules import State


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
    Flag.TYPED: "Cần đối chiếu (số cấp ủy viên nhập tay, ngoại lệ tuổi, học vấn)",
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
    "recognition_extension_wd",
    "final_decision_date",
    "failed_probation_votes",
)
# The applicant's columns the exception warnings come from (exception_warnings).
CANDIDATE_FIELDS = (
    "candidate__birth_date",
    "candidate__general_education",
    "candidate__age_exception",
    "candidate__education_exception",
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
        # A typed committee size, or an exception the cell's resolution may have relied on
        # (whether it did is decided per case by the rules: exception_warnings).
        qs = qs.filter(
            Q(typed=True)
            | (
                Q(cell_resolution_date__isnull=False)
                & (~Q(candidate__age_exception="") | ~Q(candidate__education_exception=""))
            )
        )
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
        return CaseFlags(violation, overdue, typed or bool(exception_warnings(case)))


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
    for case in cases.select_related("candidate").only(*FLAG_FIELDS, *CANDIDATE_FIELDS):
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
