"""Pure Party-member rules: status, probation, Party age, badges, discipline, posts, dates.

No Django here: models, forms and services call these functions with plain values.
Rule sources are cited per constant; see /work/shared/domain/rules.md for the excerpts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from cosodang.core.vn import add_months, format_date, full_months_between

# --------------------------------------------------------------------------------------------
# Status
# --------------------------------------------------------------------------------------------


class MemberStatus(StrEnum):
    """Where a member stands on the Party roll."""

    PROBATIONARY = "probationary"
    OFFICIAL = "official"
    EXEMPTED = "exempted"
    TRANSFERRED_OUT = "transferred_out"
    REMOVED = "removed"
    DECEASED = "deceased"


STATUS_LABELS: dict[MemberStatus, str] = {
    MemberStatus.PROBATIONARY: "Dự bị",
    MemberStatus.OFFICIAL: "Chính thức",
    MemberStatus.EXEMPTED: "Miễn sinh hoạt",
    MemberStatus.TRANSFERRED_OUT: "Đã chuyển sinh hoạt",
    MemberStatus.REMOVED: "Đã xóa tên/khai trừ",
    MemberStatus.DECEASED: "Đã từ trần",
}

# --------------------------------------------------------------------------------------------
# Probation
# --------------------------------------------------------------------------------------------

# Probation lasts 12 months from the admission ceremony, and the member is official at the
# exact date it ends even if the cell meets late (ĐLĐ Điều 5 khoản 1; QĐ 24-QĐ/TW mục 4.2;
# rules.md §3.3–3.4).
PROBATION_MONTHS = 12


def expected_official_date(ceremony: date) -> date:
    """Return the date a probationary member becomes official (ceremony + 12 months)."""
    return add_months(ceremony, PROBATION_MONTHS)


# --------------------------------------------------------------------------------------------
# Party age (tuổi đảng)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """A period outside Party activity, [start, end); end None means still outside.

    ``end`` is the day activity resumes (e.g. the re-admission decision), so it counts again.
    """

    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError(
                f"Khoảng gián đoạn không hợp lệ: kết thúc {format_date(self.end)} "
                f"trước bắt đầu {format_date(self.start)}"
            )


def merge_gaps(gaps: Iterable[Gap]) -> list[Gap]:
    """Merge overlapping or touching gaps into a sorted, disjoint list."""
    merged: list[Gap] = []
    for gap in sorted(gaps, key=lambda g: g.start):
        if merged:
            last = merged[-1]
            if last.end is None:
                break  # an open gap swallows everything after it
            if gap.start <= last.end:
                end = None if gap.end is None else max(last.end, gap.end)
                merged[-1] = Gap(last.start, end)
                continue
        merged.append(gap)
    return merged


def _gap_days(merged: Sequence[Gap], window_start: date, window_end: date) -> int:
    """Count days of merged gaps inside [window_start, window_end)."""
    total = 0
    for gap in merged:
        lo = max(gap.start, window_start)
        hi = window_end if gap.end is None else min(gap.end, window_end)
        if hi > lo:
            total += (hi - lo).days
    return total


def counted_days(first_decision: date, gaps: Sequence[Gap], on: date) -> int:
    """Count Party-age days from the first admission decision to `on`, minus gaps."""
    if on <= first_decision:
        return 0
    span = (on - first_decision).days
    return span - _gap_days(merge_gaps(gaps), first_decision, on)


@dataclass(frozen=True)
class PartyAge:
    """A Party age as a calendar difference."""

    years: int
    months: int
    days: int

    def __str__(self) -> str:
        # Certificates and lists state Party age in years and months; days are not shown.
        parts: list[str] = []
        if self.years:
            parts.append(f"{self.years} năm")
        if self.months or not self.years:
            parts.append(f"{self.months} tháng")
        return " ".join(parts)


def party_age(first_decision: date, gaps: Sequence[Gap], on: date) -> PartyAge:
    """Return the Party age on `on`, counted from the first decision minus gaps."""
    # Party age runs from the FIRST admission decision, also for re-admitted members, minus
    # time outside Party activity (QĐ 24-QĐ/TW mục 4.5.1–4.5.2; rules.md §3.5).
    # Shifting `on` back by the gap days keeps calendar months intact (e.g. 30 years means
    # the anniversary date moved later by exactly the gap length).
    effective = first_decision + timedelta(days=counted_days(first_decision, gaps, on))
    months = full_months_between(first_decision, effective)
    days = (effective - add_months(first_decision, months)).days
    years, months = divmod(months, 12)
    return PartyAge(years=years, months=months, days=days)


def date_reaching(first_decision: date, gaps: Sequence[Gap], years: int) -> date | None:
    """Return the first date on which counted Party age reaches `years` full years."""
    merged = merge_gaps(gaps)
    open_start = merged[-1].start if merged and merged[-1].end is None else None
    target = add_months(first_decision, 12 * years)
    # Party age on day d reaches the target when d − gap_days(d) ≥ target. That expression
    # never decreases, so iterating d ← target + gap_days(d) from d = target climbs to the
    # smallest solution (each gap that falls inside the growing window pushes it later).
    candidate = target
    while True:
        if open_start is not None and candidate > open_start:
            return None  # still outside Party activity: the age is frozen below the target
        shifted = target + timedelta(days=_gap_days(merged, first_decision, candidate))
        if shifted == candidate:
            return candidate
        candidate = shifted


# --------------------------------------------------------------------------------------------
# Party badges (Huy hiệu Đảng)
# --------------------------------------------------------------------------------------------

# 12 badges by Party age (HD 01-HD/TW 2021 mục 18.1; rules.md §5.2).
BADGE_MILESTONES: tuple[int, ...] = (30, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90)

EARLY_REASON_ILLNESS = "illness"
EARLY_REASON_POSTHUMOUS = "posthumous"

# How many months early a badge may be awarded (HD 01-HD/TW 2021 mục 18; rules.md §5.2):
# serious illness up to 12 months for the 30–65 badges and 24 months for 70–90; posthumous
# award up to 12 months.
EARLY_AWARD_MONTHS: dict[str, dict[int, int]] = {
    EARLY_REASON_ILLNESS: {m: (12 if m <= 65 else 24) for m in BADGE_MILESTONES},
    EARLY_REASON_POSTHUMOUS: dict.fromkeys(BADGE_MILESTONES, 12),
}


@dataclass(frozen=True)
class BadgeDue:
    """The next badge a member is due for."""

    years: int
    due_date: date
    earliest_date: date  # with early award; equals due_date when there is no early reason


def early_award_months(years: int, early_reason: str | None) -> int:
    """Return how many months early the `years` badge may be given for `early_reason`."""
    if early_reason is None:
        return 0
    try:
        return EARLY_AWARD_MONTHS[early_reason][years]
    except KeyError:
        raise ValueError(f"Không rõ lý do tặng sớm huy hiệu: {early_reason!r}") from None


def next_badge(
    first_decision: date,
    gaps: Sequence[Gap],
    on: date,
    awarded: Iterable[int] = (),
    early_reason: str | None = None,
) -> BadgeDue | None:
    """Return the next badge the member should receive, or None if none remains."""
    # `on` does not change the answer: a milestone already reached but not awarded is still
    # the one due (its due_date is then <= on), so callers compare due_date with `on`.
    highest = max(awarded, default=0)
    # Badges follow one another; once a higher badge is given, lower ones are moot.
    remaining = [m for m in BADGE_MILESTONES if m > highest]
    if not remaining:
        return None
    years = remaining[0]
    due = date_reaching(first_decision, gaps, years)
    if due is None:
        return None
    earliest = add_months(due, -early_award_months(years, early_reason))
    return BadgeDue(years=years, due_date=due, earliest_date=earliest)


# --------------------------------------------------------------------------------------------
# Discipline (kỷ luật) and Party posts
# --------------------------------------------------------------------------------------------


class DisciplineForm(StrEnum):
    """Disciplinary forms for an individual member (ĐLĐ Điều 35; rules.md §5.4)."""

    REPRIMAND = "khien_trach"
    WARNING = "canh_cao"
    REMOVAL_FROM_POST = "cach_chuc"
    EXPULSION = "khai_tru"


DISCIPLINE_FORM_LABELS: dict[DisciplineForm, str] = {
    DisciplineForm.REPRIMAND: "Khiển trách",
    DisciplineForm.WARNING: "Cảnh cáo",
    DisciplineForm.REMOVAL_FROM_POST: "Cách chức",
    DisciplineForm.EXPULSION: "Khai trừ",
}

# A probationary member may only be reprimanded or warned (ĐLĐ Điều 35; rules.md §5.4).
PROBATIONARY_ALLOWED_FORMS: frozenset[DisciplineForm] = frozenset(
    {DisciplineForm.REPRIMAND, DisciplineForm.WARNING}
)


class PartyPost(StrEnum):
    """A member's post inside the Party organisation."""

    SECRETARY = "bi_thu"
    DEPUTY_SECRETARY = "pho_bi_thu"
    COMMITTEE_MEMBER = "cap_uy_vien"  # Chi ủy viên / Đảng ủy viên
    STANDING_COMMITTEE = "uv_ban_thuong_vu"
    INSPECTION_COMMITTEE = "uv_ubkt"
    GROUP_LEADER = "to_truong_dang"
    MEMBER = "dang_vien"


