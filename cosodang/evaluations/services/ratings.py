"""Writes of ratings: the cell's proposal, collective ratings, the committee's decision, overrides.

Order (rules.md §1.3 and the engine's notes in rules.py): collectives are rated first, lower
levels before higher ones, with their quota; then individuals, each head capped by the level of
the collective he or she heads; then the HTXSNV quota over each comparison group (position group
within the deciding unit). A head whose collective has no level yet is not decided ("chờ xếp loại
tập thể"). Ratings the committee overrode one by one (`decide_one`, with a reason in `note`),
and published or locked ones, are left as they are and are not counted in a quota group.

Bulk work is set-wise: one read of the rows with ``values_list``, the engine in memory, writes
in batches (on PostgreSQL: COPY into a temporary table, then one UPDATE … FROM; elsewhere
``bulk_update``), one audit event per batch of decisions (with the counts) and one per override.
It runs for a whole period of 1,000,000 members (bench/evaluations.py).

Stored reasons: see rules_ratings (compact engine reasons, sentences from the period's pack).
A decision's reasons (`Rating.reasons`) are the steps after the proposal (head cap, quota,
override); the full explanation is the proposal's reasons followed by these.
"""

from __future__ import annotations

import json
import typing
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from cosodang.core import audit
from cosodang.core.access import Action, require
from cosodang.evaluations import packs, rules_ratings
from cosodang.evaluations.models import (
    Assessment,
    AssessmentSource,
    OrgRating,
    Period,
    PeriodState,
    Rating,
    RatingState,
    SelfReview,
    SelfReviewState,
)
from cosodang.evaluations.rules import (
    Discipline,
    GroupMember,
    Result,
    SubjectInput,
    SubjectInputError,
    apply_head_cap,
    apply_quota,
    evaluate,
    evaluate_posts,
)
from cosodang.evaluations.schema import LEVEL_RANK, Level, RulePack, SubjectKind
from cosodang.members.models import ACTIVE_STATUSES, Member, Position
from cosodang.members.models import Discipline as MemberDiscipline
from cosodang.orgs.models import PartyOrg

BATCH = 20_000
INPUT_FIELDS = (
    "score",
    "tasks_total",
    "tasks_on_time",
    "tasks_above_requirement",
    "tasks_late",
    "degradation_concluded",
    "professional_level",
)
ADJUSTED_RULE = "inputs_adjusted"
OVERRIDE_RULE = "override"
FIXED_STATES = (RatingState.PUBLISHED, RatingState.LOCKED)
WAITING = "Chờ xếp loại tập thể do người này đứng đầu (đánh giá tập thể trước, người đứng đầu sau)."

# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------

_PACKS: dict[int, tuple[datetime | None, RulePack]] = {}


def period_pack(period: Period) -> RulePack:
    """Return the validated rule pack of a period (parsed once per stored version)."""
    stored = period.pack
    hit = _PACKS.get(stored.pk)
    if hit is not None and hit[0] == stored.updated_at:
        return hit[1]
    pack = packs.from_dict(stored.data, origin=stored.code)
    if len(_PACKS) > 64:
        _PACKS.clear()
    _PACKS[stored.pk] = (stored.updated_at, pack)
    return pack


def _check_period(period: Period, org: PartyOrg, *, states: Sequence[str]) -> None:
    if not org.path.startswith(period.org_path):
        raise ValidationError(f"{org.name} không thuộc phạm vi của kỳ {period.label}.")
    if period.state not in states:
        raise ValidationError(
            f"Kỳ {period.label} đang ở trạng thái «{period.get_state_display()}»: "
            "không thể thực hiện việc này."
        )


def _decider(pack: RulePack, kind: str) -> str:
    return next((d.decider for d in pack.decisions if kind in d.kinds), "")


def member_deciders(pack: RulePack) -> frozenset[str]:
    """Return the organisation types that decide individual ratings under the pack."""
    return rules_ratings.decider_types(_decider(pack, SubjectKind.MEMBER))


