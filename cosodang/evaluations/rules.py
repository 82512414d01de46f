"""Pure rating engine: a subject's inputs + a rule pack → proposed level and the reasons.

No Django here. ``evaluate`` rates one subject; ``apply_quota`` and ``apply_head_cap`` apply the
group-level caps afterwards; ``evaluate_posts`` combines a member's several posts.

Documented choices (see also the pack files):

* **Score type.** ``score`` accepts ``Decimal``, ``int`` or ``float`` and is read as an exact
  decimal with at most 2 places (a float through its shortest ``repr``, so ``89.99`` is exactly
  89.99). More places are refused, never rounded: rounding 89.995 would move a level boundary.
  Comparisons are on integer hundredths, so 49.99/50/69.99/70/89.99/90 behave exactly.
* **Task counts.** ``tasks_on_time`` and ``tasks_late`` are disjoint parts of ``tasks_total``
  (completed = on time + late); ``tasks_above_requirement`` ≤ completed. For a leader the counts
  are those of the area or unit he or she directly leads, which is what QĐ 366 Điều 11 measures.
  Ratios are compared exactly by cross-multiplying integers.
* **Order of checks.** KHTNV triggers first (all listed). If none fires, levels are cumulative
  (a level needs its own threshold and conditions and those of every lower level), so they are
  checked from HTNV up and the level is the highest reached; then caps, then the head cap.
* **Absent optional data** (``facts``, subordinate counts, ``low_confidence_ratio`` …) counts as
  "no such finding"; a rule on a value that does not apply (no professional rating) is listed as
  not applicable and does not block.
* **Order of group caps.** Rate collectives and apply their quota first; then rate individuals
  with ``collective_level`` (head cap inside ``evaluate``), then ``apply_quota`` over the
  individuals' comparison groups, so quota places are not spent on heads capped anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction

from cosodang.evaluations.engine import (
    Compiled,
    Ctx,
    Discipline,
    GroupMember,
    RawReason,
    Reason,
    Result,
    Rung,
    SubjectInput,
    SubjectInputError,
    compiled,
    decimal_input,
    hundredths_text,
    run_check,
    source_text,
)
from cosodang.evaluations.schema import LEVEL_RANK, Level, RulePack, SubjectKind

__all__ = [
    "Discipline",
    "GroupMember",
    "QuotaPlace",
    "Reason",
    "Result",
    "SubjectInput",
    "SubjectInputError",
    "apply_head_cap",
    "apply_quota",
    "evaluate",
    "evaluate_posts",
    "quota_allowed",
    "quota_places",
    "quota_reason",
    "score_hundredths",
]

# --------------------------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------------------------


def score_hundredths(score: Decimal | int | float) -> int:
    """Return a 0–100 score as exact integer hundredths; refuse more than 2 decimal places."""
    t = type(score)
    if t is float and 0.0 <= score <= 100.0:
        # Exact without Decimal: h/100 == score holds iff the float's shortest repr has at most
        # two decimals (h/100 is correctly rounded, so it is the double nearest to h hundredths).
        h = round(score * 100)
        if h / 100 == score:
            return h
    elif t is int and 0 <= score <= 100:
        return int(score) * 100
    d = decimal_input(score, "score") * 100
    if d != d.to_integral_value():
        raise SubjectInputError("score", "tối đa 2 chữ số thập phân")
    h = int(d)
    if not 0 <= h <= 10000:
        raise SubjectInputError("score", "phải trong khoảng 0–100")
    return h


def _count(value: object, field: str) -> int:
    if type(value) is not int or value < 0:
        raise SubjectInputError(field, "phải là số nguyên ≥ 0")
    return value


def _check_tasks(s: SubjectInput) -> None:
    """Name the task field that breaks the rules (the fast path in _prepare failed)."""
    total = _count(s.tasks_total, "tasks_total")
    if total < 1:
        raise SubjectInputError("tasks_total", "phải ≥ 1 (cần số nhiệm vụ được giao để tính tỷ lệ)")
    on_time = _count(s.tasks_on_time, "tasks_on_time")
    late = _count(s.tasks_late, "tasks_late")
    if on_time > total:
        raise SubjectInputError("tasks_on_time", "không được lớn hơn tasks_total")
    if on_time + late > total:
        raise SubjectInputError(
            "tasks_late", "tasks_on_time + tasks_late không được quá tasks_total"
        )
    if _count(s.tasks_above_requirement, "tasks_above_requirement") > on_time + late:
        raise SubjectInputError(
            "tasks_above_requirement", "không được lớn hơn số nhiệm vụ đã hoàn thành"
        )


def _check_units(s: SubjectInput) -> None:
    """Validate the optional counts about subordinate units and shortcomings."""
    sub_total = _count(s.subordinate_units_total, "subordinate_units_total")
    for name in ("subordinate_units_disciplined", "subordinate_units_khtnv"):
        if _count(getattr(s, name), name) > sub_total:
            raise SubjectInputError(name, "không được lớn hơn subordinate_units_total")
    _count(s.shortcomings_unremedied, "shortcomings_unremedied")


def _prepare(s: SubjectInput, c: Compiled) -> Ctx:
    """Validate the subject against the pack and derive the per-evaluation values."""
    kind = s.subject_kind
    if kind not in c.triggers:
        raise SubjectInputError("subject_kind", f"không hợp lệ ({', '.join(SubjectKind)})")
    start, end = s.period
    if not (isinstance(start, date) and isinstance(end, date)):
        raise SubjectInputError("period", "phải là (ngày bắt đầu, ngày kết thúc)")
    if end < start:
        raise SubjectInputError("period", "ngày kết thúc trước ngày bắt đầu")
    # One combined test on the hot path; _check_tasks names the field when it fails.
    total, on_time, late = s.tasks_total, s.tasks_on_time, s.tasks_late
    above = s.tasks_above_requirement
    if not (
        type(total) is int
        and type(on_time) is int
        and type(late) is int
        and type(above) is int
        and on_time >= 0
        and late >= 0
        and 0 <= above <= on_time + late <= total
        and total >= 1
    ):
        _check_tasks(s)
    units = (
        s.subordinate_units_total,
        s.subordinate_units_disciplined,
        s.subordinate_units_khtnv,
        s.shortcomings_unremedied,
    )
    if any(units) or not all(type(u) is int for u in units):
        _check_units(s)
    low = s.low_confidence_ratio
    if low is not None and not 0 <= decimal_input(low, "low_confidence_ratio") <= 1:
        raise SubjectInputError("low_confidence_ratio", "phải trong khoảng 0–1")
    for name, value in (
        ("professional_level", s.professional_level),
        ("collective_level", s.collective_level),
    ):
        if value is not None and value not in LEVEL_RANK:
            raise SubjectInputError(name, f"mức không hợp lệ ({', '.join(LEVEL_RANK)})")
    if s.collective_level is not None and kind == SubjectKind.COLLECTIVE:
        raise SubjectInputError(
            "collective_level", "chỉ dùng cho người đứng đầu, không cho tập thể"
        )
    if type(s.degradation_concluded) is not bool:
        raise SubjectInputError("degradation_concluded", "phải là true hoặc false")
    if s.facts and not s.facts <= c.facts:
        unknown = ", ".join(sorted(set(s.facts) - c.facts))
        raise SubjectInputError("facts", f"sự việc không có trong gói: {unknown}")
    score_h: int | None = None
    if c.scored:
        if s.score is None:
            raise SubjectInputError("score", "bắt buộc với gói quy tắc chấm điểm")
        score_h = score_hundredths(s.score)
    elif s.score is not None:
        score_h = score_hundredths(s.score)
    ctx = Ctx(s, score_h)
    once = c.pack.discipline.count_once
    if s.disciplines:
        own = "collective" if kind == SubjectKind.COLLECTIVE else "individual"
        ctx.viol = _violations(s.disciplines, s.period, once, c, "disciplines", own)
    if s.leadership_disciplines:
        ctx.lead_viol = _violations(
            s.leadership_disciplines, s.period, once, c, "leadership_disciplines", "individual"
        )
    if c.grade_rank:
        ctx.grade_min = _grade_minima(s, c)
    return ctx


def _violations(
    items: Sequence[Discipline],
    period: tuple[date, date],
    once: bool,
    c: Compiled,
    field: str,
    subject: str,
) -> list[tuple[int, str]]:
    """Return (severity, form) per violation counted in the period, most severe form kept."""
    start, end = period
    found: dict[object, tuple[int, str]] = {}
    for i, d in enumerate(items):
        if c.applies_to.get(d.form) not in (subject, "both"):
            forms = ", ".join(f for f, to in c.applies_to.items() if to in (subject, "both"))
            raise SubjectInputError(f"{field}[{i}].form", f"hình thức không hợp lệ ({forms})")
        if not isinstance(d.date, date):
            raise SubjectInputError(f"{field}[{i}].date", "phải là một ngày")
        # Only decisions within the period count; a violation counts once (HD 21).
        if not start <= d.date <= end or (once and d.counted_before):
            continue
        key: object = d.violation if once and d.violation else i
        sev = c.severity[d.form]
        if key not in found or sev > found[key][0]:
            found[key] = (sev, d.form)
    return list(found.values())


def _grade_minima(s: SubjectInput, c: Compiled) -> dict[str, int]:
    fw_id = s.framework or c.default_framework.get(s.subject_kind)
    if fw_id not in c.frameworks:
        raise SubjectInputError("framework", f"không có khung tiêu chí '{fw_id}' trong gói")
    criteria = c.frameworks[fw_id][1]
    if s.grades is None:
        raise SubjectInputError("grades", "bắt buộc: gói này xếp mức từng tiêu chí")
    for code in s.grades:
        if code not in criteria:
            raise SubjectInputError(f"grades.{code}", "không phải tiêu chí của khung")
    minima = {"min_grade": 99, "min_grade_general": 99, "min_grade_tasks": 99}
    for code, group in criteria.items():
        grade = s.grades.get(code)
        if grade is None:
            raise SubjectInputError(f"grades.{code}", "chưa xếp mức tiêu chí này")
        rank = c.grade_rank.get(grade)
        if rank is None:
            raise SubjectInputError(
                f"grades.{code}", f"mức không hợp lệ ({', '.join(c.grade_rank)})"
            )
        key = "min_grade_general" if group == "general" else "min_grade_tasks"
        minima[key] = min(minima[key], rank)
        minima["min_grade"] = min(minima["min_grade"], rank)
    return {k: v for k, v in minima.items() if v != 99}


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------

_new = tuple.__new__  # builds a NamedTuple without the Python-level __new__ frame


def evaluate(subject: SubjectInput, pack: RulePack) -> Result:
    """Rate one subject under a pack; raise SubjectInputError naming a bad field."""
    c = compiled(pack)
    ctx = _prepare(subject, c)
    kind = subject.subject_kind
    reasons: list[RawReason] = []
    add = reasons.append
    fired = False
    for check in c.triggers[kind]:
        fn = check.single
        holds, shown = fn(ctx) if fn is not None else run_check(check, ctx)
        if holds:
            fired = True
            add((check.rule, False, check.head, shown, check.fail_tail))
        else:
            tail = check.ok_tail if holds is False else check.na_tail
            add((check.rule, True, check.head, shown, tail))
    level = Level.KHTNV
    if not fired:
        level = _climb(c.ladder[kind], ctx, add)
        for check in c.caps[kind]:
            holds, shown = run_check(check, ctx)
            tail = check.na_tail if holds is None else check.fail_tail if holds else check.ok_tail
            add((check.rule, not holds, check.head, shown, tail))
            if holds and LEVEL_RANK[level] > LEVEL_RANK[str(check.level)]:
                level = Level(str(check.level))
    result = _new(Result, (level, pack.code, tuple(reasons)))
    if subject.collective_level is not None:
        result = apply_head_cap(result, subject.collective_level, pack)
    return result


def _climb(ladder: tuple[Rung, ...], ctx: Ctx, add: Callable[[RawReason], None]) -> Level:
    """Return the highest level reached from HTNV up (levels are cumulative), adding reasons."""
    reached = Level.KHTNV
    for rung in ladder:
        ok = True
        if rung.threshold is not None:
            h = ctx.score_h
            assert h is not None
            ok = h >= rung.threshold
            tail = rung.ok_tail if ok else rung.fail_tail
            add((rung.rule, ok, rung.head, hundredths_text(h), tail))
        for check in rung.checks:
            fn = check.single
            holds, shown = fn(ctx) if fn is not None else run_check(check, ctx)
            if holds is False:
                ok = False
                add((check.rule, False, check.head, shown, check.fail_tail))
            else:
                tail = check.ok_tail if holds else check.na_tail
                add((check.rule, True, check.head, shown, tail))
        if not ok:
            break
        reached = rung.level
    return reached


def apply_head_cap(result: Result, collective_level: str, pack: RulePack) -> Result:
    """Cap a head's level at the level of the collective he or she heads (if the pack says so)."""
    rule = pack.head_cap
    if not rule.enabled:
        return result
    if collective_level not in LEVEL_RANK:
        raise SubjectInputError("collective_level", f"mức không hợp lệ ({', '.join(LEVEL_RANK)})")
    src = source_text(rule.source, rule.confirmed)
    if LEVEL_RANK[result.level] <= LEVEL_RANK[collective_level]:
        reason = Reason(
            "head_cap",
            True,
            f"Người đứng đầu: mức {result.level} không cao hơn mức của tập thể "
            f"({collective_level}) — đạt. {src}",
        )
        return result._replace(raw_reasons=(*result.raw_reasons, reason))
    reason = Reason(
        "head_cap",
        False,
        f"Người đứng đầu: mức {result.level} cao hơn mức của tập thể ({collective_level}); "
        f"hạ xuống {collective_level}. {src}",
    )
    return Result(Level(collective_level), result.pack_code, (*result.raw_reasons, reason))


