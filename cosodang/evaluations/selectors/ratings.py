"""Reads of ratings: calibration (comparison between equivalent positions), results, reports.

Every page is for one organisation the actor may act on (`get_org`) and one period covering it
(`pick_period`). The calibration page reads the committee's summary rows (CalibrationGroup,
written by the bulk passes and kept by the other writes: services.calibration), or, for an
organisation without rows, tallies its ratings live with one grouped query; the statistics come
from the same exact computation either way (rules_ratings.summary_values). Other aggregates run
in SQL (grouped queries).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from cosodang.core.access import Action, can, get_for
from cosodang.evaluations import rules_ratings as rr
from cosodang.evaluations.models import CalibrationGroup, OrgRating, Period, Rating
from cosodang.evaluations.rules import quota_allowed
from cosodang.evaluations.schema import LEVELS_BEST_FIRST, RulePack
from cosodang.evaluations.services import calibration as calibration_services
from cosodang.evaluations.services.rating_base import period_pack
from cosodang.orgs.models import PartyOrg

LEVELS = tuple(str(lv) for lv in LEVELS_BEST_FIRST)
OUTLIER_LIMIT = 200
GROUP_PAGE = 100


def get_org(actor: Any, pk: Any, action: Action = Action.VIEW_EVALUATION) -> PartyOrg:
    """Return the organisation if the actor may do `action` on it; else 404."""
    return get_for(actor, PartyOrg.objects.all(), action, pk=pk)


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.split(".") if p]
    return [".".join(parts[: i + 1]) + "." for i in range(len(parts))]


def periods_for(org: PartyOrg) -> QuerySet[Period]:
    """Return the periods whose subtree holds the organisation, newest first."""
    return (
        Period.objects.filter(org_path__in=_ancestor_paths(org.path))
        .select_related("pack", "org")
        .order_by("-year", "-quarter", "-id")
    )


def pick_period(org: PartyOrg, period_id: Any = None) -> Period | None:
    """Return the period asked for (it must cover the organisation) or the newest one."""
    periods = periods_for(org)
    if period_id in (None, ""):
        return periods.first()
    try:
        return periods.get(pk=int(period_id))
    except (Period.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("Không tìm thấy") from exc


def current_level(level: str, proposed: str) -> str:
    return level or proposed


# --------------------------------------------------------------------------------------------
# Calibration
# --------------------------------------------------------------------------------------------


@dataclass
class GroupStats:
    """One position group in a scope: distribution of scores, level counts, quota use."""

    code: str
    label: str
    dist: rr.Distribution | None
    proposed: dict[str, int]  # proposed level -> count
    current: dict[str, int]  # decided level (or proposed when not decided) -> count
    allowed: int = 0  # HTXSNV the quota allows on the proposals
    fences: tuple[float, float] | None = None
    median_level: str | None = None

    @property
    def count(self) -> int:
        return sum(self.proposed.values()) or sum(self.current.values())

    @property
    def over_quota(self) -> bool:
        return self.proposed.get("HTXSNV", 0) > self.allowed

    @property
    def current_cells(self) -> list[tuple[str, int]]:
        return [(lv, self.current.get(lv, 0)) for lv in LEVELS]

    def share(self, level: str) -> float:
        total = sum(self.current.values())
        return 100.0 * self.current.get(level, 0) / total if total else 0.0


@dataclass
class Outlier:
    """A person whose score or level stands out from their group."""

    rating_id: int
    member_id: int
    name: str
    org_name: str
    group: str
    score: float | None
    level: str
    why: str
    member_url: str = ""  # set by the view (one reverse per page, not per row)
    review_url: str = ""


@dataclass
class Calibration:
    """The calibration page of a committee: every group, quota use and outliers."""

    org: PartyOrg
    period: Period
    pack: RulePack
    groups: list[GroupStats]
    outliers: list[Outlier]
    outliers_total: int
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def rated(self) -> int:
        return sum(self.totals.values())


def _scope(period: Period, org: PartyOrg) -> QuerySet[Rating]:
    return Rating.objects.filter(period=period, org_path__startswith=org.path)


def _summary_rows(period: Period, org: PartyOrg) -> list[dict[str, Any]]:
    """Return the calibration summary of the scope by group (stored columns + "position_group").

    Read from CalibrationGroup (one query) when a bulk pass has written the organisation's rows
    — stale ones are recounted first (services.calibration.refresh_calibration) — else computed
    live from the ratings (one grouped query: a cell, or a scope no pass has run over).
    """
    rows = [dict(r) for r in CalibrationGroup.objects.filter(period=period, org=org).values()]
    if not rows:
        return [
            {"position_group": group, **values}
            for group, values in calibration_services.summary_from_ratings(period, org.path).items()
        ]
    if any(r["stale"] for r in rows):
        rows = calibration_services.refresh_calibration(period, org)
    return rows


def group_stats(period: Period, org: PartyOrg, pack: RulePack) -> list[GroupStats]:
    """Return the statistics of every position group in the scope (one query, usually)."""
    rule = rr.grouping().outliers
    out = []
    for row in _summary_rows(period, org):
        if not row["rated"]:
            continue
        dist = rr.summary_distribution(row)
        stats = GroupStats(
            code=row["position_group"],
            label=rr.group_label(row["position_group"]),
            dist=dist,
            proposed={lv: row[f"proposed_{lv.lower()}"] for lv in LEVELS},
            current={lv: row[f"level_{lv.lower()}"] for lv in LEVELS},
        )
        stats.proposed = {k: v for k, v in stats.proposed.items() if v}
        stats.current = {k: v for k, v in stats.current.items() if v}
        stats.allowed = quota_allowed(
            pack, stats.proposed.get("HTXSNV", 0), stats.proposed.get("HTTNV", 0)
        )
        if pack.quota.basis == "rated":
            stats.allowed = quota_allowed(
                pack,
                stats.proposed.get("HTXSNV", 0),
                sum(stats.proposed.values()) - stats.proposed.get("HTXSNV", 0),
            )
        stats.fences = rr.score_fences(dist, rule) if dist else None
        stats.median_level = rr.median_level(stats.current)
        out.append(stats)
    out.sort(key=lambda g: g.code)
    return out


def _outliers(
    period: Period, org: PartyOrg, groups: Sequence[GroupStats]
) -> tuple[list[Outlier], int]:
    rule = rr.grouping().outliers
    far = {
        g.code: [lv for lv in LEVELS if rr.is_level_outlier(lv, g.median_level, rule)]
        for g in groups
    }
    score_clause = Q()
    for g in groups:
        if g.fences is not None:
            lo, hi = g.fences
            score_clause |= Q(position_group=g.code) & (Q(score__lt=lo) | Q(score__gt=hi))

    def level_clause(code: str) -> Q:
        return Q(position_group=code) & (
            Q(level__in=far[code]) | (Q(level="") & Q(proposed_level__in=far[code]))
        )

    # Score outliers: few, found through the calibration index alone (group and score are in
    # it); their levels by primary key. Level outliers are counted from the summary (the far
    # levels' current counts), so the total needs no scan of the scope's rows.
    by_score: list[tuple[Any, ...]] = []
    if score_clause:
        by_score = list(
            _scope(period, org)
            .filter(score_clause)
            .order_by()
            .values_list("position_group", "score", "id")
        )
    levels = (
        {
            pk: current_level(level, proposed)
            for pk, level, proposed in Rating.objects.filter(
                pk__in=[r[2] for r in by_score]
            ).values_list("id", "level", "proposed_level")
        }
        if by_score
        else {}
    )
    per_group: dict[str, int] = defaultdict(int)
    for g in groups:
        per_group[g.code] = sum(g.current.get(lv, 0) for lv in far[g.code])
    for group, _score, pk in by_score:
        if levels.get(pk) not in far[group]:
            per_group[group] += 1
    total = sum(per_group.values())
    if not total:
        return [], 0
    # The first page only needs the groups (in order) that hold its rows: their outliers are
    # read whole, sorted here (an ORDER BY … LIMIT lets the planner walk a whole index).
    chosen: list[str] = []
    seen = 0
    for code in sorted(per_group):
        if per_group[code]:
            chosen.append(code)
            seen += per_group[code]
        if seen >= OUTLIER_LIMIT:
            break
    clause = Q()
    for code in chosen:
        if far[code]:
            clause |= level_clause(code)
    found = [r for r in by_score if r[0] in chosen]
    if clause:
        found += list(
            _scope(period, org)
            .filter(position_group__in=chosen)
            .filter(clause)
            .order_by()
            .values_list("position_group", "score", "id")
        )
    found = list(set(found))
    found.sort(key=lambda r: (r[0], r[1] is None, r[1] or 0, r[2]))
    page = [pk for _, _, pk in found[:OUTLIER_LIMIT]]
    details = {
        r[0]: r
        for r in Rating.objects.filter(pk__in=page).values_list(
            "id",
            "member_id",
            "member__full_name",
            "org__name",
            "position_group",
            "score",
            "level",
            "proposed_level",
        )
    }
    rows = [details[pk] for pk in page]
    by_code = {g.code: g for g in groups}
    out = []
    for pk, member_id, name, org_name, group, score, level, proposed in rows[:OUTLIER_LIMIT]:
        g = by_code[group]
        now = current_level(level, proposed)
        why = []
        if score is not None and rr.is_score_outlier(float(score), g.fences):
            why.append("điểm ngoài khoảng thông thường của nhóm")
        if rr.is_level_outlier(now, g.median_level, rule):
            why.append(f"mức {now} cách xa mức phổ biến của nhóm ({g.median_level})")
        out.append(
            Outlier(
                rating_id=pk,
                member_id=member_id,
                name=name,
                org_name=org_name,
                group=g.label,
                score=None if score is None else float(score),
                level=now,
                why="; ".join(why),
            )
        )
    return out, total


def calibration(period: Period, org: PartyOrg) -> Calibration:
    """Return the calibration of a committee's scope in a period (3 queries)."""
    pack = period_pack(period)
    groups = group_stats(period, org, pack)
    outliers, total = _outliers(period, org, groups)
    totals: dict[str, int] = defaultdict(int)
    for g in groups:
        for lv, n in g.current.items():
            totals[lv] += n
    return Calibration(
        org=org,
        period=period,
        pack=pack,
        groups=groups,
        outliers=outliers,
        outliers_total=total,
        totals={lv: totals.get(lv, 0) for lv in LEVELS},
    )


