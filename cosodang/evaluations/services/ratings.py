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

Reasons of a member's rating are not stored (the rows stay narrow for a million-row pass): the
proposal's are rebuilt on read by the engine from the stored inputs, `Rating.extra` and the
period's pack (`proposal_reasons`); the decision's steps after the proposal (head cap, quota
place, override) are a short code in `Rating.steps` rebuilt into sentences by
`decision_reasons`. Collective ratings (a few thousand rows) keep their compact stored reasons
(rules_ratings). `recompute_and_decide` re-proposes and decides a whole scope in one pass that
writes each rating row once.
"""

from __future__ import annotations

import json
import typing
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
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
    CalibrationGroup,
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
    Discipline,
    GroupMember,
    QuotaPlace,
    Result,
    SubjectInput,
    SubjectInputError,
    apply_head_cap,
    apply_quota,
    evaluate,
    evaluate_posts,
    quota_places,
    quota_reason,
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


def _json_text(value: Any) -> str | None:
    # A str is JSON text already (rules_ratings.reasons_json); None is SQL NULL.
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def bulk_write(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    constants: Mapping[str, Any] | None = None,
) -> None:
    """Set `fields` of the rows `(pk, *values)`; COPY + one UPDATE on PostgreSQL.

    A JSON field's value may be given as JSON text (a str), as the bulk paths do. `constants`
    (field → value) are set on every row by the UPDATE itself, not copied row by row.
    """
    if not rows:
        return
    meta = model._meta
    constants = dict(constants or {})
    cols = [typing.cast(models.Field[Any, Any], meta.get_field(name)) for name in fields]
    fixed = [
        (typing.cast(models.Field[Any, Any], meta.get_field(k)), v) for k, v in constants.items()
    ]
    if connection.vendor != "postgresql":
        objs = []
        for pk, *values in rows:
            obj = model(pk=pk)
            for f, value in zip(cols, values, strict=True):
                if f.get_internal_type() == "JSONField" and isinstance(value, str):
                    value = json.loads(value)  # JSON text from the bulk path
                setattr(obj, f.attname, value)
            for f, value in fixed:
                setattr(obj, f.attname, value)
            objs.append(obj)
        model.objects.bulk_update(  # type: ignore[attr-defined]
            objs, [*fields, *constants], batch_size=500
        )
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
        sets = ", ".join(
            [f'"{f.column}" = u."{f.column}"' for f in cols]
            + [f'"{f.column}" = %s' for f, _ in fixed]
        )
        cursor.execute(
            f'UPDATE "{table}" t SET {sets} FROM "{temp}" u WHERE t.id = u.id',
            [f.get_db_prep_value(v, connection) for f, v in fixed],
        )
        cursor.execute(f'TRUNCATE "{temp}"')


# --------------------------------------------------------------------------------------------
# The calibration summary (CalibrationGroup): written by the bulk passes, kept by the others
# --------------------------------------------------------------------------------------------

SUMMARY_FIELDS = tuple(
    f.name
    for f in CalibrationGroup._meta.concrete_fields
    if f.name not in ("id", "period", "org", "org_path", "position_group", "stale")
)


class _Summary:
    """The calibration summary of a bulk pass's scope, tallied from the rows it streams.

    ``add`` counts one rating under its deciding unit (a tuple key: cheap per row); ``fold``
    turns the units' counts into group tallies and adds each to the unit and to every
    organisation above it up to the pass's root. ``write`` replaces the period's rows of the
    scope and marks the rows of the organisations above the root stale (their subtree changed).
    """

    def __init__(self, period: Period, org: PartyOrg) -> None:
        self.period, self.root = period, org.path
        self.pending: dict[str, dict[tuple[Any, ...], int]] = defaultdict(dict)
        self.tallies: dict[str, dict[str, rules_ratings.GroupTally]] = defaultdict(dict)

    def add(self, unit: str, group: str, score: Any, proposed: str, current: str) -> None:
        counts = self.pending[unit]
        key = (group, score, proposed, current)
        counts[key] = counts.get(key, 0) + 1

    def fold(self) -> None:
        root = len(self.root)
        for unit, counts in self.pending.items():
            own: dict[str, rules_ratings.GroupTally] = defaultdict(rules_ratings.GroupTally)
            for (group, score, proposed, current), n in counts.items():
                own[group].add(score, proposed, current, n)
            targets = [p for p in rules_ratings.ancestor_paths(unit) if len(p) >= root]
            for path in targets:
                tallies = self.tallies[path]
                for group, tally in own.items():
                    mine = tallies.get(group)
                    if mine is None:
                        mine = tallies[group] = rules_ratings.GroupTally()
                    mine.merge(tally)
        self.pending.clear()

    def write(self) -> int:
        """Replace the scope's summary rows; return how many were written."""
        self.fold()
        paths = list(self.tallies)
        ids: dict[str, int] = {}
        for i in range(0, len(paths), 5000):
            ids.update(
                PartyOrg.objects.filter(path__in=paths[i : i + 5000]).values_list("path", "id")
            )
        rows = []
        for path, groups in self.tallies.items():
            for group, tally in groups.items():
                values = rules_ratings.summary_values(tally)
                rows.append((ids[path], path, group, *(values[name] for name in SUMMARY_FIELDS)))
        CalibrationGroup.objects.filter(period=self.period, org_path__startswith=self.root).delete()
        _insert_summary(self.period, rows)
        above = [p for p in rules_ratings.ancestor_paths(self.root) if p != self.root]
        if above:
            CalibrationGroup.objects.filter(period=self.period, org_path__in=above).update(
                stale=True
            )
        self.tallies.clear()
        return len(rows)


