"""API of the evaluations app: the review cycle (periods, own self-review, assessments,
objections). Scoped like the pages: anything the caller may not see answers 404; refused input
answers 422 with the field named."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from cosodang.core.access import Action, can_anywhere
from cosodang.evaluations import rules_cycle as rc
from cosodang.evaluations.models import Assessment, Period, SelfReview
from cosodang.evaluations.selectors import cycle as sel
from cosodang.evaluations.services import cycle as services
from cosodang.members import selectors as member_selectors
from cosodang.orgs import selectors as org_selectors

router = Router(tags=["Đánh giá, xếp loại: kỳ kiểm điểm"])

Level = Literal["HTXSNV", "HTTNV", "HTNV", "KHTNV"]


class PlanIn(Schema):
    """The plan's dates, in order."""

    model_config = ConfigDict(extra="forbid")

    opens_on: date
    self_review_due: date
    cell_meeting_by: date
    decision_by: date
    publish_from: date
    publish_until: date
    closes_on: date


class PeriodIn(PlanIn):
    """Plan a period for the organisation `org_id` (DECIDE_EVALUATION there)."""

    org_id: int
    kind: Literal["quarter", "year"]
    year: int = Field(ge=2018, le=2100)
    quarter: int | None = Field(None, ge=1, le=3, description="1–3; quý IV gộp vào cả năm")
    peer_review: bool = False


class PeriodOut(Schema):
    """A period with its plan and state."""

    id: int
    org_id: int
    org_name: str
    kind: str
    year: int
    quarter: int | None
    label: str
    start: date
    end: date
    pack: str
    state: str
    state_label: str
    peer_review: bool
    opens_on: date
    self_review_due: date
    cell_meeting_by: date
    decision_by: date
    publish_from: date
    publish_until: date
    closes_on: date


def _period(p: Period) -> dict[str, Any]:
    return {
        "id": p.pk,
        "org_id": p.org_id,
        "org_name": p.org.name,
        "kind": p.kind,
        "year": p.year,
        "quarter": p.quarter,
        "label": p.label,
        "start": p.start,
        "end": p.end,
        "pack": p.pack.code,
        "state": p.state,
        "state_label": p.get_state_display(),
        "peer_review": p.peer_review,
        **{name: getattr(p, name) for name, _ in rc.PLAN_FIELDS},
    }


@router.get("/periods", response=list[PeriodOut], summary="Các kỳ đánh giá trong phạm vi")
def list_periods(request: HttpRequest) -> list[dict[str, Any]]:
    """List the periods covering part of the caller's scope or their own cell, newest first."""
    return [_period(p) for p in sel.list_periods(request.user)[:200]]


@router.get("/periods/{period_id}", response=PeriodOut, summary="Một kỳ đánh giá")
def get_period(request: HttpRequest, period_id: int) -> dict[str, Any]:
    """Show one period with its plan."""
    return _period(sel.get_period(request.user, period_id))


@router.post("/periods", response={201: PeriodOut}, summary="Lập kỳ đánh giá")
def create_period(request: HttpRequest, payload: PeriodIn) -> Status:
    """Plan a quarterly or yearly period; the pack is chosen by the period's end date."""
    org = org_selectors.get_org(request.user, payload.org_id, Action.DECIDE_EVALUATION)
    plan = {name: getattr(payload, name) for name, _ in rc.PLAN_FIELDS}
    period = services.create_period(
        actor=request.user,
        org=org,
        kind=payload.kind,
        year=payload.year,
        quarter=payload.quarter,
        plan=plan,
        peer_review=payload.peer_review,
    )
    return Status(201, _period(sel.get_period(request.user, period.pk)))


# --- the caller's own self-review ------------------------------------------------------------


class ManifestationIn(Schema):
    model_config = ConfigDict(extra="forbid")

    flag: bool = False
    note: str = Field("", max_length=1000)


class RemedyIn(Schema):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=1000)
    status: Literal["done", "in_progress", "not_done"] = "not_done"
    note: str = Field("", max_length=1000)


