"""Pure rules of the review cycle: period states, the plan's dates, deadlines, the self-review.

No ORM, no request: plain values in, plain values (or Vietnamese messages) out. The regulation's
lists (the 27 manifestations, the self-review forms) are data files in ``rulepacks/data/``.

The cycle of a period (rules.md §1.5–1.7):

    DRAFT ──open──▶ OPEN ──publish──▶ PUBLISHED ──close──▶ CLOSED
                      ▲                  │ publish (more results)   │
                      └──────────────────┴──────── reopen ◀─────────┘ (superior committee)
"""

from __future__ import annotations

import functools
import itertools
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "rulepacks" / "data"


def _vn(d: date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


# --------------------------------------------------------------------------------------------
# Period states: a readable transitions table
# --------------------------------------------------------------------------------------------


class State(StrEnum):
    """A period's state (same values as models.PeriodState)."""

    DRAFT = "draft"
    OPEN = "open"
    PUBLISHED = "published"
    CLOSED = "closed"


class Step(StrEnum):
    """A step a committee takes on a period."""

    OPEN = "open"
    PUBLISH = "publish"
    CLOSE = "close"
    REOPEN = "reopen"


TRANSITIONS: dict[tuple[State, Step], State] = {
    (State.DRAFT, Step.OPEN): State.OPEN,
    (State.OPEN, Step.PUBLISH): State.PUBLISHED,
    # Results decided later (another cell) are published into the same window.
    (State.PUBLISHED, Step.PUBLISH): State.PUBLISHED,
    (State.PUBLISHED, Step.CLOSE): State.CLOSED,
    # "The superior can cancel and re-rate": back to work, ratings unlocked.
    (State.CLOSED, Step.REOPEN): State.OPEN,
}

STATE_LABELS = {
    State.DRAFT: "Đang lập kế hoạch",
    State.OPEN: "Đang kiểm điểm",
    State.PUBLISHED: "Đang công khai kết quả",
    State.CLOSED: "Đã kết thúc (khóa)",
}
STEP_LABELS = {
    Step.OPEN: "mở kỳ kiểm điểm",
    Step.PUBLISH: "công khai kết quả",
    Step.CLOSE: "kết thúc và khóa kết quả",
    Step.REOPEN: "mở lại kỳ",
}


class CycleError(ValueError):
    """A step refused by the cycle's rules; ``field`` names the input at fault, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        self.message = message
        self.field = field
        super().__init__(message)


def next_state(state: str, step: str) -> State:
    """Return the state reached by `step`, or raise CycleError naming both."""
    target = TRANSITIONS.get((State(state), Step(step)))
    if target is None:
        raise CycleError(
            f"Không thể {STEP_LABELS[Step(step)]} khi kỳ đang ở trạng thái "
            f"«{STATE_LABELS[State(state)]}»."
        )
    return target


def allowed_steps(state: str) -> list[Step]:
    """Return the steps the table allows from `state` (deadlines are checked separately)."""
    return [step for (s, step) in TRANSITIONS if s == state]


# --------------------------------------------------------------------------------------------
# Period bounds and the plan
# --------------------------------------------------------------------------------------------

# Q4 has no round of its own: it merges into the year's review (rules.md §1.2, HD 43).
QUARTERS = (1, 2, 3)


def period_bounds(kind: str, year: int, quarter: int | None) -> tuple[date, date]:
    """Return the first and last day covered by a quarterly or yearly period."""
    if kind == "year":
        if quarter is not None:
            raise CycleError("Kỳ năm không có quý.", "quarter")
        return date(year, 1, 1), date(year, 12, 31)
    if quarter not in QUARTERS:
        raise CycleError("Quý phải là 1, 2 hoặc 3 (quý IV gộp vào kiểm điểm cuối năm).", "quarter")
    first_month = 3 * (quarter - 1) + 1
    last_day = {3: 31, 6: 30, 9: 30}[first_month + 2]
    return date(year, first_month, 1), date(year, first_month + 2, last_day)


# The plan's dates in the order they must come, with their Vietnamese names.
PLAN_FIELDS: tuple[tuple[str, str], ...] = (
    ("opens_on", "ngày mở kiểm điểm"),
    ("self_review_due", "hạn nộp bản kiểm điểm"),
    ("cell_meeting_by", "hạn họp chi bộ kiểm điểm"),
    ("decision_by", "hạn cấp ủy quyết định"),
    ("publish_from", "ngày bắt đầu công khai"),
    ("publish_until", "ngày kết thúc công khai"),
    ("closes_on", "ngày kết thúc kỳ"),
)
PLAN_LABELS = dict(PLAN_FIELDS)


def check_plan(plan: Mapping[str, date | None]) -> dict[str, str]:
    """Return {field: message} for missing plan dates and dates out of order."""
    errors: dict[str, str] = {}
    for name, label in PLAN_FIELDS:
        if plan.get(name) is None:
            errors[name] = f"Nhập {label}."
    if errors:
        return errors
    for (early, early_label), (late, late_label) in itertools.pairwise(PLAN_FIELDS):
        a, b = plan[early], plan[late]
        assert a is not None and b is not None
        if b < a:
            errors[late] = (
                f"{late_label.capitalize()} ({_vn(b)}) không được trước {early_label} ({_vn(a)})."
            )
    return errors


def default_plan(start: date, end: date) -> dict[str, date]:
    """Suggest a plan inside the period's last weeks: a typical timetable (editable)."""
    # Year-end reviews happen in December before the year ends (rules.md §1.6: grassroots
    # before 15/12); quarterly ones in the quarter's last month.
    opens = max(start, end - timedelta(days=25))
    return {
        "opens_on": opens,
        "self_review_due": opens + timedelta(days=5),
        "cell_meeting_by": opens + timedelta(days=9),
        "decision_by": opens + timedelta(days=14),
        "publish_from": opens + timedelta(days=15),
        "publish_until": opens + timedelta(days=22),
        "closes_on": opens + timedelta(days=24),
    }


# --------------------------------------------------------------------------------------------
# Deadlines
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """The plan's dates of one period, as plain values."""

    opens_on: date
    self_review_due: date
    cell_meeting_by: date
    decision_by: date
    publish_from: date
    publish_until: date
    closes_on: date


def refuse_open(today: date, plan: Plan) -> str | None:
    """Return why the period may not open today, or None."""
    if today < plan.opens_on:
        return f"Chưa đến ngày mở kiểm điểm theo kế hoạch ({_vn(plan.opens_on)})."
    return None


def refuse_submission(today: date, plan: Plan, *, returned: bool) -> str | None:
    """Return why a self-review may not be submitted today, or None.

    After the due date only a review the cell returned for completion may be submitted.
    """
    if today > plan.self_review_due and not returned:
        return (
            f"Đã quá hạn nộp bản kiểm điểm ({_vn(plan.self_review_due)}); chỉ nộp lại được "
            "khi chi bộ trả lại để bổ sung."
        )
    return None


def refuse_publish(today: date, plan: Plan, *, decided: int) -> str | None:
    """Return why results may not be published today, or None.

    Only decided results are published, and only within the plan's publication window.
    """
    if decided == 0:
        return "Chưa có kết quả nào được cấp ủy quyết định để công khai."
    if today < plan.publish_from:
        return f"Chưa đến thời gian công khai theo kế hoạch (từ {_vn(plan.publish_from)})."
    if today > plan.publish_until:
        return f"Đã hết thời gian công khai theo kế hoạch (đến {_vn(plan.publish_until)})."
    return None


def refuse_objection(today: date, plan: Plan) -> str | None:
    """Return why an objection may not be lodged today, or None (only within the window)."""
    if today < plan.publish_from or today > plan.publish_until:
        return (
            "Chỉ gửi kiến nghị trong thời gian công khai kết quả "
            f"({_vn(plan.publish_from)} – {_vn(plan.publish_until)})."
        )
    return None


def refuse_close(today: date, plan: Plan, *, open_objections: int) -> str | None:
    """Return why the period may not close today, or None.

    The period closes only after the publication window, once every objection is answered.
    """
    if today <= plan.publish_until:
        return (
            f"Chỉ kết thúc kỳ sau khi hết thời gian công khai kết quả ({_vn(plan.publish_until)})."
        )
    if open_objections:
        return f"Còn {open_objections} kiến nghị chưa được trả lời."
    return None


# --------------------------------------------------------------------------------------------
# Self-review: forms, the 27 manifestations, tasks, self-scores, remedies
# --------------------------------------------------------------------------------------------


class Form(StrEnum):
    """Self-review forms (same values as models.SelfReviewForm)."""

    A = "2A"
    B = "2B"
    C = "2C"


# The framework (pack subject kind) each form is scored against.
FORM_KINDS: dict[Form, str] = {
    Form.A: "member",
    Form.B: "leader",
    Form.C: "outside_political_system",
}


@dataclass(frozen=True)
class FormConfig:
    """Which posts make a member a leader (choose Mẫu 2B); not confirmed by rules.md."""

    leader_party_posts: frozenset[str]
    police_post_is_leader: bool
    confirmed: bool
    source: str
    note: str
    remedy_statuses: dict[str, str]


@functools.cache
def form_config() -> FormConfig:
    """Return the form-selection data of ``rulepacks/data/self_review.toml``."""
    raw = tomllib.loads((DATA_DIR / "self_review.toml").read_text(encoding="utf-8"))
    forms = raw["forms"]
    return FormConfig(
        leader_party_posts=frozenset(forms["leader_party_posts"]),
        police_post_is_leader=bool(forms["police_post_is_leader"]),
        confirmed=bool(forms["confirmed"]),
        source=forms["source"],
        note=forms["note"],
        remedy_statuses=dict(raw["remedy_statuses"]),
    )


def pick_form(
    *, party_posts: Iterable[str], police_posts: int, outside_political_system: bool = False
) -> Form:
    """Choose the member's form from their current posts (rules.md §2.1)."""
    if outside_political_system:
        return Form.C
    config = form_config()
    if set(party_posts) & config.leader_party_posts:
        return Form.B
    if config.police_post_is_leader and police_posts > 0:
        return Form.B
    return Form.A


@dataclass(frozen=True)
class Manifestation:
    """One of the 27 manifestations of degradation (NQ 04-NQ/TW)."""

    id: str
    group: str
    text: str
    support: str  # "C" confirmed wording gist, "P" partial

    @property
    def confirmed(self) -> bool:
        return self.support == "C"


@dataclass(frozen=True)
class ManifestationGroup:
    code: str
    title: str
    items: tuple[Manifestation, ...]


@dataclass(frozen=True)
class Manifestations:
    source: str
    wording: str
    groups: tuple[ManifestationGroup, ...]

    @property
    def items(self) -> tuple[Manifestation, ...]:
        return tuple(m for g in self.groups for m in g.items)

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(m.id for m in self.items)


@functools.cache
def manifestations() -> Manifestations:
    """Return the 27 manifestations of ``rulepacks/data/manifestations.toml``, by group."""
    raw = tomllib.loads((DATA_DIR / "manifestations.toml").read_text(encoding="utf-8"))
    items = [Manifestation(**item) for item in raw["items"]]
    groups = tuple(
        ManifestationGroup(
            code=g["code"],
            title=g["title"],
            items=tuple(m for m in items if m.group == g["code"]),
        )
        for g in raw["groups"]
    )
    return Manifestations(source=raw["source"], wording=raw["wording"], groups=groups)


def clean_manifestations(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the checklist keyed by known ids only, flags as bools and notes trimmed."""
    known = manifestations().ids
    unknown = sorted(set(data) - known)
    if unknown:
        raise CycleError(
            f"Biểu hiện không có trong danh mục: {', '.join(unknown)}.", "manifestations"
        )
    out: dict[str, dict[str, Any]] = {}
    for key in sorted(data):
        entry = data[key]
        if not isinstance(entry, Mapping):
            raise CycleError(f"Biểu hiện {key}: cần «flag» và «note».", "manifestations")
        flag, note = entry.get("flag", False), str(entry.get("note", "") or "").strip()
        if not isinstance(flag, bool):
            raise CycleError(f"Biểu hiện {key}: «flag» phải là true hoặc false.", "manifestations")
        if flag or note:
            out[key] = {"flag": flag, "note": note[:1000]}
    return out


TASK_FIELDS = ("tasks_total", "tasks_on_time", "tasks_above_requirement", "tasks_late")


def check_tasks(total: int, on_time: int, above: int, late: int) -> dict[str, str]:
    """Return {field: message} when the task counts contradict each other (as the engine)."""
    errors: dict[str, str] = {}
    if on_time > total:
        errors["tasks_on_time"] = (
            f"Số nhiệm vụ hoàn thành đúng hạn ({on_time}) không được lớn hơn số nhiệm vụ được "
            f"giao ({total})."
        )
    elif on_time + late > total:
        errors["tasks_late"] = (
            f"Số đúng hạn ({on_time}) cộng số chậm tiến độ ({late}) không được lớn hơn số nhiệm "
            f"vụ được giao ({total})."
        )
    if above > on_time + late:
        errors["tasks_above_requirement"] = (
            f"Số nhiệm vụ vượt yêu cầu ({above}) không được lớn hơn số nhiệm vụ đã hoàn thành "
            f"({on_time + late})."
        )
    return errors


@dataclass(frozen=True)
class CriterionSpec:
    """A criterion the member scores: its maximum points (score packs) or grade codes."""

    code: str
    title: str
    group: str
    points: Decimal | None
    grades: tuple[str, ...] = ()
    confirmed: bool = True
    note: str = ""


def score_criteria(
    specs: Iterable[CriterionSpec], given: Mapping[str, Any]
) -> tuple[dict[str, str], Decimal | None, dict[str, str]]:
    """Check self-scores against each criterion's maximum; return (scores, total, errors).

    Score packs: points 0..max with at most two decimals, total = their sum when every
    criterion is scored. Grade packs: a grade code of the pack per criterion, no total.
    """
    specs = list(specs)
    codes = {s.code for s in specs}
    errors: dict[str, str] = {}
    for unknown in sorted(set(given) - codes):
        errors[f"criterion_{unknown}"] = f"Tiêu chí «{unknown}» không có trong khung tiêu chí."
    scores: dict[str, str] = {}
    total = Decimal(0)
    complete = True
    for spec in specs:
        raw = given.get(spec.code)
        text = "" if raw is None else str(raw).strip().replace(",", ".")
        if not text:
            complete = False
            continue
        if spec.points is None:
            if text not in spec.grades:
                errors[f"criterion_{spec.code}"] = (
                    f"{spec.title}: chọn một mức trong {', '.join(spec.grades)}."
                )
            else:
                scores[spec.code] = text
            continue
        try:
            value = Decimal(text)
        except InvalidOperation:
            errors[f"criterion_{spec.code}"] = f"{spec.title}: điểm phải là một số."
            continue
        if not value.is_finite() or value < 0 or value > spec.points:
            errors[f"criterion_{spec.code}"] = (
                f"{spec.title}: điểm phải từ 0 đến {spec.points} (điểm tối đa của tiêu chí)."
            )
            continue
        if value != value.quantize(Decimal("0.01")):
            errors[f"criterion_{spec.code}"] = f"{spec.title}: tối đa 2 chữ số thập phân."
            continue
        scores[spec.code] = str(value.quantize(Decimal("0.01")))
        total += value
    has_points = any(s.points is not None for s in specs)
    final = total.quantize(Decimal("0.01")) if (has_points and complete and specs) else None
    return scores, final, errors


def clean_remedies(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Return the remedies of last period's shortcomings, each with a known status."""
    statuses = form_config().remedy_statuses
    out: list[dict[str, str]] = []
    for i, row in enumerate(rows, start=1):
        text = str(row.get("text", "") or "").strip()
        if not text:
            continue
        status = str(row.get("status", "") or "not_done")
        if status not in statuses:
            raise CycleError(
                f"Hạn chế thứ {i}: tình trạng phải là một trong {', '.join(statuses)}.", "remedies"
            )
        out.append(
            {"text": text[:1000], "status": status, "note": str(row.get("note", "") or "")[:1000]}
        )
    return out


def shortcomings_to_remedies(shortcomings: str) -> list[dict[str, str]]:
    """Prefill this period's remedies from last period's shortcomings, one per line."""
    lines = [line.strip(" -•\t") for line in shortcomings.splitlines()]
    return [{"text": line, "status": "not_done", "note": ""} for line in lines if line]


def unremedied(remedies: Iterable[Mapping[str, Any]]) -> int:
    """Count last period's shortcomings not yet remedied (feeds the engine's HTXSNV check)."""
    return sum(1 for r in remedies if r.get("status") != "done")