def collective_deciders(pack: RulePack) -> frozenset[str]:
    """Return the organisation types that decide collective ratings under the pack."""
    return rules_ratings.decider_types(_decider(pack, SubjectKind.COLLECTIVE))


def may_decide_at(pack: RulePack, org: PartyOrg) -> bool:
    """Tell whether a committee of this organisation's type decides ratings under the pack."""
    return org.org_type in member_deciders(pack) | collective_deciders(pack)


def _num(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _disciplines(period: Period, member_filter: Q) -> dict[int, list[Discipline]]:
    """Return the disciplines decided in the period, by member id."""
    out: dict[int, list[Discipline]] = defaultdict(list)
    rows = (
        MemberDiscipline.objects.filter(member_filter, date__gte=period.start, date__lte=period.end)
        .order_by("date", "id")
        .values_list("member_id", "form", "date", "id")
    )
    for member_id, form, day, pk in rows:
        out[member_id].append(Discipline(form=form, date=day, violation=f"kl{pk}"))
    return out


# --------------------------------------------------------------------------------------------
# Writing many rows
# --------------------------------------------------------------------------------------------


def _pg_type(f: models.Field[Any, Any]) -> str:
    return {
        "JSONField": "jsonb",
        "BooleanField": "boolean",
        "DecimalField": "numeric",
        "DateTimeField": "timestamptz",
        "ForeignKey": "bigint",
        "PositiveIntegerField": "integer",
        "CharField": "text",
        "TextField": "text",
    }[f.get_internal_type()]


def _json_text(value: Any) -> str:
    # A str is JSON text already (rules_ratings.reasons_json); anything else is encoded here.
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def bulk_write(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Set `fields` of the rows `(pk, *values)`; COPY + one UPDATE on PostgreSQL.

    A JSON field's value may be given as JSON text (a str), as the bulk paths do.
    """
    if not rows:
        return
    meta = model._meta
    cols = [typing.cast(models.Field[Any, Any], meta.get_field(name)) for name in fields]
    if connection.vendor != "postgresql":
        objs = []
        for pk, *values in rows:
            obj = model(pk=pk)
            for f, value in zip(cols, values, strict=True):
                if f.get_internal_type() == "JSONField" and isinstance(value, str):
                    value = json.loads(value)  # JSON text from the bulk path
                setattr(obj, f.attname, value)
            objs.append(obj)
        model.objects.bulk_update(objs, list(fields), batch_size=500)  # type: ignore[attr-defined]
        return
    table = meta.db_table
    temp = f"_upd_{table}_{zlib.crc32(','.join(fields).encode()):08x}"
    col_sql = ", ".join(f'"{f.column}" {_pg_type(f)}' for f in cols)
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE TEMP TABLE IF NOT EXISTS "{temp}" (id bigint, {col_sql})')
        cursor.execute(f'TRUNCATE "{temp}"')
        raw = cursor.cursor  # the psycopg cursor, for COPY
        names = ", ".join(["id", *(f'"{f.column}"' for f in cols)])
        json_cols = [f.get_internal_type() == "JSONField" for f in cols]
        with raw.copy(f'COPY "{temp}" ({names}) FROM STDIN') as copy:
            for pk, *values in rows:
                copy.write_row(
                    [
                        pk,
                        *(
                            _json_text(v) if is_json else v
                            for is_json, v in zip(json_cols, values, strict=True)
                        ),
                    ]
                )
        sets = ", ".join(f'"{f.column}" = u."{f.column}"' for f in cols)
        cursor.execute(f'UPDATE "{table}" t SET {sets} FROM "{temp}" u WHERE t.id = u.id')
        cursor.execute(f'TRUNCATE "{temp}"')


# --------------------------------------------------------------------------------------------
# Inputs of a member
# --------------------------------------------------------------------------------------------


@dataclass
class Inputs:
    """A member's consolidated inputs for the engine, and where each came from."""

    score: Decimal | None = None
    tasks_total: int = 0
    tasks_on_time: int = 0
    tasks_above_requirement: int = 0
    tasks_late: int = 0
    degradation_concluded: bool = False
    professional_level: str = ""
    grades: dict[str, str] | None = None
    sources: dict[str, str] = field(default_factory=dict)

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in INPUT_FIELDS}


@dataclass(frozen=True)
class Adjustment:
    """The secretary's change to some inputs of one member, with the reason (required)."""

    fields: Mapping[str, Any]
    reason: str


def _clean_adjustment(member_name: str, adj: Adjustment) -> dict[str, Any]:
    """Return the adjusted values as stored types; refuse a bad value or an empty reason."""
    if not adj.reason.strip():
        raise ValidationError(f"{member_name}: cần ghi lý do điều chỉnh số liệu.")
    out: dict[str, Any] = {}
    for name, value in adj.fields.items():
        if name not in INPUT_FIELDS:
            raise ValidationError(f"{member_name}: không điều chỉnh được «{name}».")
        if name == "score":
            out[name] = None if value in (None, "") else Decimal(str(value))
        elif name == "degradation_concluded":
            out[name] = bool(value)
        elif name == "professional_level":
            if value and value not in LEVEL_RANK:
                raise ValidationError(f"{member_name}: mức xếp loại chuyên môn không hợp lệ.")
            out[name] = value or ""
        else:
            try:
                number = int(value)
            except (TypeError, ValueError) as exc:
                raise ValidationError(f"{member_name}: {name} phải là số nguyên ≥ 0.") from exc
            if number < 0:
                raise ValidationError(f"{member_name}: {name} phải là số nguyên ≥ 0.")
            out[name] = number
    return out


def _previous_adjustment(reasons: Iterable[Any]) -> dict[str, Any]:
    for item in reasons or ():
        if isinstance(item, dict) and item.get("rule") == ADJUSTED_RULE:
            raw = item.get("fields", {})
            return {
                k: (Decimal(v) if k == "score" and v is not None else v) for k, v in raw.items()
            }
    return {}


def _subjects(
    *,
    kind: str,
    post_codes: Sequence[str],
    period: Period,
    inputs: Inputs,
    disciplines: Sequence[Discipline],
    unit_tasks: Mapping[str, int] | None = None,
) -> list[SubjectInput]:
    """Return one subject per post group held (several posts, each rated in its place), or one.

    `unit_tasks` are the task counts of the collective the member heads, used for the head's
    post when that collective has been given its task results.
    """
    base = {
        "period": (period.start, period.end),
        "score": inputs.score,
        "tasks_total": inputs.tasks_total,
        "tasks_on_time": inputs.tasks_on_time,
        "tasks_above_requirement": inputs.tasks_above_requirement,
        "tasks_late": inputs.tasks_late,
        "disciplines": tuple(disciplines),
        "degradation_concluded": inputs.degradation_concluded,
        "professional_level": inputs.professional_level or None,
        "grades": inputs.grades,
    }
    groups = [g for g in map(rules_ratings.post_group, post_codes) if g is not None]

    def inputs_for(group: rules_ratings.PostGroup | None) -> dict[str, Any]:
        # A head's post is measured by the unit he or she leads (engine notes, QĐ 366 Điều 11).
        if unit_tasks and group is not None and group.head_posts:
            return {**base, **unit_tasks}
        return base

    if len(groups) <= 1:
        return [SubjectInput(subject_kind=kind, **inputs_for(groups[0] if groups else None))]
    return [SubjectInput(subject_kind=g.subject_kind, post=g.name, **inputs_for(g)) for g in groups]


def run_engine(subjects: Sequence[SubjectInput], pack: RulePack) -> Result:
    """Rate one member: one post through evaluate, several through evaluate_posts."""
    if len(subjects) == 1:
        return evaluate(subjects[0], pack)
    return evaluate_posts(subjects, pack)


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
    """Return the members of a cell with their consolidated inputs (read-only; 6 queries)."""
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
            "id", "member_id", "state", "proposed_level", "proposed_reasons", *INPUT_FIELDS
        )
    }
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
            adjusted = _previous_adjustment(rating["proposed_reasons"])
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
    table = rules_ratings.reason_table(pack)
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
            adjusted_reason = next(
                (
                    r
                    for r in (existing[row.member_id].proposed_reasons or [])
                    if isinstance(r, dict) and r.get("rule") == ADJUSTED_RULE
                ),
                None,
            )
        if row.problem:
            report.skipped.append((row.full_name, row.problem))
            continue
        subjects = _subjects(
            kind=row.subject_kind,
            post_codes=row.post_codes,
            period=period,
            inputs=row.inputs,
            disciplines=discipline.get(row.member_id, ()),
            unit_tasks=unit_tasks.get(row.headed_org) if row.headed_org else None,
        )
        try:
            result = run_engine(subjects, pack)
        except SubjectInputError as exc:
            errors.append(f"{row.full_name}: {_field_label(exc.field)} — {exc.message}")
            continue
        reasons = rules_ratings.pack_reasons(result.raw_reasons, table)
        if adjusted_reason is not None:
            reasons.insert(0, adjusted_reason)
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
        rating.proposed_reasons = reasons
        rating.proposed_by = actor
        rating.proposed_at = now
        rating.state = RatingState.PROPOSED
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
            "proposed_reasons",
            "proposed_by",
            "proposed_at",
            "state",
        ],
    )
    report.created = len(to_create)
    report.proposed = len(to_create) + len(to_update)
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


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "trống"
    if isinstance(value, bool):
        return "có" if value else "không"
    return str(value)