class SelfReviewIn(Schema):
    """Fields of the own self-review; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    ideology: str | None = None
    ethics: str | None = None
    working_style: str | None = None
    discipline: str | None = None
    task_results: str | None = None
    evidence: str | None = None
    example_duty: str | None = None
    shortcomings: str | None = None
    remedy_plan: str | None = None
    tasks_total: int | None = Field(None, ge=0)
    tasks_on_time: int | None = Field(None, ge=0)
    tasks_above_requirement: int | None = Field(None, ge=0)
    tasks_late: int | None = Field(None, ge=0)
    manifestations: dict[str, ManifestationIn] | None = Field(
        None, description="Mã biểu hiện (A1…C9) → {flag, note}"
    )
    remedies: list[RemedyIn] | None = None
    criterion_scores: dict[str, str] | None = Field(
        None, description="Mã tiêu chí của khung → điểm (gói thang điểm) hoặc mã mức (gói cũ)"
    )
    proposed_level: Level | Literal[""] | None = None

    def service_data(self, review: SelfReview) -> dict[str, Any]:
        data = self.model_dump(exclude_unset=True, exclude_none=True)
        # The service replaces a whole section; keep what the caller did not send.
        for name in ("tasks_total", "tasks_on_time", "tasks_above_requirement", "tasks_late"):
            data.setdefault(name, getattr(review, name))
        return data


class SelfReviewOut(Schema):
    """A self-review with its state, form and content."""

    id: int | None
    period_id: int
    member_id: int
    form: str
    state: str
    ideology: str
    ethics: str
    working_style: str
    discipline: str
    task_results: str
    evidence: str
    example_duty: str
    tasks_total: int
    tasks_on_time: int
    tasks_above_requirement: int
    tasks_late: int
    manifestations: dict[str, Any]
    shortcomings: str
    remedies: list[dict[str, Any]]
    remedy_plan: str
    criterion_scores: dict[str, str]
    self_score: Decimal | None
    proposed_level: str
    return_note: str
    submitted_at: datetime | None


def _review(r: SelfReview) -> dict[str, Any]:
    return {
        "id": r.pk,
        "period_id": r.period_id,
        "member_id": r.member_id,
        **{
            name: getattr(r, name)
            for name in SelfReviewOut.model_fields
            if name not in ("id", "period_id", "member_id")
        },
    }


def _own(request: HttpRequest, period_id: int) -> tuple[Period, SelfReview]:
    period = sel.get_period(request.user, period_id)
    member = sel.own_member(request.user)
    if member is None or not sel.eligible_members(period).filter(pk=member.pk).exists():
        raise Http404("Không tìm thấy")
    review = sel.own_self_review(request.user, period) or services._new_review(period, member)
    return period, review


@router.get(
    "/periods/{period_id}/self-review", response=SelfReviewOut, summary="Bản kiểm điểm của tôi"
)
def get_own_self_review(request: HttpRequest, period_id: int) -> dict[str, Any]:
    """Return the caller's own self-review for a period (a fresh draft if none is saved)."""
    return _review(_own(request, period_id)[1])


@router.put("/periods/{period_id}/self-review", response=SelfReviewOut, summary="Lưu bản kiểm điểm")
def put_own_self_review(
    request: HttpRequest, period_id: int, payload: SelfReviewIn
) -> dict[str, Any]:
    """Save the caller's own self-review as a draft."""
    period, review = _own(request, period_id)
    saved = services.save_self_review(
        actor=request.user, period=period, data=payload.service_data(review)
    )
    return _review(saved)


@router.post(
    "/periods/{period_id}/self-review/submit",
    response=SelfReviewOut,
    summary="Nộp bản kiểm điểm",
)
def submit_own_self_review(
    request: HttpRequest, period_id: int, payload: SelfReviewIn
) -> dict[str, Any]:
    """Save the fields sent and submit the caller's own self-review (before the due date)."""
    period, review = _own(request, period_id)
    saved = services.save_self_review(
        actor=request.user, period=period, data=payload.service_data(review), submit=True
    )
    return _review(saved)


# --- assessments -----------------------------------------------------------------------------


class AssessmentIn(Schema):
    """One source's assessment of the member `member_id`."""

    model_config = ConfigDict(extra="forbid")

    member_id: int
    source: Literal["cell_committee", "cell_collective", "residence", "commander", "peer"]
    text: str = Field("", max_length=20000)
    level: Level | Literal[""] = ""
    score: Decimal | None = Field(None, ge=0, le=100, decimal_places=2)
    author_name: str = Field("", max_length=255)
    exempt: bool = False
    exempt_reason: str = Field("", max_length=255)
    meeting_date: date | None = None