PARTY_POST_LABELS: dict[PartyPost, str] = {
    PartyPost.SECRETARY: "Bí thư",
    PartyPost.DEPUTY_SECRETARY: "Phó Bí thư",
    PartyPost.COMMITTEE_MEMBER: "Cấp ủy viên",
    PartyPost.STANDING_COMMITTEE: "Ủy viên Ban Thường vụ",
    PartyPost.INSPECTION_COMMITTEE: "Ủy viên Ủy ban Kiểm tra",
    PartyPost.GROUP_LEADER: "Tổ trưởng tổ đảng",
    PartyPost.MEMBER: "Đảng viên",
}

# Probationary members may not vote, stand or be elected to leading bodies, so every
# elected post needs an official member (ĐLĐ Điều 5 khoản 3).
OFFICIAL_ONLY_POSTS: frozenset[PartyPost] = frozenset(set(PartyPost) - {PartyPost.MEMBER})


# Posts that make up an organisation's elected committee (chi ủy / đảng ủy), for its size.
COMMITTEE_POSTS: frozenset[PartyPost] = frozenset(
    {PartyPost.SECRETARY, PartyPost.DEPUTY_SECRETARY, PartyPost.COMMITTEE_MEMBER}
)


def post_requires_official(post: PartyPost) -> bool:
    """Tell whether only an official member may hold `post`."""
    return post in OFFICIAL_ONLY_POSTS


