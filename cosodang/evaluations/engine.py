"""Engine internals: subject inputs and results, and a rule pack compiled into checks.

``rules.py`` is the public API and re-exports the input and result types. Compiling turns each
pack rule into closures once, so ``evaluate`` only reads fields and compares integers.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, NamedTuple

from cosodang.evaluations.schema import (
    LEVEL_RANK,
    METRICS,
    Level,
    MetricType,
    Rule,
    RulePack,
    SubjectKind,
)

# --------------------------------------------------------------------------------------------
# Inputs and outputs
# --------------------------------------------------------------------------------------------


class Discipline(NamedTuple):
    """A disciplinary decision: form code and decision date.

    ``violation`` groups decisions for the same violation and ``counted_before`` marks a
    violation already counted in an earlier rating: "một vi phạm bị xử lý kỷ luật chỉ tính một
    lần khi xếp loại" (HD 21; rules.md §1.4).
    """

    form: str
    date: date
    violation: str | None = None
    counted_before: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SubjectInput:
    """One subject's inputs for one period (and one post), as in the simulator request."""

    subject_kind: str
    period: tuple[date, date]
    score: Decimal | int | float | None = None
    tasks_total: int
    tasks_on_time: int
    tasks_above_requirement: int = 0
    tasks_late: int = 0
    disciplines: Sequence[Discipline] = ()
    degradation_concluded: bool = False
    professional_level: str | None = None
    collective_level: str | None = None
    # Grade-based regimes (QĐ 132/124): grade code per criterion code of the framework.
    grades: Mapping[str, str] | None = None
    framework: str | None = None
    # Findings of a competent body named in the pack's ``facts`` (e.g. internal disunity).
    facts: frozenset[str] = frozenset()
    leadership_disciplines: Sequence[Discipline] = ()
    subordinate_units_total: int = 0
    subordinate_units_disciplined: int = 0
    subordinate_units_khtnv: int = 0
    low_confidence_ratio: Decimal | float | None = None
    shortcomings_unremedied: int = 0
    post: str = ""


class Reason(NamedTuple):
    """One threshold or condition checked; ``passed`` is False when it blocked or fired.

    ``detail`` is ``text + actual + tail``: the engine passes the rule's shared text and tail
    and only the subject's actual value, so a million results do not hold a million copies of
    each sentence; the full Vietnamese sentence is built when read. A tuple, because the
    garbage collector stops tracking tuples of strings and a bench keeps millions of them.
    """

    rule: str
    passed: bool
    text: str
    actual: str = ""
    tail: str = ""

    @property
    def detail(self) -> str:
        """Return the full Vietnamese explanation naming the rule and its source."""
        return self.text + self.actual + self.tail


RawReason = tuple[str, bool, str, str, str]


class Result(NamedTuple):
    """Proposed level under a pack, with every threshold and condition checked.

    Reasons are kept as plain tuples (``raw_reasons``): CPython stops tracking exact tuples of
    strings in the garbage collector, which a million results × ten reasons need; ``reasons``
    wraps them as ``Reason`` when read.
    """

    level: Level
    pack_code: str
    raw_reasons: tuple[RawReason, ...]

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """Return every check made, in order."""
        return tuple(map(Reason._make, self.raw_reasons))


@dataclass(frozen=True, slots=True)
class GroupMember:
    """A rated subject inside a comparison group, for ``apply_quota``."""

    key: str
    group: str
    subject: SubjectInput
    result: Result