class AssessmentOut(Schema):
    """An attributed assessment."""

    id: int
    period_id: int
    member_id: int
    member_name: str
    source: str
    source_label: str
    author: str
    author_name: str
    text: str
    level: str
    score: Decimal | None
    exempt: bool
    exempt_reason: str
    meeting_date: date | None
    created_at: datetime


def _assessment(a: Assessment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "period_id": a.period_id,
        "member_id": a.member_id,
        "member_name": a.member.full_name,
        "source": a.source,
        "source_label": a.get_source_display(),
        "author": a.author.username,
        "author_name": a.author_name,
        "text": a.text,
        "level": a.level,
        "score": a.score,
        "exempt": a.exempt,
        "exempt_reason": a.exempt_reason,
        "meeting_date": a.meeting_date,
        "created_at": a.created_at,
    }


class AssessmentQuery(Schema):
    member_id: int | None = None


@router.get(
    "/periods/{period_id}/assessments",
    response=list[AssessmentOut],
    summary="Nhận xét, đánh giá trong kỳ",
)
def list_period_assessments(
    request: HttpRequest, period_id: int, filters: Query[AssessmentQuery]
) -> list[dict[str, Any]]:
    """List the assessments of a period within the caller's scope (optionally one member)."""
    period = sel.get_period(request.user, period_id)
    if not can_anywhere(request.user, Action.VIEW_EVALUATION):
        raise Http404("Không tìm thấy")
    member = None
    if filters.member_id is not None:
        member = member_selectors.get_member(request.user, filters.member_id)
    return [_assessment(a) for a in sel.list_assessments(request.user, period, member)[:2000]]


@router.post(
    "/periods/{period_id}/assessments",
    response={201: AssessmentOut},
    summary="Ghi nhận xét, đánh giá",
)
def create_assessment(request: HttpRequest, period_id: int, payload: AssessmentIn) -> Status:
    """Record one source's attributed assessment of a member of the period; a member writes a
    peer comment (`source` "peer") on a member of their own cell when the period enables it."""
    period = sel.get_period(request.user, period_id)
    if payload.source == "peer" and sel.own_member(request.user) is not None:
        member = sel.get_peer_subject(request.user, period, payload.member_id)
    else:
        member = member_selectors.get_member(request.user, payload.member_id)
    row = services.add_assessment(
        actor=request.user,
        period=period,
        member=member,
        **payload.model_dump(exclude={"member_id"}),
    )
    return Status(201, _assessment(row))


# --- objections ------------------------------------------------------------------------------


class ObjectionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=20000)


class AnswerIn(Schema):
    model_config = ConfigDict(extra="forbid")

    upheld: bool
    answer: str = Field(min_length=1, max_length=20000)
    new_level: Level | Literal[""] = ""


class ObjectionOut(Schema):
    id: int
    rating_id: int
    member_id: int
    text: str
    state: str
    previous_level: str
    new_level: str
    answer: str
    lodged_at: datetime
    answered_at: datetime | None


def _objection(o: Any) -> dict[str, Any]:
    return {
        "id": o.pk,
        "rating_id": o.rating_id,
        "member_id": o.rating.member_id,
        "text": o.text,
        "state": o.state,
        "previous_level": o.previous_level,
        "new_level": o.new_level,
        "answer": o.answer,
        "lodged_at": o.lodged_at,
        "answered_at": o.answered_at,
    }


@router.post(
    "/ratings/{rating_id}/objections",
    response={201: ObjectionOut},
    summary="Kiến nghị về kết quả của tôi",
)
def create_objection(request: HttpRequest, rating_id: int, payload: ObjectionIn) -> Status:
    """Lodge the caller's objection to their own published result, during the window."""
    rating = sel.get_rating(request.user, rating_id)
    member = sel.own_member(request.user)
    if member is None or member.pk != rating.member_id:
        raise Http404("Không tìm thấy")
    objection = services.lodge_objection(actor=request.user, rating=rating, text=payload.text)
    return Status(201, _objection(objection))


@router.post(
    "/objections/{objection_id}/answer", response=ObjectionOut, summary="Trả lời kiến nghị"
)
def answer_objection(request: HttpRequest, objection_id: int, payload: AnswerIn) -> dict[str, Any]:
    """Answer an objection: uphold it with a new level, or dismiss it."""
    objection = sel.get_objection(request.user, objection_id, Action.DECIDE_EVALUATION)
    return _objection(
        services.answer_objection(
            actor=request.user,
            objection=objection,
            upheld=payload.upheld,
            answer=payload.answer,
            new_level=payload.new_level,
        )
    )