def _insert_summary(period: Period, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert summary rows (org id, path, group, *SUMMARY_FIELDS): COPY on PostgreSQL."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        CalibrationGroup.objects.bulk_create(
            [
                CalibrationGroup(
                    period=period,
                    org_id=org_id,
                    org_path=path,
                    position_group=group,
                    **dict(zip(SUMMARY_FIELDS, values, strict=True)),
                )
                for org_id, path, group, *values in rows
            ],
            batch_size=500,
        )
        return
    meta = CalibrationGroup._meta
    columns = ["period_id", "org_id", "org_path", "position_group", *SUMMARY_FIELDS, "stale"]
    names = ", ".join(f'"{c}"' for c in columns)  # the columns are the attnames here
    sql = f'COPY "{meta.db_table}" ({names}) FROM STDIN'
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row((period.pk, *row, False))


def _scope_tallies(
    period: Period, path: str, groups: Iterable[str] | None = None
) -> dict[str, rules_ratings.GroupTally]:
    """Tally the ratings of a subtree by position group from the rating rows (one query)."""
    qs = Rating.objects.filter(period=period, org_path__startswith=path)
    if groups is not None:
        qs = qs.filter(position_group__in=list(groups))
    tallies: dict[str, rules_ratings.GroupTally] = defaultdict(rules_ratings.GroupTally)
    for group, score, proposed, level, n in (
        qs.values_list("position_group", "score", "proposed_level", "level")
        .annotate(n=models.Count("id"))
        .order_by()
    ):
        tallies[group].add(score, proposed, level or proposed, n)
    return dict(tallies)


