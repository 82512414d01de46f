"""Writes of ratings: the cell's proposal and collective ratings.

The committee's decision and the bulk re-run are in `decisions`, the calibration summary in
`calibration`, inputs and reasons in `rating_inputs`, shared pieces in `rating_base`.

Reasons of a member's rating are not stored (the rows stay narrow for a million-row pass): the
proposal's are rebuilt on read by the engine from the stored inputs, `Rating.extra` and the
period's pack (`rating_inputs.proposal_reasons`); the decision's steps after the proposal (head
cap, quota place, override) are a short code in `Rating.steps` rebuilt into sentences by
`rating_inputs.decision_reasons`. Collective ratings (a few thousand rows) keep their compact
stored reasons (rules_ratings).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from cosodang.core import audit
from cosodang.core.access import Action, require
from cosodang.evaluations import rules_ratings
from cosodang.evaluations.models import (
    Assessment,
    AssessmentSource,
    OrgRating,
    Period,
    PeriodKind,
    PeriodState,
    Rating,
    RatingState,
    SelfReview,
    SelfReviewState,
)
from cosodang.evaluations.rules import (
    SubjectInput,
    SubjectInputError,
    evaluate,
)
from cosodang.evaluations.schema import Level, SubjectKind
from cosodang.evaluations.services.calibration import (
    mark_calibration_stale,
)
from cosodang.evaluations.services.rating_base import (
    ADJUSTED_RULE,
    FIXED_STATES,
    INPUT_FIELDS,
    _check_period,
    _disciplines,
    _field_label,
    _num,
    _shown,
    _subtree,
    period_pack,
)
from cosodang.evaluations.services.rating_inputs import (
    Adjustment,
    Inputs,
    _adjusted_reasons,
    _clean_adjustment,
    _previous_adjustment,
    proposal_extra,
    run_engine,
    subjects_of,
)
from cosodang.members.models import ACTIVE_STATUSES, Member, Position
from cosodang.orgs.models import PartyOrg

# --------------------------------------------------------------------------------------------
# The cell's proposal
# --------------------------------------------------------------------------------------------


@dataclass
class CellRow:
    """One member of a cell on the proposal page: placement, inputs, what blocks a proposal."""

    member_id: int
    full_name: str
    group: str
    subject_kind: str
    headed_org: int | None
    post_codes: tuple[str, ...]
    inputs: Inputs
    has_review: bool
    self_level: str
    manifestations: list[str]
    rating_id: int | None
    rating_state: str
    proposed_level: str
    adjusted: dict[str, Any]
    problem: str = ""
    # Yearly period: the Q1–Q3 results of the same year (HD 43), shown and kept as inputs.
    quarters: list[Any] = field(default_factory=list)


def _posts_on(day: date, member_filter: Q) -> dict[int, list[rules_ratings.Post]]:
    posts: dict[int, list[rules_ratings.Post]] = defaultdict(list)
    rows = (
        Position.objects.filter(member_filter, start__lte=day)
        .filter(Q(end__isnull=True) | Q(end__gte=day))
        .values_list("member_id", "party_post", "title", "org_id")
    )
    for member_id, post, title, org_id in rows:
        posts[member_id].append(
            rules_ratings.Post(party_post=post or "", title=title or "", org=org_id)
        )
    return posts


def cell_rows(period: Period, org: PartyOrg) -> list[CellRow]:
    """Return the members of a cell with their consolidated inputs (read-only; 6 queries, one
    more on a yearly period for the quarters of the whole cell)."""
    pack = period_pack(period)
    members = list(
        Member.objects.filter(org=org, status__in=ACTIVE_STATUSES)
        .order_by("sort_key", "id")
        .values_list("id", "full_name", "rank", "police_position")
    )
    in_cell = Q(member__org=org)
    posts = _posts_on(period.end, in_cell)
    reviews = {
        r["member_id"]: r
        for r in SelfReview.objects.filter(
            in_cell, period=period, state=SelfReviewState.SUBMITTED
        ).values(
            "member_id",
            "self_score",
            "tasks_total",
            "tasks_on_time",
            "tasks_above_requirement",
            "tasks_late",
            "criterion_scores",
            "proposed_level",
            "manifestations",
        )
    }
    assessments: dict[int, dict[str, tuple[Decimal | None, str]]] = defaultdict(dict)
    for member_id, source, score, level in Assessment.objects.filter(
        in_cell,
        period=period,
        source__in=(AssessmentSource.CELL_COMMITTEE, AssessmentSource.COMMANDER),
    ).values_list("member_id", "source", "score", "level"):
        assessments[member_id][source] = (score, level)
    ratings = {
        r["member_id"]: r
        for r in Rating.objects.filter(in_cell, period=period).values(
            "id", "member_id", "state", "proposed_level", "extra", *INPUT_FIELDS
        )
    }
    quarters: dict[int, list[Any]] = {}
    if period.kind == PeriodKind.YEAR:
        from cosodang.evaluations.selectors.cycle import quarters_by_member

        quarters = quarters_by_member(in_cell, period.year)
    scored = pack.thresholds is not None
    out = []
    for member_id, full_name, rank, police_position in members:
        held = list(posts.get(member_id, ()))
        if police_position:
            held.append(rules_ratings.Post(title=police_position))
        placement = rules_ratings.place(rank, held)
        review = reviews.get(member_id)
        rating = ratings.get(member_id)
        inputs = Inputs()
        if review is not None:
            inputs.score = _num(review["self_score"])
            inputs.sources["score"] = "tự chấm"
            for name in ("tasks_total", "tasks_on_time", "tasks_above_requirement", "tasks_late"):
                setattr(inputs, name, review[name])
            if not scored:
                inputs.grades = {k: str(v) for k, v in (review["criterion_scores"] or {}).items()}
        given = assessments.get(member_id, {})
        committee = given.get(AssessmentSource.CELL_COMMITTEE)
        if committee is not None and committee[0] is not None:
            inputs.score = _num(committee[0])
            inputs.sources["score"] = "chi ủy chấm"
        commander = given.get(AssessmentSource.COMMANDER)
        if commander is not None and commander[1]:
            inputs.professional_level = commander[1]
            inputs.sources["professional_level"] = "thủ trưởng đánh giá"
        adjusted: dict[str, Any] = {}
        if rating is not None:
            adjusted = _previous_adjustment(_adjusted_reasons(rating["extra"]))
            inputs.degradation_concluded = rating["degradation_concluded"]
            if review is None:  # inputs entered earlier by the cell: keep them
                for name in INPUT_FIELDS:
                    setattr(inputs, name, rating[name] if name != "score" else rating["score"])
        for name, value in adjusted.items():
            setattr(inputs, name, value)
            inputs.sources[name] = "chi bộ điều chỉnh"
        flags = review["manifestations"] if review else {}
        row = CellRow(
            member_id=member_id,
            full_name=full_name,
            group=placement.group,
            subject_kind=placement.subject_kind,
            headed_org=placement.headed_orgs[0] if placement.headed_orgs else None,
            post_codes=placement.post_labels,
            inputs=inputs,
            has_review=review is not None,
            self_level=review["proposed_level"] if review else "",
            manifestations=sorted(k for k, v in (flags or {}).items() if v and v.get("flag")),
            rating_id=rating["id"] if rating else None,
            rating_state=rating["state"] if rating else "",
            proposed_level=rating["proposed_level"] if rating else "",
            adjusted=adjusted,
            quarters=quarters.get(member_id, []),
        )
        if rating is not None and rating["state"] != RatingState.PROPOSED:
            row.problem = "Cấp ủy đã quyết định; không đề xuất lại."
        elif review is None and rating is None:
            row.problem = "Chưa nộp bản kiểm điểm."
        out.append(row)
    return out


@dataclass
class ProposalReport:
    """What a proposal did."""

    proposed: int = 0
    created: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (name, why)
    levels: dict[str, int] = field(default_factory=dict)


@transaction.atomic
def propose_cell(
    *,
    actor: Any,
    period: Period,
    org: PartyOrg,
    adjustments: Mapping[int, Adjustment] | None = None,
) -> ProposalReport:
    """Propose a level for every member of a cell from the self-reviews and assessments.

    The secretary may adjust inputs of some members first (`adjustments`, member id →
    values + reason); the adjustment is kept with the proposal's reasons and re-applied when the
    cell proposes again. Any member's bad input refuses the whole proposal (nothing written),
    naming the member and the field. Members without a submitted self-review, and ratings the
    committee already decided, are skipped and listed.
    """
    require(actor, Action.ASSESS_MEMBER, org)
    period = Period.objects.select_for_update().select_related("pack").get(pk=period.pk)
    _check_period(period, org, states=(PeriodState.OPEN,))
    pack = period_pack(period)
    rows = cell_rows(period, org)
    by_id = {r.member_id: r for r in rows}
    adjustments = adjustments or {}
    for member_id in adjustments:
        if member_id not in by_id:
            raise ValidationError("Đảng viên được điều chỉnh không thuộc chi bộ này.")
    discipline = _disciplines(period, Q(member__org=org))
    headed = {r.headed_org for r in rows if r.headed_org}
    unit_tasks = {
        org_id: {
            "tasks_total": total,
            "tasks_on_time": on_time,
            "tasks_above_requirement": above,
            "tasks_late": late,
        }
        for org_id, total, on_time, above, late in OrgRating.objects.filter(
            period=period, org_id__in=headed, tasks_total__gt=0
        ).values_list(
            "org_id", "tasks_total", "tasks_on_time", "tasks_above_requirement", "tasks_late"
        )
    }
    now = timezone.now()
    report = ProposalReport()
    errors: list[str] = []
    existing = {
        r.member_id: r
        for r in Rating.objects.select_for_update().filter(period=period, member__org=org)
    }
    # Groups whose summary a proposal may change: the ones the updated ratings were in, and
    # the ones they are placed in now (below).
    touched = {r.position_group for r in existing.values()}
    to_create: list[Rating] = []
    to_update: list[Rating] = []
    for row in rows:
        adj = adjustments.get(row.member_id)
        adjusted_reason: dict[str, Any] | None = None
        if adj is not None and adj.fields:
            values = _clean_adjustment(row.full_name, adj)
            merged = {**row.adjusted, **values}
            changes = ", ".join(
                f"{k}: {_shown(getattr(row.inputs, k))} → {_shown(v)}" for k, v in values.items()
            )
            for name, value in values.items():
                setattr(row.inputs, name, value)
            adjusted_reason = rules_ratings.text_reason(
                ADJUSTED_RULE, True, f"Chi bộ điều chỉnh số liệu ({changes}). Lý do: {adj.reason}"
            )
            adjusted_reason["fields"] = {
                k: (str(v) if isinstance(v, Decimal) else v) for k, v in merged.items()
            }
            if row.problem == "Chưa nộp bản kiểm điểm.":
                row.problem = ""
        elif row.adjusted:
            adjusted_reason = next(iter(_adjusted_reasons(existing[row.member_id].extra)), None)
        if row.problem:
            report.skipped.append((row.full_name, row.problem))
            continue
        extra = proposal_extra(
            post_codes=row.post_codes,
            unit_tasks=unit_tasks.get(row.headed_org) if row.headed_org else None,
            grades=row.inputs.grades,
            disciplines=discipline.get(row.member_id, ()),
            adjusted=adjusted_reason,
            quarters=row.quarters,
        )
        subjects = subjects_of(
            kind=row.subject_kind, period=period, inputs=row.inputs.values(), extra=extra
        )
        try:
            result = run_engine(subjects, pack)
        except SubjectInputError as exc:
            errors.append(f"{row.full_name}: {_field_label(exc.field)} — {exc.message}")
            continue
        rating = existing.get(row.member_id) or Rating(
            period=period, member_id=row.member_id, org=org, org_path=org.path
        )
        for name, value in row.inputs.values().items():
            setattr(rating, name, value)
        rating.subject_kind = row.subject_kind
        rating.position_group = row.group
        rating.is_head = row.headed_org is not None
        rating.headed_org_id = row.headed_org
        rating.proposed_level = result.level
        rating.extra = extra
        rating.proposed_by = actor
        rating.proposed_at = now
        rating.state = RatingState.PROPOSED
        touched.add(rating.position_group)
        (to_update if rating.pk else to_create).append(rating)
        report.levels[result.level] = report.levels.get(result.level, 0) + 1
    if errors:
        raise ValidationError(["Chưa đề xuất được: số liệu không hợp lệ.", *errors])
    Rating.objects.bulk_create(to_create)
    Rating.objects.bulk_update(
        to_update,
        [
            *INPUT_FIELDS,
            "subject_kind",
            "position_group",
            "is_head",
            "headed_org",
            "proposed_level",
            "extra",
            "proposed_by",
            "proposed_at",
            "state",
        ],
    )
    report.created = len(to_create)
    report.proposed = len(to_create) + len(to_update)
    mark_calibration_stale(period, org.path, touched | {r.position_group for r in to_create})
    audit.record(
        actor=actor,
        action="evaluations.ratings.propose_cell",
        obj=org,
        org_path=org.path,
        changes={
            "period": period.pk,
            "proposed": report.proposed,
            "created": report.created,
            "skipped": len(report.skipped),
            "adjusted": sorted(m for m, a in adjustments.items() if a.fields),
            "levels": report.levels,
        },
    )
    return report


# --------------------------------------------------------------------------------------------
# Collective ratings
# --------------------------------------------------------------------------------------------


def _member_levels(period: Period, org: PartyOrg) -> dict[str, int]:
    counts: dict[str, int] = {}
    for level, proposed, n in (
        Rating.objects.filter(_subtree(org), period=period)
        .values_list("level", "proposed_level")
        .annotate(n=models.Count("id"))
        .order_by()
    ):
        key = level or proposed
        if key:
            counts[key] = counts.get(key, 0) + n
    return counts


@transaction.atomic
def rate_collective(
    *,
    actor: Any,
    period: Period,
    org: PartyOrg,
    score: Decimal | int | float | None,
    tasks_total: int,
    tasks_on_time: int,
    tasks_above_requirement: int = 0,
    tasks_late: int = 0,
) -> OrgRating:
    """Propose a collective's level from its criteria score, its members' levels and the unit's
    task results (with its subordinate units' levels and its leadership's disciplines)."""
    require(actor, Action.ASSESS_MEMBER, org)
    period = Period.objects.select_for_update().select_related("pack").get(pk=period.pk)
    _check_period(period, org, states=(PeriodState.OPEN, PeriodState.PUBLISHED))
    pack = period_pack(period)
    children = list(
        OrgRating.objects.filter(period=period, org__parent=org).values_list(
            "level", "proposed_level"
        )
    )
    leaders = Position.objects.filter(
        org=org, party_post__in=("bi_thu", "pho_bi_thu", "cap_uy_vien"), start__lte=period.end
    ).filter(Q(end__isnull=True) | Q(end__gte=period.start))
    lead = [
        d
        for items in _disciplines(period, Q(member__in=leaders.values("member_id"))).values()
        for d in items
    ]
    subject = SubjectInput(
        subject_kind=SubjectKind.COLLECTIVE,
        period=(period.start, period.end),
        score=score,
        tasks_total=tasks_total,
        tasks_on_time=tasks_on_time,
        tasks_above_requirement=tasks_above_requirement,
        tasks_late=tasks_late,
        leadership_disciplines=tuple(lead),
        subordinate_units_total=len(children),
        subordinate_units_khtnv=sum(1 for lv, pr in children if (lv or pr) == Level.KHTNV),
    )
    try:
        result = evaluate(subject, pack)
    except SubjectInputError as exc:
        raise ValidationError({exc.field: [f"{_field_label(exc.field)}: {exc.message}"]}) from exc
    rating = OrgRating.objects.select_for_update().filter(period=period, org=org).first()
    if rating is not None and rating.state in FIXED_STATES:
        raise ValidationError("Kết quả của tập thể đã công khai hoặc đã khóa.")
    before = audit.snapshot(rating) if rating else {}
    rating = rating or OrgRating(period=period, org=org, org_path=org.path)
    rating.score = None if score is None else Decimal(str(score))
    rating.tasks_total = tasks_total
    rating.tasks_on_time = tasks_on_time
    rating.tasks_above_requirement = tasks_above_requirement
    rating.tasks_late = tasks_late
    rating.member_levels = _member_levels(period, org)
    rating.proposed_level = result.level
    rating.proposed_reasons = rules_ratings.pack_reasons(
        result.raw_reasons, rules_ratings.reason_table(pack)
    )
    rating.state = RatingState.PROPOSED
    rating.full_clean()
    rating.save()
    after = audit.snapshot(rating, ["score", "tasks_total", "proposed_level", "member_levels"])
    audit.record(
        actor=actor,
        action="evaluations.ratings.rate_collective",
        obj=rating,
        org_path=org.path,
        changes=audit.diff({k: before.get(k) for k in after}, after),
    )
    return rating
