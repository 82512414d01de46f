"""Schema of a rating rule pack: levels, subject kinds, metrics and the frozen pack dataclasses.

Field names are the TOML keys (``rulepacks/*.toml``); ``packs.py`` parses, validates, loads and
clones packs, and re-exports everything here so callers import from one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple


class Level(StrEnum):
    """The four rating levels, identical under QĐ 132, 124 and 366 (rules.md §1.1)."""

    HTXSNV = "HTXSNV"
    HTTNV = "HTTNV"
    HTNV = "HTNV"
    KHTNV = "KHTNV"


# Higher is better; the engine compares levels by rank only.
LEVEL_RANK: dict[str, int] = {"HTXSNV": 3, "HTTNV": 2, "HTNV": 1, "KHTNV": 0}
LEVELS_BEST_FIRST: tuple[Level, ...] = (Level.HTXSNV, Level.HTTNV, Level.HTNV, Level.KHTNV)


class SubjectKind(StrEnum):
    """Who is rated: the subject kinds of the simulator request (issue 4)."""

    MEMBER = "member"
    LEADER = "leader"
    COLLECTIVE = "collective"
    OUTSIDE_POLITICAL_SYSTEM = "outside_political_system"


SUBJECT_KIND_LABELS: dict[str, str] = {
    "member": "Cá nhân không giữ chức vụ lãnh đạo, quản lý",
    "leader": "Cá nhân giữ chức vụ lãnh đạo, quản lý",
    "collective": "Tập thể",
    "outside_political_system": "Đảng viên không làm việc trong hệ thống chính trị",
}


class MetricType(StrEnum):
    """How a metric's value is written in a pack and compared by the engine."""

    SCORE = "score"  # Decimal 0–100, compared exactly in hundredths
    RATIO = "ratio"  # Decimal 0–1, compared exactly as a fraction of counts
    COUNT = "count"  # non-negative integer
    BOOL = "bool"
    GRADE = "grade"  # a grade code of the pack, compared by rank (best highest)
    LEVEL = "level"  # a level code, compared by LEVEL_RANK


# The vocabulary a clause may use. rules.py implements each one; the Vietnamese label is what
# the reasons show. Ratios of tasks are over tasks_total (for a leader: the unit's tasks).
METRICS: dict[str, tuple[MetricType, str]] = {
    "score": (MetricType.SCORE, "điểm"),
    "on_time_ratio": (MetricType.RATIO, "tỷ lệ nhiệm vụ hoàn thành đúng tiến độ"),
    "above_ratio": (MetricType.RATIO, "tỷ lệ nhiệm vụ hoàn thành vượt yêu cầu"),
    "completed_ratio": (MetricType.RATIO, "tỷ lệ nhiệm vụ hoàn thành"),
    "late_ratio": (MetricType.RATIO, "tỷ lệ nhiệm vụ hoàn thành chậm tiến độ"),
    "disciplines": (MetricType.COUNT, "số vi phạm bị kỷ luật trong kỳ"),
    "leadership_disciplines": (MetricType.COUNT, "số thành viên tập thể lãnh đạo bị kỷ luật"),
    "subordinate_disciplined": (MetricType.COUNT, "số đơn vị cấp dưới bị kỷ luật"),
    "subordinate_disciplined_ratio": (MetricType.RATIO, "tỷ lệ đơn vị cấp dưới bị kỷ luật"),
    "subordinate_khtnv_ratio": (MetricType.RATIO, "tỷ lệ đơn vị cấp dưới xếp loại KHTNV"),
    "low_confidence_ratio": (MetricType.RATIO, "tỷ lệ phiếu tín nhiệm thấp"),
    "shortcomings_unremedied": (MetricType.COUNT, "số hạn chế, khuyết điểm chưa khắc phục"),
    "degradation_concluded": (MetricType.BOOL, "kết luận suy thoái, tự diễn biến, tự chuyển hóa"),
    "fact": (MetricType.BOOL, "sự việc"),
    "professional_level": (MetricType.LEVEL, "xếp loại cán bộ, công chức (chuyên môn)"),
    "min_grade": (MetricType.GRADE, "mức thấp nhất của các tiêu chí"),
    "min_grade_general": (MetricType.GRADE, "mức thấp nhất của nhóm tiêu chí chung"),
    "min_grade_tasks": (MetricType.GRADE, "mức thấp nhất của nhóm tiêu chí kết quả nhiệm vụ"),
}
DISCIPLINE_METRICS = frozenset({"disciplines", "leadership_disciplines"})
OPERATORS = ("<", "<=", ">", ">=", "==", "!=")
SCORING_MODES = ("score", "grades")
QUOTA_BASES = ("httnv", "rated")
COMBINE_MODES = ("lowest", "main")
CRITERION_GROUPS = ("general", "tasks")
APPLIES_TO = ("individual", "collective", "both")

