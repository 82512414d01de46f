"""Demo data of the review cycle: a year period of the demo province with self-reviews and
assessments, and last year's closed period with locked results (for the history page).

Deterministic for a given "today": every choice comes from a `random.Random` seeded here. Runs
after `seed_demo` (it needs the demo tree, members and logins); writes directly, like the
member demo, and records one audit event.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from cosodang.accounts.models import User
from cosodang.core import audit
from cosodang.evaluations import rules_cycle as rc
from cosodang.evaluations.models import (
    Assessment,
    AssessmentSource,
    Period,
    PeriodEvent,
    PeriodState,
    Rating,
    RatingState,
    SelfReview,
    SelfReviewState,
)
from cosodang.evaluations.selectors import cycle as sel
from cosodang.evaluations.selectors.packs import stored_pack_for_date
from cosodang.evaluations.services import decisions
from cosodang.evaluations.services import ratings as ratings_services
from cosodang.members.models import Member
from cosodang.orgs.models import PartyOrg

PROVINCE_CODE = "HN"
DEMO_CELL_CODE = "HN-PC02-D01"
STAFF_USERNAME = "canbo.hanoi"
SECRETARY_USERNAME = "bithu.hanoi"
MEMBER_USERNAME = "dangvien.hanoi"
SEED = 2026
CELLS = 4  # the demo cell and a few more of the province get self-reviews and assessments

TASK_RESULTS = (
    "Chủ trì xác minh {n} tin báo tố giác tội phạm, đề xuất khởi tố đúng hạn; tham gia "
    "đấu tranh chuyên án theo kế hoạch của đơn vị.",
    "Hoàn thành {n} hồ sơ nghiệp vụ được giao; tham mưu báo cáo sơ kết, tổng kết đúng hạn.",
    "Tuần tra, kiểm soát theo kế hoạch; giải quyết {n} vụ việc về an ninh trật tự trên địa bàn.",
)
SHORTCOMINGS = (
    "Có lúc chậm cập nhật số liệu báo cáo\nChưa mạnh dạn phát biểu trong sinh hoạt chi bộ",
    "Nghiên cứu văn bản mới còn chậm",
    "",
)
COMMITTEE_TEXT = (
    "Lập trường tư tưởng vững vàng; chấp hành nghiêm kỷ luật; hoàn thành tốt nhiệm vụ được giao.",
    "Có tinh thần trách nhiệm; cần chủ động hơn trong tham mưu, đề xuất.",
)
LEVELS = ("HTXSNV", "HTTNV", "HTTNV", "HTTNV", "HTNV")


@dataclass(frozen=True)
class SeedReport:
    """What the evaluation demo created."""

    period: Period | None
    previous: Period | None
    self_reviews: int
    assessments: int
    ratings: int
    skipped: bool = False


def _plan(today: date) -> dict[str, date]:
    """A plan whose self-review window is open on `today` (due in a week)."""
    return {
        "opens_on": today - timedelta(days=7),
        "self_review_due": today + timedelta(days=7),
        "cell_meeting_by": today + timedelta(days=12),
        "decision_by": today + timedelta(days=18),
        "publish_from": today + timedelta(days=19),
        "publish_until": today + timedelta(days=26),
        "closes_on": today + timedelta(days=30),
    }


def _closed_plan(year: int) -> dict[str, date]:
    return {
        "opens_on": date(year, 12, 1),
        "self_review_due": date(year, 12, 5),
        "cell_meeting_by": date(year, 12, 9),
        "decision_by": date(year, 12, 12),
        "publish_from": date(year, 12, 13),
        "publish_until": date(year, 12, 20),
        "closes_on": date(year, 12, 24),
    }


def _period(org: PartyOrg, staff: User, year: int, plan: dict[str, date], state: str) -> Period:
    start, end = rc.period_bounds("year", year, None)
    period = Period.objects.create(
        org=org,
        org_path=org.path,
        kind="year",
        year=year,
        start=start,
        end=end,
        pack=stored_pack_for_date(end),
        state=state,
        created_by=staff,
        **plan,
    )
    steps = ["create", "open"]
    if state == PeriodState.CLOSED:
        steps += ["publish", "close"]
    for step in steps:
        PeriodEvent.objects.create(
            period=period, org_path=period.org_path, action=step, actor=staff
        )
    return period


def _scores(rng: random.Random, period: Period, form: str) -> tuple[dict[str, str], Decimal]:
    scores: dict[str, str] = {}
    total = Decimal(0)
    for spec in sel.criterion_specs(period, form):
        if spec.points is None:
            continue
        value = (spec.points * Decimal(rng.randint(78, 97)) / 100).quantize(Decimal("0.5"))
        scores[spec.code] = str(value.quantize(Decimal("0.01")))
        total += value
    return scores, total.quantize(Decimal("0.01"))


def _level_for(score: Decimal) -> str:
    if score >= 90:
        return "HTXSNV"
    if score >= 70:
        return "HTTNV"
    return "HTNV" if score >= 50 else "KHTNV"


def _review(
    rng: random.Random, period: Period, member: Member, *, submitted: bool, now: Any
) -> SelfReview:
    form = sel.form_for_member(member, period.end)
    scores, total = _scores(rng, period, form)
    tasks = rng.randint(8, 20)
    late = rng.choice((0, 0, 0, 1))
    above = rng.randint(0, tasks // 3)
    flags: dict[str, dict[str, Any]] = {}
    if rng.random() < 0.3:
        flags["A3"] = {"flag": True, "note": "Việc tự học nghị quyết mới còn chưa thường xuyên."}
    return SelfReview(
        period=period,
        member=member,
        org_path=member.org_path,
        form=form,
        state=SelfReviewState.SUBMITTED if submitted else SelfReviewState.DRAFT,
        ideology="Tuyệt đối trung thành với Đảng, Tổ quốc, nhân dân; kiên định mục tiêu, lý tưởng.",
        ethics="Giữ gìn phẩm chất đạo đức, lối sống giản dị; gương mẫu nơi cư trú.",
        working_style="Làm việc khoa học, đúng quy trình; phối hợp tốt với đồng chí, đồng đội.",
        discipline="Chấp hành nghiêm Điều lệnh CAND, quy định của đơn vị và nơi cư trú.",
        task_results=rng.choice(TASK_RESULTS).format(n=tasks),
        evidence=f"Báo cáo kết quả công tác năm; {above} việc được đánh giá vượt yêu cầu.",
        tasks_total=tasks,
        tasks_on_time=tasks - late,
        tasks_above_requirement=above,
        tasks_late=late,
        manifestations=flags,
        shortcomings=rng.choice(SHORTCOMINGS),
        remedy_plan="Chủ động nghiên cứu văn bản mới; cập nhật số liệu hằng tuần.",
        criterion_scores=scores if submitted else {},
        self_score=total if submitted else None,
        proposed_level=_level_for(total) if submitted else "",
        submitted_at=now if submitted else None,
    )


@transaction.atomic
def seed_evaluations(*, today: date | None = None, if_empty: bool = True) -> SeedReport:
    """Create the demo periods, self-reviews, assessments and last year's locked results."""
    today = today or timezone.localdate()
    province = PartyOrg.objects.filter(code=PROVINCE_CODE).first()
    staff = User.objects.filter(username=STAFF_USERNAME).first()
    secretary = User.objects.filter(username=SECRETARY_USERNAME).first()
    if province is None or staff is None or secretary is None:
        raise LookupError("Chưa có dữ liệu mẫu: chạy `manage.py seed_demo` trước.")
    if if_empty and Period.objects.filter(org=province).exists():
        return SeedReport(None, None, 0, 0, 0, skipped=True)
    rng = random.Random(SEED)
    now = timezone.now()
    demo_member_id = (
        User.objects.filter(username=MEMBER_USERNAME).values_list("member_id", flat=True).first()
    )
    # Last year is rated through the services (proposal, decision with the caps) while open,
    # then closed: its plan dates lie in the past, where the cycle would refuse each step.
    previous = _period(province, staff, today.year - 1, _closed_plan(today.year - 1), "open")
    period = _period(province, staff, today.year, _plan(today), "open")

    demo_cell = PartyOrg.objects.get(code=DEMO_CELL_CODE)
    other_cells = list(
        PartyOrg.objects.filter(
            pk__in=sel.eligible_members(period)
            .exclude(org=demo_cell)
            .order_by("org_id")
            .values_list("org_id", flat=True)
            .distinct()[: CELLS - 1]
        )
    )
    cells = [demo_cell, *other_cells]
    members = list(
        sel.eligible_members(period).filter(org__in=cells).select_related("org").order_by("pk")
    )
    # Last year: everyone of these cells was rated, results locked (history and remedies).
    old_reviews = [_review(rng, previous, m, submitted=True, now=now) for m in members]
    SelfReview.objects.bulk_create(old_reviews)
    for cell in cells:
        ratings_services.propose_cell(actor=staff, period=previous, org=cell)
    decisions.decide(actor=staff, period=previous, org=province)
    rated = Rating.objects.filter(period=previous).update(state=RatingState.LOCKED)
    Period.objects.filter(pk=previous.pk).update(state=PeriodState.CLOSED, closed_at=now)
    for step in ("publish", "close"):
        PeriodEvent.objects.create(
            period=previous, org_path=previous.org_path, action=step, actor=staff
        )

    # This year: most members have submitted; the demo member's own is left to fill in.
    reviews = []
    assessments = []
    meeting = today + timedelta(days=3)
    for i, m in enumerate(members):
        if m.pk == demo_member_id:
            continue
        submitted = rng.random() < 0.8
        reviews.append(_review(rng, period, m, submitted=submitted, now=now))
        if not submitted:
            continue
        committee = rng.choice(COMMITTEE_TEXT)
        assessments.append(
            Assessment(
                period=period,
                member=m,
                org_path=m.org_path,
                source=AssessmentSource.CELL_COMMITTEE,
                author=secretary,
                author_name=f"Chi ủy {m.org.name}",
                text=committee,
                level=rng.choice(LEVELS),
            )
        )
        if m.org_id == demo_cell.pk and i % 3 != 2:
            assessments.append(
                Assessment(
                    period=period,
                    member=m,
                    org_path=m.org_path,
                    source=AssessmentSource.CELL_COLLECTIVE,
                    author=secretary,
                    author_name=f"Tập thể {m.org.name}",
                    text="Tập thể chi bộ nhất trí với bản tự kiểm điểm.",
                    meeting_date=meeting,
                )
            )
        exempt = rng.random() < 0.4
        assessments.append(
            Assessment(
                period=period,
                member=m,
                org_path=m.org_path,
                source=AssessmentSource.RESIDENCE,
                author=secretary,
                author_name="" if exempt else f"Chi ủy chi bộ khu dân cư nơi cư trú của {m}",
                text="" if exempt else "Gương mẫu thực hiện nghĩa vụ công dân nơi cư trú.",
                exempt=exempt,
                exempt_reason="Ở tập trung trong doanh trại (HD 33-HD/BTCTW mục 1)"
                if exempt
                else "",
            )
        )
        if rng.random() < 0.7:
            assessments.append(
                Assessment(
                    period=period,
                    member=m,
                    org_path=m.org_path,
                    source=AssessmentSource.COMMANDER,
                    author=secretary,
                    author_name="Thủ trưởng đơn vị",
                    text="Xếp loại cán bộ năm theo kết quả công tác.",
                    level=rng.choice(LEVELS[:4]),
                )
            )
    for a in assessments:
        if not a.author_name:
            a.author_name = "Chi ủy nơi cư trú"
    SelfReview.objects.bulk_create(reviews)
    Assessment.objects.bulk_create(assessments)
    audit.record(
        actor=staff,
        action="evaluations.seed_demo",
        object_type="evaluations.Period",
        object_id=str(period.pk),
        object_repr=f"{period.label} — {province.name} (dữ liệu mẫu)",
        org_path=province.path,
        changes={
            "self_reviews": [0, len(reviews) + len(old_reviews)],
            "assessments": [0, len(assessments)],
            "ratings": [0, rated],
        },
    )
    return SeedReport(
        period=period,
        previous=previous,
        self_reviews=len(reviews) + len(old_reviews),
        assessments=len(assessments),
        ratings=rated,
    )