FIELD_LABELS = {
    "score": "điểm",
    "tasks_total": "số nhiệm vụ",
    "tasks_on_time": "số hoàn thành đúng hạn",
    "tasks_above_requirement": "số vượt yêu cầu",
    "tasks_late": "số chậm",
    "degradation_concluded": "kết luận suy thoái",
    "professional_level": "xếp loại chuyên môn",
    "grades": "mức từng tiêu chí",
}


def _field_label(name: str) -> str:
    return FIELD_LABELS.get(name.split(".")[0].split("[")[0], name)


# --------------------------------------------------------------------------------------------
# Re-running the engine on stored inputs (a committee after a pack change; the bench)
# --------------------------------------------------------------------------------------------


def _subtree(org: PartyOrg) -> Q:
    return Q(org_path__startswith=org.path)


@transaction.atomic
def recompute_proposals(*, actor: Any, period: Period, org: PartyOrg) -> ProposalReport:
    """Re-run the engine on the stored inputs of every proposed rating in a subtree.

    Used when the period's pack changed, and by the benchmark: one streaming read, the engine in
    memory, batched writes, one audit event. Ratings already decided are left alone.
    """
    require(actor, Action.DECIDE_EVALUATION, org)
    period = Period.objects.select_related("pack").get(pk=period.pk)
    _check_period(period, org, states=(PeriodState.OPEN,))
    pack = period_pack(period)
    table = rules_ratings.reason_table(pack)
    discipline = _disciplines(period, Q(member__org_path__startswith=org.path))
    now = timezone.now()
    start, end = period.start, period.end
    report = ProposalReport()
    levels: dict[str, int] = defaultdict(int)
    errors = 0
    pending: list[tuple[Any, ...]] = []
    fields = ("proposed_level", "proposed_reasons", "proposed_by", "proposed_at")
    qs = (
        Rating.objects.filter(_subtree(org), period=period, state=RatingState.PROPOSED)
        .order_by()
        .values_list(
            "id",
            "member_id",
            "subject_kind",
            "score",
            "tasks_total",
            "tasks_on_time",
            "tasks_above_requirement",
            "tasks_late",
            "degradation_concluded",
            "professional_level",
        )
    )
    empty: tuple[Discipline, ...] = ()
    period_span = (start, end)
    reasons_json = rules_ratings.reasons_json
    for pk, member_id, kind, score, total, on_time, above, late, degr, prof in qs.iterator(
        chunk_size=BATCH
    ):
        subject = SubjectInput(
            subject_kind=kind,
            period=period_span,
            # A 2-decimal score as a float is exact for the engine (its fast path).
            score=None if score is None else float(score),
            tasks_total=total,
            tasks_on_time=on_time,
            tasks_above_requirement=above,
            tasks_late=late,
            disciplines=discipline.get(member_id, empty),
            degradation_concluded=degr,
            professional_level=prof or None,
        )
        try:
            result = evaluate(subject, pack)
        except SubjectInputError:
            errors += 1
            continue
        levels[result.level] += 1
        pending.append((pk, result.level, reasons_json(result.raw_reasons, table), actor.pk, now))
        if len(pending) >= BATCH:
            bulk_write(Rating, fields, pending)
            report.proposed += len(pending)
            pending = []
    bulk_write(Rating, fields, pending)
    report.proposed += len(pending)
    report.levels = dict(levels)
    if errors:
        report.skipped.append(("", f"{errors} hồ sơ có số liệu không hợp lệ, chưa tính lại"))
    audit.record(
        actor=actor,
        action="evaluations.ratings.recompute",
        obj=org,
        org_path=org.path,
        changes={
            "period": period.pk,
            "proposed": report.proposed,
            "invalid": errors,
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


# --------------------------------------------------------------------------------------------
# The committee's decision
# --------------------------------------------------------------------------------------------


@dataclass
class DecisionReport:
    """What a decision did, with counts for the audit event and the page."""

    collectives: int = 0
    decided: int = 0
    capped_by_collective: int = 0
    capped_by_quota: int = 0
    waiting_heads: int = 0
    not_proposed: int = 0
    kept: int = 0  # overridden, published or locked: left as they are
    levels: dict[str, int] = field(default_factory=dict)
    units: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__.items())


_ROW = (
    "id",
    "org_path",
    "subject_kind",
    "position_group",
    "is_head",
    "headed_org_id",
    "score",
    "tasks_total",
    "tasks_on_time",
    "tasks_above_requirement",
    "tasks_late",
    "proposed_level",
    "state",
    "note",
)


class _Units:
    """The deciding unit of every organisation path: nearest ancestor-or-self of a decider type."""

    def __init__(self, org: PartyOrg, types: frozenset[str]) -> None:
        self.root = org.path
        self.kinds = dict(
            PartyOrg.objects.filter(path__startswith=org.path).values_list("path", "org_type")
        )
        self.types = types
        self.cache: dict[str, str] = {}

    def of(self, path: str) -> str:
        hit = self.cache.get(path)
        if hit is not None:
            return hit
        unit = self.root
        cut = len(path)
        while cut > len(self.root):
            prefix = path[:cut]
            if self.kinds.get(prefix) in self.types:
                unit = prefix
                break
            cut = path.rfind(".", 0, cut - 1) + 1
        self.cache[path] = unit
        return unit


def _decide_collectives(
    period: Period, org: PartyOrg, pack: RulePack, actor: Any, now: datetime, report: DecisionReport
) -> dict[int, str]:
    """Decide the proposed collectives below `org`, lower levels first; return org → level."""
    rows = list(
        OrgRating.objects.filter(period=period, org_path__startswith=org.path)
        .exclude(org=org)
        .exclude(proposed_level="")
        .exclude(state__in=FIXED_STATES)
        .values_list(
            "id",
            "org_id",
            "org_path",
            "score",
            "tasks_total",
            "tasks_above_requirement",
            "proposed_level",
        )
    )
    ordered = rules_ratings.collective_order((r[2], r) for r in rows)
    members = [
        GroupMember(
            key=f"{pk:012d}",
            group="tap_the",
            subject=SubjectInput(
                subject_kind=SubjectKind.COLLECTIVE,
                period=(period.start, period.end),
                score=score,
                tasks_total=max(total, 1),
                tasks_on_time=0,
                tasks_above_requirement=min(above, max(total, 1)),
            ),
            result=Result(Level(level), pack.code, ()),
        )
        for pk, _org, _path, score, total, above, level in ordered
    ]
    out = apply_quota(members, pack)
    writes = [
        (row[0], m.result.level, _text_reasons(m.result.raw_reasons), actor.pk, now, "decided")
        for row, m in zip(ordered, out, strict=True)
    ]
    bulk_write(OrgRating, ("level", "reasons", "decided_by", "decided_at", "state"), writes)
    report.collectives = len(writes)
    levels = dict(
        OrgRating.objects.filter(period=period).exclude(level="").values_list("org_id", "level")
    )
    return levels


def _text_reasons(raws: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [rules_ratings.text_reason(r[0], r[1], r[2] + r[3] + r[4]) for r in raws]


def decide_scope(
    *, actor: Any, period: Period, org: PartyOrg, pack: RulePack, now: datetime
) -> DecisionReport:
    """Decide every proposed rating under `org` set-wise (call inside a transaction)."""
    report = DecisionReport()
    if org.org_type in collective_deciders(pack):
        collective_levels = _decide_collectives(period, org, pack, actor, now, report)
    else:
        collective_levels = dict(
            OrgRating.objects.filter(period=period).exclude(level="").values_list("org_id", "level")
        )
    proposed_collectives = dict(
        OrgRating.objects.filter(period=period, level="")
        .exclude(proposed_level="")
        .values_list("org_id", "proposed_level")
    )
    units = _Units(org, member_deciders(pack))
    start, end = period.start, period.end
    qs = (
        Rating.objects.filter(_subtree(org), period=period)
        .order_by("org_path", "id")
        .values_list(*_ROW)
    )
    fields = ("level", "reasons", "decided_by", "decided_at", "state")
    pending: list[tuple[Any, ...]] = []
    levels: dict[str, int] = defaultdict(int)
    actor_pk, decided = actor.pk, RatingState.DECIDED
    span = (start, end)
    # Only HTXSNV candidates are ranked by the tie rule; the others of a group are counted by
    # level and kind, so they share one subject per kind and one result per level.
    shared_subject = {
        k: SubjectInput(subject_kind=k, period=span, tasks_total=1, tasks_on_time=1)
        for k in SubjectKind
    }
    shared_result = {lv: Result(Level(lv), pack.code, ()) for lv in LEVEL_RANK}

    def flush_unit(batch: list[GroupMember], extra: dict[str, list[dict[str, Any]]]) -> None:
        if not batch:
            return
        report.units += 1
        for m in apply_quota(batch, pack):
            level = m.result.level
            raws = m.result.raw_reasons
            head = extra.get(m.key)
            if not raws and head is None:
                reasons: Any = "[]"  # kept as proposed: nothing to add (the common case)
            else:
                if any(r[0] == "quota" and not r[1] for r in raws):
                    report.capped_by_quota += 1
                reasons = (head or []) + _text_reasons(r for r in raws if r[0] == "quota")
            pending.append((int(m.key), level, reasons, actor_pk, now, decided))
            levels[level] += 1

    current_unit = None
    batch: list[GroupMember] = []
    extra: dict[str, list[dict[str, Any]]] = {}
    for (
        pk,
        path,
        kind,
        group,
        is_head,
        headed,
        score,
        total,
        on_time,
        above,
        late,
        proposed,
        state,
        note,
    ) in qs.iterator(chunk_size=BATCH):
        unit = units.of(path)
        if unit != current_unit:
            flush_unit(batch, extra)
            batch, extra = [], {}
            current_unit = unit
            if len(pending) >= BATCH:
                bulk_write(Rating, fields, pending)
                report.decided += len(pending)
                pending.clear()
        if state in FIXED_STATES or (state == RatingState.DECIDED and note):
            report.kept += 1
            continue
        if not proposed:
            report.not_proposed += 1
            continue
        result = shared_result[proposed]
        key = f"{pk:012d}"
        if is_head and headed is not None:
            collective = collective_levels.get(headed)
            note_text = ""
            if collective is None:
                collective = proposed_collectives.get(headed)
                note_text = " (theo mức đề xuất của tập thể, chưa quyết định)"
            if collective is None:
                report.waiting_heads += 1
                continue
            capped = apply_head_cap(result, collective, pack)
            if capped.level != result.level:
                report.capped_by_collective += 1
            extra[key] = [
                rules_ratings.text_reason(r[0], r[1], r[2] + r[3] + r[4] + note_text)
                for r in capped.raw_reasons
            ]
            result = shared_result[capped.level]
        if result.level == Level.HTXSNV:
            subject = SubjectInput(
                subject_kind=kind,
                period=span,
                score=None if score is None else float(score),
                tasks_total=max(total, 1),
                tasks_on_time=on_time,
                tasks_above_requirement=min(above, max(total, 1)),
                tasks_late=late,
            )
        else:
            subject = shared_subject[kind]
        batch.append(GroupMember(key=key, group=group, subject=subject, result=result))
    flush_unit(batch, extra)
    bulk_write(Rating, fields, pending)
    report.decided += len(pending)
    report.levels = dict(levels)
    return report


@transaction.atomic
def decide(*, actor: Any, period: Period, org: PartyOrg) -> DecisionReport:
    """Decide the ratings of a committee's scope: collectives, heads capped, then the quota.

    The committee must be of a type the pack names as decider (e.g. đảng ủy cơ sở) or above it;
    quota groups are the position groups within each deciding unit under `org`.
    """
    require(actor, Action.DECIDE_EVALUATION, org)
    period = Period.objects.select_for_update().select_related("pack").get(pk=period.pk)
    _check_period(period, org, states=(PeriodState.OPEN, PeriodState.PUBLISHED))
    pack = period_pack(period)
    if not may_decide_at(pack, org):
        names = ", ".join(d.decider_name for d in pack.decisions)
        raise ValidationError(
            f"{org.name} không phải cấp quyết định xếp loại theo gói {pack.code} ({names})."
        )
    report = decide_scope(actor=actor, period=period, org=org, pack=pack, now=timezone.now())
    audit.record(
        actor=actor,
        action="evaluations.ratings.decide",
        obj=org,
        org_path=org.path,
        changes={"period": period.pk, **report.as_dict()},
    )
    return report


@transaction.atomic
def decide_one(*, actor: Any, rating: Rating, level: str, reason: str) -> Rating:
    """Override one member's decided level with the committee's recorded reason."""
    rating = Rating.objects.select_for_update().select_related("period", "org").get(pk=rating.pk)
    require(actor, Action.DECIDE_EVALUATION, rating.org)
    period = rating.period
    if period.state == PeriodState.CLOSED or rating.state == RatingState.LOCKED:
        raise ValidationError("Kỳ đánh giá đã kết thúc, kết quả đã khóa: không thể sửa.")
    if level not in LEVEL_RANK:
        raise ValidationError({"level": ["Mức xếp loại không hợp lệ."]})
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ["Cần ghi lý do cấp ủy quyết định khác."]})
    before = rating.level or rating.proposed_level
    rating.level = level
    rating.note = reason
    rating.reasons = [
        *[r for r in rating.reasons or [] if r.get("rule") != OVERRIDE_RULE],
        rules_ratings.text_reason(
            OVERRIDE_RULE,
            True,
            f"Cấp ủy quyết định mức {level} (trước đó {before or 'chưa có'}). Lý do: {reason}",
        ),
    ]
    rating.decided_by = actor
    rating.decided_at = timezone.now()
    if rating.state == RatingState.PROPOSED:
        rating.state = RatingState.DECIDED
    rating.save(update_fields=["level", "note", "reasons", "decided_by", "decided_at", "state"])
    audit.record(
        actor=actor,
        action="evaluations.ratings.decide_one",
        obj=rating,
        org_path=rating.org_path,
        changes={"level": [before, level], "reason": reason},
    )
    return rating