Scalar = bool | str | Decimal

# --------------------------------------------------------------------------------------------
# The pack as frozen dataclasses. Field names are the TOML keys; unknown keys are refused.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """A legal document the pack relies on."""

    number: str
    title: str
    date: date | None = None
    url: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class LevelDef:
    """A rating level with its Vietnamese name."""

    code: str
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Applicability:
    """Which review periods the pack covers and what was assumed about it."""

    basis: str
    confirmed: bool
    source: str
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Thresholds:
    """Minimum score for each level of a score-based regime."""

    htxsnv: Decimal
    httnv: Decimal
    htnv: Decimal
    confirmed: bool
    source: str
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Grade:
    """A per-criterion grade (Xuất sắc / Tốt / Trung bình / Kém)."""

    code: str
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Grading:
    """Per-criterion grades of a grade-based regime, best first."""

    grades: tuple[Grade, ...]
    confirmed: bool
    source: str
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Criterion:
    """One criterion of a framework; points only where the regime is score-based."""

    code: str
    title: str
    group: str
    points: Decimal | None = None
    description: str = ""
    confirmed: bool
    source: str
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Framework:
    """A criteria framework (an annex of the regulation) for some subject kinds."""

    id: str
    title: str
    annex: str = ""
    kinds: tuple[str, ...]
    general_points: Decimal | None = None
    task_points: Decimal | None = None
    confirmed: bool
    source: str
    note: str = ""
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Fact:
    """A yes/no finding a trigger may use (e.g. internal disunity concluded)."""

    code: str
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Clause:
    """``metric op value``; ``min_form`` filters discipline metrics, ``fact`` names a fact."""

    metric: str
    op: str
    value: Scalar
    min_form: str | None = None
    fact: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """A condition (level required), KHTNV trigger (no level) or cap (level = the maximum).

    All clauses in ``when`` must hold: for a condition that means it passes, for a trigger or a
    cap that it fires.
    """

    id: str
    title: str
    level: str | None = None
    kinds: tuple[str, ...]
    when: tuple[Clause, ...]
    enabled: bool = True
    confirmed: bool
    source: str
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DisciplineFormDef:
    """A disciplinary form; severity orders forms for ``min_form``."""

    code: str
    name: str
    severity: int
    applies_to: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DisciplineRules:
    """Known forms and how disciplines are counted in a period."""

    forms: tuple[DisciplineFormDef, ...]
    count_once: bool
    confirmed: bool
    source: str
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Quota:
    """Cap on HTXSNV within a comparison group (see rules.apply_quota for the formula)."""

    enabled: bool = True
    max_ratio: Decimal
    basis: str
    kinds: tuple[str, ...]
    scope: str
    confirmed: bool
    source: str
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class HeadCap:
    """The head's level may not exceed the level of the collective he or she heads."""

    enabled: bool
    confirmed: bool
    source: str
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SeveralPosts:
    """How per-post results of a member holding several posts combine."""

    combine: str
    confirmed: bool
    source: str
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """Which body proposes and which decides, for some subject kinds."""

    kinds: tuple[str, ...]
    proposer: str
    proposer_name: str
    decider: str
    decider_name: str
    confirmed: bool
    source: str
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RulePack:
    """One regime's rules; in force for review periods ending in [effective_from, effective_to]."""

    code: str
    title: str
    scoring: str
    effective_from: date
    effective_to: date | None = None
    derived_from: str | None = None
    overridden: tuple[str, ...] = ()
    applicability: Applicability
    sources: tuple[Source, ...]
    levels: tuple[LevelDef, ...]
    thresholds: Thresholds | None = None
    grading: Grading | None = None
    frameworks: tuple[Framework, ...]
    facts: tuple[Fact, ...] = ()
    discipline: DisciplineRules
    conditions: tuple[Rule, ...]
    khtnv_triggers: tuple[Rule, ...]
    caps: tuple[Rule, ...] = ()
    quota: Quota
    head_cap: HeadCap
    several_posts: SeveralPosts
    decisions: tuple[Decision, ...]

    def level_name(self, code: str) -> str:
        """Return the Vietnamese name of a level code."""
        return next((lv.name for lv in self.levels if lv.code == code), code)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class PackIssue(NamedTuple):
    """One problem in a pack, at a dotted path such as ``quota.max_ratio``."""

    path: str
    message: str


class PackError(ValueError):
    """A pack (file, dict or clone) that cannot be used; lists every issue found."""

    def __init__(self, issues: Iterable[PackIssue], origin: str = "") -> None:
        self.issues = list(issues)
        self.origin = origin
        head = f"Gói quy tắc không hợp lệ{f' ({origin})' if origin else ''}:"
        super().__init__("\n".join([head, *(f"- {i.path}: {i.message}" for i in self.issues)]))


class NoPackError(LookupError):
    """No pack (or more than one) is in force on the requested date."""