@dataclass
class PersonRow:
    """A person of a group beside the group's distribution."""

    rating_id: int
    member_id: int
    name: str
    org_name: str
    score: float | None
    percentile: float | None
    proposed: str
    level: str
    state: str


def group_people(
    period: Period, org: PartyOrg, group: str, page: int = 1
) -> tuple[list[PersonRow], int]:
    """Return one page of a group's people, best score first, each with their percentile."""
    scope = _scope(period, org).filter(position_group=group)
    scores = sorted(
        float(s) for s in scope.exclude(score=None).values_list("score", flat=True) if s is not None
    )
    total = scope.count()
    start = max(page - 1, 0) * GROUP_PAGE
    rows = scope.order_by("-score", "member__sort_key", "id").values_list(
        "id",
        "member_id",
        "member__full_name",
        "org__name",
        "score",
        "proposed_level",
        "level",
        "state",
    )[start : start + GROUP_PAGE]
    people = [
        PersonRow(
            rating_id=pk,
            member_id=member_id,
            name=name,
            org_name=org_name,
            score=None if score is None else float(score),
            percentile=None if score is None else rr.percentile_rank(scores, float(score)),
            proposed=proposed,
            level=level,
            state=state,
        )
        for pk, member_id, name, org_name, score, proposed, level, state in rows
    ]
    return people, total


