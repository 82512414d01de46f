"""Reads of the admissions statistics: per year and organisation, time per stage, share stopped
and why."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import median
from typing import Any

from django.db.models import (
    Count,
    Q,
)
from django.db.models.functions import ExtractYear
from django.utils import timezone

from cosodang.core.access import Action, scope_paths, visible_to
from cosodang.core.workdays import Calendar
from cosodang.orgs.models import PartyOrg
from cosodang.orgs.rules import OrgType

from .. import rules
from ..config import work_calendar
from ..models import (
    AdmissionCase,
    CaseEvent,
)
from ..rules import State

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
