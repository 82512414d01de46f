"""A member's rating inputs and the reasons of a rating, rebuilt on read.

The cell's inputs (`Inputs`, `Adjustment`), what the engine makes of them (`run_engine`,
`subjects_of`, `proposal_extra`) and the reasons shown for a stored rating: the proposal's
rebuilt by the engine from the stored inputs and `Rating.extra` (`proposal_reasons`), the
decision's from the short code in `Rating.steps` (`decision_reasons`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from cosodang.evaluations import rules_ratings
from cosodang.evaluations.models import (
    Period,
    Rating,
)
from cosodang.evaluations.rules import (
    Discipline,
    QuotaPlace,
    Result,
    SubjectInput,
    SubjectInputError,
    apply_head_cap,
    evaluate,
    evaluate_posts,
    quota_reason,
)
from cosodang.evaluations.schema import LEVEL_RANK, Level, RulePack
from cosodang.evaluations.services.rating_base import (
    ADJUSTED_RULE,
    INPUT_FIELDS,
    OVERRIDE_RULE,
    _field_label,
    period_pack,
)

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