# --------------------------------------------------------------------------------------------
# Results and the report sent upward
# --------------------------------------------------------------------------------------------


def result_rows(period: Period, org: PartyOrg) -> QuerySet[Rating]:
    """Return the ratings of the scope with what the result list shows, by cell then name."""
    return (
        _scope(period, org)
        .select_related("member", "org")
        .only(
            "id",
            "score",
            "proposed_level",
            "level",
            "state",
            "position_group",
            "note",
            "member__full_name",
            "member__birth_date",
            "member__rank",
            "member__police_position",
            "member__sort_key",
            "org__name",
            "org__path",
        )
        .order_by("org_path", "member__sort_key", "id")
    )


@dataclass
class ReportRow:
    """Counts by level for one organisation (its whole subtree)."""

    org_id: int
    name: str
    code: str
    path: str
    depth: int
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def pct(self, level: str) -> float:
        return 100.0 * self.counts.get(level, 0) / self.total if self.total else 0.0

    @property
    def cells(self) -> list[tuple[str, int, float]]:
        return [(lv, self.counts.get(lv, 0), self.pct(lv)) for lv in LEVELS]


def subtree_report(period: Period, org: PartyOrg, *, depth: int | None = None) -> list[ReportRow]:
    """Return counts by level for every organisation of the subtree (one grouped query).

    Levels are the decided ones, else the proposal. `depth` limits the rows to organisations at
    most that many levels below `org` (the page shows the direct children).
    """
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    grouped = (
        _scope(period, org)
        .values_list("org_path", "level", "proposed_level")
        .annotate(n=Count("id"))
        .order_by()
    )
    for path, level, proposed, n in grouped:
        now = current_level(level, proposed)
        if now:
            counts[path][now] += n
    orgs = PartyOrg.objects.filter(path__startswith=org.path)
    if depth is not None:
        orgs = orgs.filter(depth__lte=org.depth + depth)
    rows = {
        path: ReportRow(org_id=pk, name=name, code=code, path=path, depth=d - org.depth, counts={})
        for pk, name, code, path, d in orgs.order_by("path").values_list(
            "id", "name", "code", "path", "depth"
        )
    }
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for path, by_level in counts.items():
        for prefix in _ancestor_paths(path):
            if prefix.startswith(org.path) and prefix in rows:
                for lv, n in by_level.items():
                    totals[prefix][lv] += n
    for path, row in rows.items():
        row.counts = {lv: totals[path].get(lv, 0) for lv in LEVELS}
    return list(rows.values())