def summary_from_ratings(
    period: Period, path: str, groups: Iterable[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Return the summary values of a subtree computed afresh (group → stored columns)."""
    return {
        group: rules_ratings.summary_values(tally)
        for group, tally in _scope_tallies(period, path, groups).items()
    }


@transaction.atomic
def refresh_calibration(period: Period, org: PartyOrg) -> list[dict[str, Any]]:
    """Recompute the stale summary rows of an organisation from the ratings; return its rows.

    The stale rows are locked first, so a write that changes a rating of these groups after
    the recount waits and then marks or moves them again (nothing is lost).
    """
    stale = list(
        CalibrationGroup.objects.select_for_update()
        .filter(period=period, org=org, stale=True)
        .order_by("id")
    )
    if stale:
        fresh = summary_from_ratings(period, org.path, [r.position_group for r in stale])
        gone = []
        for row in stale:
            values = fresh.get(row.position_group)
            if values is None:
                gone.append(row.pk)
                continue
            for name, value in values.items():
                setattr(row, name, value)
            row.stale = False
        CalibrationGroup.objects.filter(pk__in=gone).delete()
        CalibrationGroup.objects.bulk_update(
            [r for r in stale if r.pk not in gone], [*SUMMARY_FIELDS, "stale"]
        )
    return [dict(r) for r in CalibrationGroup.objects.filter(period=period, org=org).values()]


def mark_calibration_stale(period: Period, path: str, groups: Iterable[str]) -> None:
    """Mark the summary rows of these groups stale in every organisation above `path`.

    An organisation that has summary rows but none for a group gets a stale row for it (a
    proposal may bring a group into its scope); one without rows is computed live anyway.
    """
    groups = sorted(set(groups))
    if not groups:
        return
    ancestors = rules_ratings.ancestor_paths(path)
    have = set(
        CalibrationGroup.objects.filter(period=period, org_path__in=ancestors).values_list(
            "org_path", "org_id", "position_group"
        )
    )
    if not have:
        return
    orgs = {(p, o) for p, o, _ in have}
    CalibrationGroup.objects.filter(
        period=period, org_path__in=[p for p, _ in orgs], position_group__in=groups
    ).update(stale=True)
    CalibrationGroup.objects.bulk_create(
        [
            CalibrationGroup(period=period, org_id=o, org_path=p, position_group=g, stale=True)
            for p, o in sorted(orgs)
            for g in groups
            if (p, o, g) not in have
        ],
        ignore_conflicts=True,
    )


def _move_current_level(rating: Rating, before: str, after: str) -> None:
    """Move one rating's current level in its ancestors' summary rows (exact, in place)."""
    if before == after:
        return
    rows = CalibrationGroup.objects.filter(
        period_id=rating.period_id,
        org_path__in=rules_ratings.ancestor_paths(rating.org_path),
        position_group=rating.position_group,
        stale=False,  # a stale row is recounted on read (and may hold zeros)
    )
    ids = list(rows.select_for_update().order_by("id").values_list("id", flat=True))
    if not ids:
        return
    changes: dict[str, Any] = {}
    if before:
        name = f"level_{before.lower()}"
        changes[name] = models.F(name) - 1
    if after:
        name = f"level_{after.lower()}"
        changes[name] = models.F(name) + 1
    CalibrationGroup.objects.filter(pk__in=ids).update(**changes)


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


def _adjusted_reasons(extra: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Return the cell's stored adjustment as a one-reason list (none if not adjusted)."""
    adjusted = (extra or {}).get("adjusted")
    return [adjusted] if isinstance(adjusted, dict) else []


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


def proposal_extra(
    *,
    post_codes: Sequence[str] = (),
    unit_tasks: Mapping[str, int] | None = None,
    grades: Mapping[str, str] | None = None,
    disciplines: Sequence[Discipline] = (),
    adjusted: Mapping[str, Any] | None = None,
    quarters: Sequence[Any] = (),
) -> dict[str, Any] | None:
    """Return the proposal's inputs that have no column of their own (None: there are none).

    Stored in ``Rating.extra`` so that the proposal's reasons can be rebuilt on read by the
    engine (``rating_reasons``) exactly as they were computed. `quarters` (QuarterResult of
    the year's Q1–Q3) are kept for the committee: informational, the engine does not use them.
    """
    extra: dict[str, Any] = {}
    if len(post_codes) > 1:
        extra["posts"] = list(post_codes)
    if unit_tasks:
        extra["unit"] = dict(unit_tasks)
    if grades:
        extra["grades"] = dict(grades)
    if disciplines:
        extra["disc"] = [[d.form, d.date.isoformat(), d.violation] for d in disciplines]
    if adjusted:
        extra["adjusted"] = dict(adjusted)
    if quarters:
        extra["quarters"] = [
            [q.quarter, q.level, None if q.score is None else str(q.score), q.decided]
            for q in quarters
        ]
    return extra or None


QUARTERS_RULE = "quarter_results"


def quarters_reason(extra: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Return the informational reason listing the year's quarter results (none if none kept).

    ``passed`` is None: the quarters are shown to the committee, no rule of the packs rates
    the year from them (docs/decisions.md).
    """
    quarters = (extra or {}).get("quarters")
    if not quarters:
        return []
    parts = []
    for quarter, level, score, decided in quarters:
        shown = f"Q{quarter} {level or 'chưa có'}"
        if score is not None:
            shown += f" ({Decimal(score).normalize():f})"
        if not decided:
            shown += " (đề xuất)"
        parts.append(shown)
    return [
        {"rule": QUARTERS_RULE, "passed": None, "detail": "Kết quả các quý: " + ", ".join(parts)}
    ]


def _extra_disciplines(extra: Mapping[str, Any] | None) -> tuple[Discipline, ...]:
    return tuple(
        Discipline(form=form, date=date.fromisoformat(day), violation=violation)
        for form, day, violation in (extra or {}).get("disc", ())
    )


def subjects_of(
    *, kind: str, period: Period, inputs: Mapping[str, Any], extra: Mapping[str, Any] | None
) -> list[SubjectInput]:
    """Return the engine's subjects of a rating from its input columns and its ``extra``."""
    extra = extra or {}
    values = Inputs(**{name: inputs[name] for name in INPUT_FIELDS})
    if values.score is not None:
        # A 2-decimal score as a float is exact for the engine; the same on every path.
        values.score = float(values.score)  # type: ignore[assignment]
    values.grades = extra.get("grades")
    return _subjects(
        kind=kind,
        post_codes=extra.get("posts", ()),
        period=period,
        inputs=values,
        disciplines=_extra_disciplines(extra),
        unit_tasks=extra.get("unit"),
    )


def _as_dicts(reasons: Iterable[Any]) -> list[dict[str, Any]]:
    return [{"rule": r.rule, "passed": bool(r.passed), "detail": r.detail} for r in reasons]


def proposal_reasons(rating: Rating, pack: RulePack | None = None) -> list[dict[str, Any]]:
    """Rebuild the reasons of a rating's proposal: the engine on its stored inputs.

    The cell's adjustment of inputs (with its reason) comes first, as the proposal showed it.
    A rating whose inputs the engine now refuses shows why instead.
    """
    pack = pack or period_pack(rating.period)
    adjusted = [
        {"rule": r["rule"], "passed": bool(r["passed"]), "detail": r["detail"]}
        for r in _adjusted_reasons(rating.extra)
    ]
    inputs = {name: getattr(rating, name) for name in INPUT_FIELDS}
    try:
        subjects = subjects_of(
            kind=rating.subject_kind, period=rating.period, inputs=inputs, extra=rating.extra
        )
        result = run_engine(subjects, pack)
    except SubjectInputError as exc:
        detail = f"{_field_label(exc.field)}: {exc.message}"
        return [
            *adjusted,
            {"rule": "invalid_input", "passed": False, "detail": detail},
            *quarters_reason(rating.extra),
        ]
    return [*adjusted, *_as_dicts(result.reasons), *quarters_reason(rating.extra)]


def decision_reasons(rating: Rating, pack: RulePack | None = None) -> list[dict[str, Any]]:
    """Rebuild the reasons of a decision's steps after the proposal (head cap, quota, override)."""
    if not rating.steps:
        return []
    pack = pack or period_pack(rating.period)
    steps = rules_ratings.decode_steps(rating.steps)
    out: list[dict[str, Any]] = []
    if steps.head and rating.proposed_level in LEVEL_RANK:
        proposal = Result(Level(rating.proposed_level), pack.code, ())
        capped = apply_head_cap(proposal, steps.head, pack)
        note = " (theo mức đề xuất của tập thể, chưa quyết định)" if steps.head_proposed else ""
        out += [{**d, "detail": d["detail"] + note} for d in _as_dicts(capped.reasons)]
    if steps.quota is not None:
        rank, of, allowed, tied = steps.quota
        place = QuotaPlace(rating.position_group, rank, of, allowed, tied)
        out += _as_dicts([quota_reason(place, pack)])
    if steps.override_from is not None:
        before = steps.override_from or "chưa có"
        out.append(
            rules_ratings.text_reason(
                OVERRIDE_RULE,
                True,
                f"Cấp ủy quyết định mức {rating.level} (trước đó {before}). Lý do: {rating.note}",
            )
        )
    return out


def rating_reasons(rating: Rating) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return (proposal's reasons, decision's reasons) of a rating, rebuilt by the engine."""
    pack = period_pack(rating.period)
    return proposal_reasons(rating, pack), decision_reasons(rating, pack)


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


class _Writer:
    """Rows `(pk, *values)` of some fields, written in batches by ``bulk_write``."""

    def __init__(
        self,
        model: type[models.Model],
        fields: Sequence[str],
        constants: Mapping[str, Any] | None = None,
    ) -> None:
        self.model, self.fields, self.constants = model, tuple(fields), constants
        self.rows: list[tuple[Any, ...]] = []
        self.count = 0

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        bulk_write(self.model, self.fields, self.rows, self.constants)
        self.count += len(self.rows)
        self.rows = []


_NO_DISCIPLINE: tuple[Discipline, ...] = ()


class _Proposer:
    """The engine on a stored rating's inputs, as a bulk pass re-proposes (no reasons kept).

    Most ratings have no ``extra`` and no discipline: one ``evaluate`` on a subject built from
    the columns. The others go through ``subjects_of`` with their ``extra``, whose disciplines
    are refreshed from the members' records (``changed_extra`` lists the rows to rewrite).
    """

    def __init__(self, period: Period, org: PartyOrg, pack: RulePack) -> None:
        self.period, self.pack = period, pack
        self.span = (period.start, period.end)
        self.discipline = _disciplines(period, Q(member__org_path__startswith=org.path))
        self.changed_extra: list[tuple[int, Any]] = []
        self.invalid = 0

    def level(
        self, pk: int, member_id: int, kind: str, values: tuple[Any, ...], extra: Any
    ) -> str | None:
        """Return the proposed level of one rating (None: the engine refuses its inputs)."""
        score, total, on_time, above, late, degr, prof = values
        disc = self.discipline.get(member_id, _NO_DISCIPLINE)
        try:
            if extra is None and not disc:
                subject = SubjectInput(
                    subject_kind=kind,
                    period=self.span,
                    score=None if score is None else float(score),
                    tasks_total=total,
                    tasks_on_time=on_time,
                    tasks_above_requirement=above,
                    tasks_late=late,
                    degradation_concluded=degr,
                    professional_level=prof or None,
                )
                return evaluate(subject, self.pack).level
            fresh = {k: v for k, v in (extra or {}).items() if k != "disc"}
            if disc:
                fresh["disc"] = [[d.form, d.date.isoformat(), d.violation] for d in disc]
            new_extra = fresh or None
            if new_extra != extra:
                self.changed_extra.append((pk, new_extra))
            inputs = dict(zip(INPUT_FIELDS, values, strict=True))
            subjects = subjects_of(kind=kind, period=self.period, inputs=inputs, extra=new_extra)
            return run_engine(subjects, self.pack).level
        except SubjectInputError:
            self.invalid += 1
            return None

    def write_extra(self) -> None:
        rows = [(pk, None if e is None else json.dumps(e)) for pk, e in self.changed_extra]
        bulk_write(Rating, ("extra",), rows)


_INPUT_ROW = (
    "score",
    "tasks_total",
    "tasks_on_time",
    "tasks_above_requirement",
    "tasks_late",
    "degradation_concluded",
    "professional_level",
)


@transaction.atomic
def recompute_proposals(*, actor: Any, period: Period, org: PartyOrg) -> ProposalReport:
    """Re-run the engine on the stored inputs of every proposed rating in a subtree.

    Used when the period's pack changed: one streaming read, the engine in memory, the narrow
    proposal columns written in batches, one audit event. Ratings already decided are left
    alone. (A committee that also decides uses ``recompute_and_decide``: one write per row.)
    """
    require(actor, Action.DECIDE_EVALUATION, org)
    period = Period.objects.select_related("pack").get(pk=period.pk)
    _check_period(period, org, states=(PeriodState.OPEN,))
    pack = period_pack(period)
    proposer = _Proposer(period, org, pack)
    now = timezone.now()
    report = ProposalReport()
    levels: dict[str, int] = defaultdict(int)
    writer = _Writer(Rating, ("proposed_level",), {"proposed_by": actor.pk, "proposed_at": now})
    # Every rating of the scope is read (the decided ones only for the calibration summary).
    units = _Units(org, member_deciders(pack))
    summary = _Summary(period, org)
    qs = (
        Rating.objects.filter(_subtree(org), period=period)
        .order_by()
        .values_list(
            "org_path",
            "position_group",
            "state",
            "proposed_level",
            "level",
            "id",
            "member_id",
            "subject_kind",
            "extra",
            *_INPUT_ROW,
        )
    )
    for path, group, state, proposed, old_level, pk, member_id, kind, extra, *values in qs.iterator(
        chunk_size=BATCH
    ):
        if state == RatingState.PROPOSED:
            level = proposer.level(pk, member_id, kind, tuple(values), extra)
            if level is not None:
                levels[level] += 1
                writer.add((pk, level))
                proposed = level
        summary.add(units.of(path), group, values[0], proposed, old_level or proposed)
    writer.flush()
    proposer.write_extra()
    summary.write()
    report.proposed = writer.count
    report.levels = dict(levels)
    if proposer.invalid:
        report.skipped.append(
            ("", f"{proposer.invalid} hồ sơ có số liệu không hợp lệ, chưa tính lại")
        )
    audit.record(
        actor=actor,
        action="evaluations.ratings.recompute",
        obj=org,
        org_path=org.path,
        changes={
            "period": period.pk,
            "proposed": report.proposed,
            "invalid": proposer.invalid,
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
    "level",
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
    *,
    actor: Any,
    period: Period,
    org: PartyOrg,
    pack: RulePack,
    now: datetime,
    proposal: ProposalReport | None = None,
) -> DecisionReport:
    """Decide every proposed rating under `org` set-wise (call inside a transaction).

    With `proposal`, the ratings still proposed are first re-proposed by the engine on their
    stored inputs, in the same pass: each rating row is then written once (proposal and
    decision together), which is what a million-member period needs.
    """
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
    span = (period.start, period.end)
    columns = [*_ROW]
    proposer = None
    if proposal is not None:
        proposer = _Proposer(period, org, pack)
        columns += ["member_id", "extra", "degradation_concluded", "professional_level"]
    qs = (
        Rating.objects.filter(_subtree(org), period=period)
        .order_by("org_path", "id")
        .values_list(*columns)
    )
    # The levels and steps per row; who, when and the state are the same for every row.
    by_proposer = {"proposed_by": actor.pk, "proposed_at": now}
    by_decider = {"decided_by": actor.pk, "decided_at": now, "state": RatingState.DECIDED}
    both = _Writer(Rating, ("proposed_level", "level", "steps"), {**by_proposer, **by_decider})
    decided_only = _Writer(Rating, ("level", "steps"), by_decider)
    proposed_only = _Writer(Rating, ("proposed_level",), by_proposer)
    levels: dict[str, int] = defaultdict(int)
    proposed_levels: dict[str, int] = defaultdict(int)
    # Only HTXSNV candidates are ranked by the tie rule; the others of a group are counted by
    # level and kind, so they share one subject per kind and one result per level.
    shared_subject = {
        k: SubjectInput(subject_kind=k, period=span, tasks_total=1, tasks_on_time=1)
        for k in SubjectKind
    }
    shared_result = {lv: Result(Level(lv), pack.code, ()) for lv in LEVEL_RANK}
    # key -> (re-proposed level or None, head step: (collective level, only proposed) or None)
    pending: dict[str, tuple[str | None, tuple[str, bool] | None, Any, str]] = {}
    summary = _Summary(period, org)

    def flush_unit(batch: list[GroupMember], unit: str) -> None:
        if not batch:
            return
        report.units += 1
        places = quota_places(batch, pack)
        for i, m in enumerate(batch):
            new_proposal, head, score, proposed = pending[m.key]
            level = m.result.level
            place = places.get(i)
            quota = None
            if place is not None:
                quota = (place.rank, place.of, place.allowed, place.tied)
                if not place.kept:
                    level = Level.HTTNV
                    report.capped_by_quota += 1
            steps = ""
            if head is not None or quota is not None:
                steps = rules_ratings.encode_steps(
                    rules_ratings.Steps(
                        head=head[0] if head else "",
                        head_proposed=bool(head and head[1]),
                        quota=quota,
                    )
                )
            if new_proposal is None:
                decided_only.add((int(m.key), level, steps))
            else:
                both.add((int(m.key), new_proposal, level, steps))
            levels[level] += 1
            summary.add(unit, m.group, score, proposed, level)
        pending.clear()

    current_unit = ""
    batch: list[GroupMember] = []
    for row in qs.iterator(chunk_size=BATCH):
        pk, path, kind, group, is_head, headed, score, total, on_time, above, late = row[:11]
        proposed, state, note, old_level = row[11:15]
        unit = units.of(path)
        if unit != current_unit:
            flush_unit(batch, current_unit)
            summary.fold()
            batch = []
            current_unit = unit
        if state in FIXED_STATES or (state == RatingState.DECIDED and note):
            report.kept += 1
            summary.add(unit, group, score, proposed, old_level or proposed)
            continue
        new_proposal = None
        if proposer is not None and state == RatingState.PROPOSED:
            member_id, extra, degr, prof = row[15:]
            values = (score, total, on_time, above, late, degr, prof)
            new_proposal = proposer.level(pk, member_id, kind, values, extra)
            if new_proposal is not None:
                proposed = new_proposal
                proposed_levels[proposed] += 1
        if not proposed:
            report.not_proposed += 1
            summary.add(unit, group, score, proposed, old_level)
            continue
        result = shared_result[proposed]
        key = f"{pk:012d}"
        head = None
        if is_head and headed is not None:
            collective = collective_levels.get(headed)
            only_proposed = False
            if collective is None:
                collective = proposed_collectives.get(headed)
                only_proposed = True
            if collective is None:
                report.waiting_heads += 1
                if new_proposal is not None:
                    proposed_only.add((pk, new_proposal))
                summary.add(unit, group, score, proposed, old_level or proposed)
                continue
            capped = apply_head_cap(result, collective, pack)
            if capped.level != result.level:
                report.capped_by_collective += 1
            if pack.head_cap.enabled:
                head = (collective, only_proposed)
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
        pending[key] = (new_proposal, head, score, proposed)
        batch.append(GroupMember(key=key, group=group, subject=subject, result=result))
    flush_unit(batch, current_unit)
    for writer in (both, decided_only, proposed_only):
        writer.flush()
    summary.write()
    report.decided = both.count + decided_only.count
    report.levels = dict(levels)
    if proposer is not None and proposal is not None:
        proposer.write_extra()
        proposal.proposed = both.count + proposed_only.count
        proposal.levels = dict(proposed_levels)
        if proposer.invalid:
            proposal.skipped.append(
                ("", f"{proposer.invalid} hồ sơ có số liệu không hợp lệ, chưa tính lại")
            )
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
def recompute_and_decide(
    *, actor: Any, period: Period, org: PartyOrg
) -> tuple[ProposalReport, DecisionReport]:
    """Re-propose every proposed rating of the scope on its stored inputs, then decide, in one pass.

    The same results as ``recompute_proposals`` then ``decide`` (collectives first, heads
    capped, the quota over every position group of every deciding unit), but one streaming
    read and one write per rating row: what a committee runs over a whole province or country.
    """
    require(actor, Action.DECIDE_EVALUATION, org)
    period = Period.objects.select_for_update().select_related("pack").get(pk=period.pk)
    _check_period(period, org, states=(PeriodState.OPEN,))
    pack = period_pack(period)
    if not may_decide_at(pack, org):
        names = ", ".join(d.decider_name for d in pack.decisions)
        raise ValidationError(
            f"{org.name} không phải cấp quyết định xếp loại theo gói {pack.code} ({names})."
        )
    proposal = ProposalReport()
    report = decide_scope(
        actor=actor, period=period, org=org, pack=pack, now=timezone.now(), proposal=proposal
    )
    audit.record(
        actor=actor,
        action="evaluations.ratings.recompute",
        obj=org,
        org_path=org.path,
        changes={"period": period.pk, "proposed": proposal.proposed, "levels": proposal.levels},
    )
    audit.record(
        actor=actor,
        action="evaluations.ratings.decide",
        obj=org,
        org_path=org.path,
        changes={"period": period.pk, **report.as_dict()},
    )
    return proposal, report


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
    # The override's reason is rebuilt on read from the level before (steps) and `note`.
    steps = rules_ratings.decode_steps(rating.steps)
    rating.steps = rules_ratings.encode_steps(replace(steps, override_from=before or ""))
    rating.decided_by = actor
    rating.decided_at = timezone.now()
    if rating.state == RatingState.PROPOSED:
        rating.state = RatingState.DECIDED
    rating.save(update_fields=["level", "note", "steps", "decided_by", "decided_at", "state"])
    _move_current_level(rating, before or "", level)
    audit.record(
        actor=actor,
        action="evaluations.ratings.decide_one",
        obj=rating,
        org_path=rating.org_path,
        changes={"level": [before, level], "reason": reason},
    )
    return rating