# --------------------------------------------------------------------------------------------
# Date consistency checks for a member record
# --------------------------------------------------------------------------------------------

# Admission needs a full 18 years of age counted in months (QĐ 24-QĐ/TW mục 1.1; rules.md §3.1).
MIN_ADMISSION_AGE_MONTHS = 18 * 12

_DATE_LABELS = {
    "birth_date": "Ngày sinh",
    "decision_date": "Ngày quyết định kết nạp",
    "ceremony_date": "Ngày lễ kết nạp",
    "official_date": "Ngày chính thức",
}


def check_member_dates(
    *,
    birth_date: date | None,
    decision_date: date | None,
    ceremony_date: date | None,
    official_date: date | None,
    status: MemberStatus | str,
    current_rules: bool = True,
    today: date,
) -> list[tuple[str, str]]:
    """Return (field_name, Vietnamese message) pairs for inconsistent member dates."""
    errors: list[tuple[str, str]] = []
    dates = {
        "birth_date": birth_date,
        "decision_date": decision_date,
        "ceremony_date": ceremony_date,
        "official_date": official_date,
    }
    for field, value in dates.items():
        if value is not None and value > today:
            errors.append(
                (field, f"{_DATE_LABELS[field]} không được sau ngày hôm nay ({format_date(today)})")
            )

    # The rule counts age on the day the cell considers admission. That date is not stored;
    # the decision comes later, so this proxy may miss an under-age consideration but never
    # rejects a record that satisfied the rule.
    if (
        birth_date is not None
        and decision_date is not None
        and full_months_between(birth_date, decision_date) < MIN_ADMISSION_AGE_MONTHS
    ):
        eighteen = add_months(birth_date, MIN_ADMISSION_AGE_MONTHS)
        errors.append(
            (
                "decision_date",
                "Người vào Đảng phải đủ 18 tuổi tính theo tháng (QĐ 24-QĐ/TW mục 1.1): "
                f"sinh ngày {format_date(birth_date)} thì chỉ được kết nạp "
                f"từ ngày {format_date(eighteen)}",
            )
        )

    if decision_date is not None and ceremony_date is not None and ceremony_date < decision_date:
        errors.append(("ceremony_date", "Ngày lễ kết nạp không được trước ngày quyết định kết nạp"))

    if official_date is not None and ceremony_date is None:
        errors.append(
            ("ceremony_date", "Có ngày chính thức thì phải có ngày vào Đảng (lễ kết nạp)")
        )

    if ceremony_date is not None and official_date is not None:
        expected = expected_official_date(ceremony_date)
        if official_date < ceremony_date:
            errors.append(("official_date", "Ngày chính thức không được trước ngày lễ kết nạp"))
        elif current_rules and official_date != expected:
            errors.append(
                (
                    "official_date",
                    "Ngày chính thức phải đúng 12 tháng sau ngày lễ kết nạp "
                    f"(Điều lệ Đảng, Điều 5): {format_date(expected)}",
                )
            )

    if status == MemberStatus.OFFICIAL and official_date is None:
        errors.append(("status", "Đảng viên chính thức phải có ngày chính thức"))
    if status == MemberStatus.PROBATIONARY and official_date is not None:
        errors.append(("status", "Đảng viên dự bị chưa có ngày chính thức"))
    return errors