def year_series(org: PartyOrg, kind: str = "year") -> list[tuple[str, dict[str, int]]]:
    """Return (period label, counts by level) for the yearly periods covering the organisation."""
    periods = list(periods_for(org).filter(kind=kind).order_by("year"))
    if not periods:
        return []
    grouped = (
        Rating.objects.filter(period__in=periods, org_path__startswith=org.path)
        .values_list("period_id", "level", "proposed_level")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_period: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for period_id, level, proposed, n in grouped:
        now = current_level(level, proposed)
        if now:
            by_period[period_id][now] += n
    return [(p.label, {lv: by_period[p.pk].get(lv, 0) for lv in LEVELS}) for p in periods]


def chart_data(period: Period, org: PartyOrg, report: Sequence[ReportRow]) -> dict[str, Any]:
    """Return what the distribution chart draws: by organisation (children) and by year."""
    children = [r for r in report if r.depth == 1] or [r for r in report if r.depth == 0]
    return {
        "levels": list(LEVELS),
        "by_org": {
            "labels": [r.name for r in children],
            "series": {lv: [round(r.pct(lv), 1) for r in children] for lv in LEVELS},
        },
        "by_year": [
            {"label": label, "counts": counts} for label, counts in year_series(org, period.kind)
        ],
    }


def may_decide(actor: Any, org: PartyOrg) -> bool:
    return can(actor, Action.DECIDE_EVALUATION, org)


def may_propose(actor: Any, org: PartyOrg) -> bool:
    return can(actor, Action.ASSESS_MEMBER, org)


def get_rating(actor: Any, pk: Any, action: Action = Action.DECIDE_EVALUATION) -> Rating:
    """Return a rating the actor may `action` (scoped by its cell); else 404."""
    return get_for(actor, Rating.objects.select_related("member", "org", "period"), action, pk=pk)


def org_ratings(period: Period, org: PartyOrg) -> QuerySet[OrgRating]:
    """Return the collective ratings of the scope."""
    return (
        OrgRating.objects.filter(period=period, org_path__startswith=org.path)
        .select_related("org")
        .order_by("org_path")
    )