# --------------------------------------------------------------------------------------------
# Quota over a comparison group
# --------------------------------------------------------------------------------------------


def _tie_key(m: GroupMember) -> tuple[int, Fraction, str]:
    # Score desc (grade regimes have none: all tie), above-requirement share desc, key asc.
    s = m.subject
    score = score_hundredths(s.score) if s.score is not None else 0
    return (-score, -Fraction(s.tasks_above_requirement, s.tasks_total), m.key)


def quota_allowed(pack: RulePack, candidates: int, others: int) -> int:
    """Return how many of ``candidates`` proposed HTXSNV in one group keep HTXSNV.

    ``basis = "httnv"`` reads "HTXSNV ≤ max_ratio × HTTNV" on the *final* counts, as an auditor
    checks the published list. Each demoted candidate becomes HTTNV (levels are cumulative, so
    an HTXSNV subject meets HTTNV), so with X candidates, T = ``others`` proposed HTTNV and
    r = p/q, keeping k needs k ≤ r·(T + X − k), i.e. k = min(X, ⌊p·(T + X) / (p + q)⌋):
    at 20 %, at most one in six of the two top levels. ``basis = "rated"`` reads
    "HTXSNV ≤ max_ratio × everyone rated in the group"; ``others`` is then everyone else rated.
    """
    ratio = Fraction(pack.quota.max_ratio)
    p, q = ratio.numerator, ratio.denominator
    if pack.quota.basis == "rated":
        return min(candidates, (candidates + others) * p // q)
    return min(candidates, (others + candidates) * p // (p + q))


@dataclass(frozen=True, slots=True)
class QuotaPlace:
    """Where one HTXSNV candidate stands in its group's quota (all a quota reason needs)."""

    group: str
    rank: int  # 1 = best by the tie rule
    of: int  # candidates in the group
    allowed: int  # candidates who keep HTXSNV
    tied: bool  # demoted while tied with the last one kept (decided by key)

    @property
    def kept(self) -> bool:
        return self.rank <= self.allowed


def quota_places(members: Sequence[GroupMember], pack: RulePack) -> dict[int, QuotaPlace]:
    """Return the quota place of every HTXSNV candidate, by index in ``members``.

    Only subjects of the quota's kinds count; candidates are ranked by the tie rule (see
    ``apply_quota``). Empty when the pack has no quota.
    """
    quota = pack.quota
    if not quota.enabled:
        return {}
    groups: dict[str, list[int]] = {}
    for i, m in enumerate(members):
        if m.subject.subject_kind in quota.kinds:
            groups.setdefault(m.group, []).append(i)
    places: dict[int, QuotaPlace] = {}
    for group, idx in groups.items():
        ranked = sorted(
            (_tie_key(members[i]), i) for i in idx if members[i].result.level == Level.HTXSNV
        )
        if not ranked:
            continue
        if quota.basis == "httnv":
            others = sum(1 for i in idx if members[i].result.level == Level.HTTNV)
        else:
            others = len(idx) - len(ranked)
        allowed = quota_allowed(pack, len(ranked), others)
        boundary = ranked[allowed - 1][0][:2] if allowed else None
        for rank, (key, i) in enumerate(ranked, 1):
            tied = rank > allowed and key[:2] == boundary
            places[i] = QuotaPlace(group, rank, len(ranked), allowed, tied)
    return places


def quota_reason(place: QuotaPlace, pack: RulePack) -> Reason:
    """Return the reason the quota gives a candidate at ``place`` (kept or demoted)."""
    quota = pack.quota
    src = source_text(quota.source, quota.confirmed)
    pct = f"{round(float(quota.max_ratio) * 100, 2):g}%"
    of = "số HTTNV" if quota.basis == "httnv" else "số được xếp loại"
    where = (
        f"nhóm '{place.group}': thứ {place.rank}/{place.of}, được tối đa {place.allowed} "
        f"(HTXSNV ≤ {pct} {of})"
    )
    if place.kept:
        return Reason("quota", True, f"Trong tỷ lệ HTXSNV của {where}. {src}")
    tie = " Đồng hạng với người cuối được giữ; phân định theo mã." if place.tied else ""
    return Reason("quota", False, f"Vượt tỷ lệ HTXSNV của {where}; hạ xuống HTTNV.{tie} {src}")


def apply_quota(members: Sequence[GroupMember], pack: RulePack) -> list[GroupMember]:
    """Cap HTXSNV per comparison group (``group``), recording a reason on every candidate.

    Only subjects of the quota's kinds count. Apply head caps first (see the module notes).
    Candidates are ranked by the tie rule: score descending, then the share of tasks above
    requirement descending, then ``key`` ascending (string order; pass zero-padded ids), so the
    outcome never depends on input order. Demoted candidates become HTTNV. Returns the members
    in input order.
    """
    out = list(members)
    for i, place in quota_places(members, pack).items():
        m = members[i]
        reasons = (*m.result.raw_reasons, quota_reason(place, pack))
        level = m.result.level if place.kept else Level.HTTNV
        out[i] = replace(m, result=Result(level, m.result.pack_code, reasons))
    return out


# --------------------------------------------------------------------------------------------
# Several posts
# --------------------------------------------------------------------------------------------


def evaluate_posts(subjects: Sequence[SubjectInput], pack: RulePack) -> Result:
    """Rate a member holding several posts: one evaluation per post, then combine.

    HD 43: "a cadre holding several posts is reviewed in each corresponding place" (rules.md
    §1.2). How the places combine is not stated; the pack's ``several_posts.combine`` decides:
    ``lowest`` (default, not confirmed) — the overall level is the lowest per-post level, since
    the member must complete the tasks of every post; ``main`` — the first post's level.
    """
    if not subjects:
        raise SubjectInputError("posts", "cần ít nhất một chức vụ")
    results = [evaluate(s, pack) for s in subjects]
    reasons: list[Reason] = []
    for s, r in zip(subjects, results, strict=True):
        label = s.post or "chức vụ"
        reasons.extend(Reason(x.rule, x.passed, f"[{label}] ", x.detail) for x in r.reasons)
    rule = pack.several_posts
    if rule.combine == "main":
        chosen = results[0]
        how = f"mức tại chức vụ chính ({subjects[0].post or 'thứ nhất'})"
    else:
        chosen = min(results, key=lambda r: LEVEL_RANK[r.level])
        how = "mức thấp nhất trong các chức vụ"
    levels = ", ".join(
        f"{s.post or i + 1}: {r.level}"
        for i, (s, r) in enumerate(zip(subjects, results, strict=True))
    )
    reasons.append(
        Reason(
            "several_posts",
            True,
            f"Nhiều chức vụ ({levels}): mức chung = {how} = {chosen.level}. "
            f"{source_text(rule.source, rule.confirmed)}",
        )
    )
    return Result(chosen.level, pack.code, tuple(reasons))