class SubjectInputError(ValueError):
    """An input value the engine refuses; ``field`` names it (the API answers 422)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


# --------------------------------------------------------------------------------------------
# Compiled pack: rules turned into closures once, so evaluate only compares integers.
# --------------------------------------------------------------------------------------------

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_NA = "không áp dụng"
_OP_TEXT = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠"}


class Ctx:
    """Per-evaluation values derived once from the subject."""

    __slots__ = ("grade_min", "lead_viol", "score_h", "subject", "viol")

    def __init__(self, subject: SubjectInput, score_h: int | None) -> None:
        self.subject = subject
        self.score_h = score_h
        self.viol: list[tuple[int, str]] = []
        self.lead_viol: list[tuple[int, str]] = []
        self.grade_min: dict[str, int] = {}


# A compiled clause returns (holds, shown actual value); holds None means "does not apply".
_ClauseFn = Callable[[Ctx], tuple[bool | None, str]]


class Rung(NamedTuple):
    """One level of the ladder climbed from HTNV: its threshold (if scored) and conditions."""

    level: Level
    threshold: int | None  # hundredths
    rule: str
    head: str
    ok_tail: str
    fail_tail: str
    checks: tuple[Check, ...]


@dataclass(frozen=True, slots=True)
class Check:
    """A pack rule compiled for one subject kind, with its reason text pre-built."""

    rule: str
    level: str | None
    clauses: tuple[_ClauseFn, ...]
    single: _ClauseFn | None  # the only clause, called directly on the hot path
    head: str
    ok_tail: str
    fail_tail: str
    na_tail: str


@dataclass(frozen=True, slots=True)
class Compiled:
    """A pack compiled for the engine: checks by subject kind and level, lookup tables."""

    pack: RulePack
    triggers: dict[str, tuple[Check, ...]]
    ladder: dict[str, tuple[Rung, ...]]
    caps: dict[str, tuple[Check, ...]]
    scored: bool
    severity: dict[str, int]
    applies_to: dict[str, str]
    form_names: dict[str, str]
    grade_rank: dict[str, int]
    frameworks: dict[str, tuple[str, dict[str, str]]]  # id -> (title, criterion -> group)
    default_framework: dict[str, str]
    facts: frozenset[str]


_CACHE: dict[int, Compiled] = {}
_CACHE_LIMIT = 64


def compiled(pack: RulePack) -> Compiled:
    """Return the pack compiled, compiling it on first use."""
    # Keyed by identity: hashing a whole frozen pack per call would cost more than evaluating.
    entry = _CACHE.get(id(pack))
    if entry is not None and entry.pack is pack:
        return entry
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.pop(next(iter(_CACHE)))
    entry = _compile(pack)
    _CACHE[id(pack)] = entry
    return entry


def source_text(source: str, confirmed: bool) -> str:
    """Return the "Nguồn: …" tail of a reason, flagging unconfirmed rules."""
    return f"Nguồn: {source}" + ("" if confirmed else " (chưa xác nhận)")


def _compile(pack: RulePack) -> Compiled:
    grade_rank = {}
    if pack.grading is not None:
        n = len(pack.grading.grades)
        grade_rank = {g.code: n - 1 - i for i, g in enumerate(pack.grading.grades)}
    severity = {f.code: f.severity for f in pack.discipline.forms}
    c = Compiled(
        pack=pack,
        triggers={},
        ladder={},
        caps={},
        scored=pack.thresholds is not None,
        severity=severity,
        applies_to={f.code: f.applies_to for f in pack.discipline.forms},
        form_names={f.code: f.name for f in pack.discipline.forms},
        grade_rank=grade_rank,
        frameworks={
            fw.id: (fw.title, {cr.code: cr.group for cr in fw.criteria}) for fw in pack.frameworks
        },
        default_framework={},
        facts=frozenset(f.code for f in pack.facts),
    )
    for fw in reversed(pack.frameworks):  # the first framework listing a kind is its default
        for kind in fw.kinds:
            c.default_framework[kind] = fw.id
    t = pack.thresholds
    scores = {"HTXSNV": t.htxsnv, "HTTNV": t.httnv, "HTNV": t.htnv} if t is not None else {}
    src = source_text(t.source, t.confirmed) if t is not None else ""
    for kind in SubjectKind:
        c.triggers[kind] = tuple(
            _compile_rule(r, "khtnv_triggers", c) for r in pack.khtnv_triggers if _on(r, kind)
        )
        c.caps[kind] = tuple(_compile_rule(r, "caps", c) for r in pack.caps if _on(r, kind))
        rungs = []
        for level in (Level.HTNV, Level.HTTNV, Level.HTXSNV):
            checks = tuple(
                _compile_rule(r, "conditions", c)
                for r in pack.conditions
                if r.level == level and _on(r, kind)
            )
            value = scores.get(level)
            rungs.append(
                Rung(
                    level=level,
                    threshold=None if value is None else int(value * 100),
                    rule=f"thresholds.{level}",
                    head=f"{level}: điểm ≥ {value} (thực tế: ",
                    ok_tail=f") — đạt. {src}",
                    fail_tail=f") — không đạt. {src}",
                    checks=checks,
                )
            )
        c.ladder[kind] = tuple(rungs)
    return c


def _on(rule: Rule, kind: str) -> bool:
    return rule.enabled and kind in rule.kinds


def _compile_rule(rule: Rule, section: str, c: Compiled) -> Check:
    fns, wants = [], []
    for clause in rule.when:
        fn, want = _compile_clause(clause.metric, clause.op, clause.value, clause, c)
        fns.append(fn)
        wants.append(want)
    src = source_text(rule.source, rule.confirmed)
    need = " và ".join(wants)
    if section == "khtnv_triggers":
        head = f"KHTNV nếu {rule.title} (điều kiện: {need}; thực tế: "
        ok, fail = f") — không. {src}", f") — có, xếp KHTNV. {src}"
    elif section == "caps":
        head = f"Tối đa {rule.level} nếu {rule.title} (điều kiện: {need}; thực tế: "
        ok, fail = f") — không. {src}", f") — có, hạ xuống {rule.level}. {src}"
    else:
        head = f"{rule.level}: {rule.title} (yêu cầu: {need}; thực tế: "
        ok, fail = f") — đạt. {src}", f") — không đạt. {src}"
    return Check(
        rule=f"{section}.{rule.id}",
        level=rule.level,
        clauses=tuple(fns),
        single=fns[0] if len(fns) == 1 else None,
        head=head,
        ok_tail=ok,
        fail_tail=fail,
        na_tail=f") — {_NA}. {src}",
    )


@functools.lru_cache(maxsize=8192)
def _pct(n: int, d: int) -> str:
    # Task counts repeat across subjects, so the cache makes this string shared and free.
    return f"{n}/{d} = {round(n * 100 / d, 2):g}%" if d else "0/0"


def _compile_clause(
    metric: str, op_code: str, value: object, clause: Any, c: Compiled
) -> tuple[_ClauseFn, str]:
    op = _OPS[op_code]
    shown_op = _OP_TEXT[op_code]
    kind, label = METRICS[metric]
    if kind is MetricType.RATIO:
        frac = Fraction(_as_decimal(value))
        p, q = frac.numerator, frac.denominator
        want = f"{label} {shown_op} {round(float(frac) * 100, 2):g}%"
        getter = _RATIO_GETTERS[metric]

        def ratio_fn(ctx: Ctx) -> tuple[bool | None, str]:
            nd = getter(ctx.subject)
            if nd is None:
                return None, _NA
            n, d = nd
            return (op(n * q, p * d) if d else op(0, p)), _pct(n, d)

        return ratio_fn, want
    if kind is MetricType.SCORE:
        target = int(_as_decimal(value) * 100)

        def score_fn(ctx: Ctx) -> tuple[bool | None, str]:
            h = ctx.score_h
            return (None, _NA) if h is None else (op(h, target), hundredths_text(h))

        return score_fn, f"{label} {shown_op} {value}"
    if kind is MetricType.COUNT:
        target_n = int(_as_decimal(value))
        if metric in ("disciplines", "leadership_disciplines"):
            floor = c.severity[clause.min_form] if clause.min_form else 0
            lead = metric == "leadership_disciplines"
            names = c.form_names
            suffix = f" (từ {names[clause.min_form].lower()} trở lên)" if clause.min_form else ""

            def disc_fn(ctx: Ctx) -> tuple[bool | None, str]:
                found = [f for s, f in (ctx.lead_viol if lead else ctx.viol) if s >= floor]
                shown = f"{len(found)} ({', '.join(names[f] for f in found)})" if found else "0"
                return op(len(found), target_n), shown

            return disc_fn, f"{label}{suffix} {shown_op} {target_n}"
        count_getter = _COUNT_GETTERS[metric]

        def count_fn(ctx: Ctx) -> tuple[bool | None, str]:
            n = count_getter(ctx.subject)
            return op(n, target_n), _int_text(n)

        return count_fn, f"{label} {shown_op} {target_n}"
    if kind is MetricType.BOOL:
        fact = clause.fact
        if fact is not None:
            name = next(f.name for f in c.pack.facts if f.code == fact)
            label = name[:1].lower() + name[1:]

            def fact_fn(ctx: Ctx) -> tuple[bool | None, str]:
                has = fact in ctx.subject.facts
                return op(has, value), "có" if has else "không"

            return fact_fn, f"{label} {shown_op} {'có' if value else 'không'}"

        def degr_fn(ctx: Ctx) -> tuple[bool | None, str]:
            has = ctx.subject.degradation_concluded
            return op(has, value), "có" if has else "không"

        return degr_fn, f"{label} {shown_op} {'có' if value else 'không'}"
    if kind is MetricType.LEVEL:
        target_r = LEVEL_RANK[str(value)]

        def level_fn(ctx: Ctx) -> tuple[bool | None, str]:
            lv = ctx.subject.professional_level
            if lv is None:
                return None, "không phải cán bộ, công chức được xếp loại"
            return op(LEVEL_RANK[lv], target_r), str(lv)

        return level_fn, f"{label} {shown_op} {value}"
    # GRADE: compare the worst grade of a criterion group by rank (best highest).
    target_g = c.grade_rank[str(value)]
    names = {g.code: g.name for g in c.pack.grading.grades} if c.pack.grading else {}
    names_by_rank = {r: names[code] for code, r in c.grade_rank.items()}

    def grade_fn(ctx: Ctx) -> tuple[bool | None, str]:
        r = ctx.grade_min.get(metric)
        if r is None:
            return None, _NA
        return op(r, target_g), names_by_rank[r]

    return grade_fn, f"{label} {shown_op} {names[str(value)]}"


_SMALL_INTS = tuple(str(i) for i in range(256))


def _int_text(n: int) -> str:
    return _SMALL_INTS[n] if 0 <= n < 256 else str(n)


def _as_decimal(value: object) -> Decimal:
    """Return a numeric clause value (packs.validate_pack has checked it is a Decimal)."""
    assert isinstance(value, Decimal)
    return value


@functools.lru_cache(maxsize=10001)
def hundredths_text(h: int) -> str:
    """Return integer hundredths as a score ("89.99", "90")."""
    whole, frac = divmod(h, 100)
    return f"{whole}" if frac == 0 else f"{whole}.{frac:02d}".rstrip("0")


def _sub_ratio(n: int, s: SubjectInput) -> tuple[int, int]:
    return (n, s.subordinate_units_total) if s.subordinate_units_total else (0, 1)


def _low_conf(s: SubjectInput) -> tuple[int, int] | None:
    if s.low_confidence_ratio is None:
        return None
    f = Fraction(decimal_input(s.low_confidence_ratio, "low_confidence_ratio"))
    return f.numerator, f.denominator


_RATIO_GETTERS: dict[str, Callable[[SubjectInput], tuple[int, int] | None]] = {
    "on_time_ratio": lambda s: (s.tasks_on_time, s.tasks_total),
    "above_ratio": lambda s: (s.tasks_above_requirement, s.tasks_total),
    "completed_ratio": lambda s: (s.tasks_on_time + s.tasks_late, s.tasks_total),
    "late_ratio": lambda s: (s.tasks_late, s.tasks_total),
    "subordinate_disciplined_ratio": lambda s: _sub_ratio(s.subordinate_units_disciplined, s),
    "subordinate_khtnv_ratio": lambda s: _sub_ratio(s.subordinate_units_khtnv, s),
    "low_confidence_ratio": _low_conf,
}
_COUNT_GETTERS: dict[str, Callable[[SubjectInput], int]] = {
    "subordinate_disciplined": lambda s: s.subordinate_units_disciplined,
    "shortcomings_unremedied": lambda s: s.shortcomings_unremedied,
}


def decimal_input(value: object, field: str) -> Decimal:
    """Return a numeric input as an exact Decimal (floats via repr); refuse non-numbers."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float):
        raise SubjectInputError(field, "phải là một số")
    try:
        d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - repr of a float is always parseable
        raise SubjectInputError(field, "phải là một số") from exc
    if not d.is_finite():
        raise SubjectInputError(field, "phải là một số hữu hạn")
    return d


def run_check(check: Check, ctx: Ctx) -> tuple[bool | None, str]:
    """Return whether all clauses hold and the actual values shown.

    A clause that fails decides (False); otherwise a clause that does not apply makes the
    whole check not applicable (None), so a trigger never fires on a missing value and a
    condition never blocks on one.
    """
    holds: bool | None = True
    shown = []
    for fn in check.clauses:
        h, text = fn(ctx)
        shown.append(text)
        if h is False:
            holds = False
        elif h is None and holds is True:
            holds = None
    return holds, "; ".join(shown)
