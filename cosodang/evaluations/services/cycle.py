"""Writes of the review cycle: periods and their plan, self-reviews, assessments by source,
publication, objections, close (lock) and reopen.

Each service checks the actor's right once (404 like a missing object, core/access.py), runs
in one transaction, locks the row whose state changes, validates with the pure rules of
``rules_cycle.py`` (Vietnamese messages naming the field), writes, and appends one audit event
(and a PeriodEvent row for each step of a period's timeline).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from cosodang.core import audit
from cosodang.core.access import Action, can, require
from cosodang.evaluations import rules_cycle as rc
from cosodang.evaluations.models import (
    Assessment,
    AssessmentSource,
    Objection,
    ObjectionState,
    Period,
    PeriodEvent,
    PeriodKind,
    PeriodState,
    Rating,
    RatingState,
    SelfReview,
    SelfReviewForm,
    SelfReviewState,
    StoredPack,
)
from cosodang.evaluations.schema import LEVEL_RANK, NoPackError
from cosodang.evaluations.selectors import cycle as sel
from cosodang.evaluations.selectors.packs import stored_pack_for_date
from cosodang.evaluations.services import decisions
from cosodang.members.models import Member
from cosodang.orgs.models import PartyOrg

TEXT_FIELDS = (
    "ideology",
    "ethics",
    "working_style",
    "discipline",
    "task_results",
    "evidence",
    "example_duty",
    "shortcomings",
    "remedy_plan",
)
TEXT_LIMIT = 20_000
# Also the peer constraint's violation message on models.Assessment.
PEER_TWICE = "Bạn đã góp ý cho đồng chí này trong kỳ này (mỗi kỳ một lần)."
PLAN_LOCKED = "Kỳ đã kết thúc: không sửa kế hoạch được."


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _refuse(message: str | None, field: str | None = None) -> None:
    if message:
        raise ValidationError({field: [message]} if field else message)


def _event(period: Period, actor: Any, action: str, reason: str = "") -> PeriodEvent:
    return PeriodEvent.objects.create(
        period=period, org_path=period.org_path, action=action, reason=reason, actor=actor
    )


def plan_of(period: Period) -> rc.Plan:
    """Return a period's plan as the pure rules' value."""
    return rc.Plan(**{name: getattr(period, name) for name, _ in rc.PLAN_FIELDS})


def _lock_period(period: Period) -> Period:
    return Period.objects.select_for_update().select_related("org", "pack").get(pk=period.pk)


def _check_step(period: Period, step: rc.Step) -> rc.State:
    try:
        return rc.next_state(period.state, step)
    except rc.CycleError as exc:
        raise ValidationError(exc.message) from exc


# --------------------------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------------------------


@transaction.atomic
def create_period(
    *,
    actor: Any,
    org: PartyOrg,
    kind: str,
    year: int,
    quarter: int | None = None,
    plan: Mapping[str, date | None],
    peer_review: bool = False,
    pack: StoredPack | None = None,
) -> Period:
    """Plan a quarterly or yearly period for an organisation subtree (DECIDE_EVALUATION)."""
    require(actor, Action.DECIDE_EVALUATION, org)
    if kind not in PeriodKind.values:
        raise ValidationError({"kind": ["Chọn kỳ quý hoặc kỳ năm."]})
    if kind == PeriodKind.YEAR:
        quarter = None
    try:
        start, end = rc.period_bounds(kind, year, quarter)
    except rc.CycleError as exc:
        raise ValidationError({exc.field or "quarter": [exc.message]}) from exc
    errors = rc.check_plan(plan)
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    if pack is None:
        try:
            pack = stored_pack_for_date(end)
        except NoPackError as exc:
            raise ValidationError({"year": [str(exc)]}) from exc
    elif not pack.builtin and not org.path.startswith(pack.owner_path):
        raise ValidationError({"pack": ["Gói quy tắc này không thuộc tổ chức của kỳ đánh giá."]})
    duplicate = Period.objects.filter(org=org, kind=kind, year=year, quarter=quarter).exists()
    if duplicate:
        label = f"Quý {quarter}/{year}" if quarter else f"Năm {year}"
        raise ValidationError({"year": [f"{org.name} đã có kỳ đánh giá {label}."]})
    period = Period(
        org=org,
        org_path=org.path,
        kind=kind,
        year=year,
        quarter=quarter,
        start=start,
        end=end,
        pack=pack,
        peer_review=peer_review,
        created_by=actor,
        **{name: plan[name] for name, _ in rc.PLAN_FIELDS},
    )
    period.full_clean()
    period.save()
    _event(period, actor, "create")
    audit.record(
        actor=actor,
        action="evaluations.create_period",
        obj=period,
        org_path=period.org_path,
        changes=audit.diff({}, audit.snapshot(period)),
    )
    return period


def refuse_plan_change(period: Period) -> str | None:
    """Return why the period's plan may no longer change, or None (a closed period's is kept)."""
    return PLAN_LOCKED if period.state == PeriodState.CLOSED else None


@transaction.atomic
def update_plan(*, actor: Any, period: Period, plan: Mapping[str, date | None]) -> Period:
    """Change the plan's dates of a period that is not closed (DECIDE_EVALUATION)."""
    period = _lock_period(period)
    require(actor, Action.DECIDE_EVALUATION, period.org)
    _refuse(refuse_plan_change(period))
    errors = rc.check_plan(plan)
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    names = [name for name, _ in rc.PLAN_FIELDS]
    before = audit.snapshot(period, names)
    for name in names:
        setattr(period, name, plan[name])
    period.full_clean()
    period.save(update_fields=names)
    _event(period, actor, "update_plan")
    audit.record(
        actor=actor,
        action="evaluations.update_plan",
        obj=period,
        org_path=period.org_path,
        changes=audit.diff(before, audit.snapshot(period, names)),
    )
    return period


def _transition(
    period: Period, actor: Any, step: rc.Step, new_state: rc.State, reason: str = ""
) -> Period:
    old = period.state
    period.state = new_state.value
    fields = ["state"]
    if step == rc.Step.CLOSE:
        period.closed_at = timezone.now()
        fields.append("closed_at")
    period.save(update_fields=fields)
    _event(period, actor, step.value, reason)
    audit.record(
        actor=actor,
        action=f"evaluations.{step.value}_period",
        obj=period,
        org_path=period.org_path,
        changes={"state": [old, period.state], **({"reason": [None, reason]} if reason else {})},
    )
    return period


@transaction.atomic
def open_period(*, actor: Any, period: Period, today: date | None = None) -> Period:
    """Open the period for self-reviews, from the plan's opening day."""
    period = _lock_period(period)
    require(actor, Action.DECIDE_EVALUATION, period.org)
    target = _check_step(period, rc.Step.OPEN)
    _refuse(rc.refuse_open(_today(today), plan_of(period)))
    return _transition(period, actor, rc.Step.OPEN, target)


@transaction.atomic
def publish_results(*, actor: Any, period: Period, today: date | None = None) -> int:
    """Publish the decided ratings to the organisation for the plan's window; return how many."""
    period = _lock_period(period)
    require(actor, Action.DECIDE_EVALUATION, period.org)
    target = _check_step(period, rc.Step.PUBLISH)
    decided = Rating.objects.select_for_update().filter(period=period, state=RatingState.DECIDED)
    count = decided.count()
    _refuse(rc.refuse_publish(_today(today), plan_of(period), decided=count))
    decided.update(state=RatingState.PUBLISHED)
    _transition(period, actor, rc.Step.PUBLISH, target, reason=f"{count} kết quả")
    return count


@transaction.atomic
def close_period(*, actor: Any, period: Period, today: date | None = None) -> Period:
    """Close the period after the publication window, every objection answered: lock ratings."""
    period = _lock_period(period)
    require(actor, Action.DECIDE_EVALUATION, period.org)
    target = _check_step(period, rc.Step.CLOSE)
    open_objections = Objection.objects.filter(
        rating__period=period, state=ObjectionState.OPEN
    ).count()
    _refuse(rc.refuse_close(_today(today), plan_of(period), open_objections=open_objections))
    Rating.objects.filter(period=period).exclude(state=RatingState.PROPOSED).update(
        state=RatingState.LOCKED
    )
    return _transition(period, actor, rc.Step.CLOSE, target)


@transaction.atomic
def reopen_period(*, actor: Any, period: Period, reason: str) -> Period:
    """Reopen a closed period by a superior committee, with the reason recorded.

    Only DECIDE_EVALUATION on an ancestor of the period's organisation counts: the committee
    that closed the period cannot reopen it itself (rules.md: the superior cancels and re-rates).
    Locked ratings go back to DECIDED so the committee can re-rate and publish again.
    """
    period = _lock_period(period)
    if not sel.can_reopen(actor, period):
        raise Http404("Không tìm thấy")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Ghi rõ lý do mở lại kỳ đánh giá."]})
    target = _check_step(period, rc.Step.REOPEN)
    Rating.objects.filter(period=period, state=RatingState.LOCKED).update(state=RatingState.DECIDED)
    period.closed_at = None
    period.save(update_fields=["closed_at"])
    return _transition(period, actor, rc.Step.REOPEN, target, reason=reason[:2000])


# --------------------------------------------------------------------------------------------
# Self-reviews
# --------------------------------------------------------------------------------------------


def _int(value: Any, field: str, errors: dict[str, list[str]]) -> int:
    if value in (None, ""):
        return 0
    try:
        number = int(str(value).strip())
    except ValueError:
        errors.setdefault(field, []).append("Phải là số nguyên.")
        return 0
    if number < 0 or number > 100_000:
        errors.setdefault(field, []).append("Phải từ 0 đến 100.000.")
        return 0
    return number


def _apply_content(review: SelfReview, data: Mapping[str, Any]) -> None:
    """Validate the member's content and set it on the review (not saved); raise on errors."""
    errors: dict[str, list[str]] = {}
    for name in TEXT_FIELDS:
        if name in data:
            text = str(data[name] or "").strip()
            if len(text) > TEXT_LIMIT:
                errors.setdefault(name, []).append(f"Tối đa {TEXT_LIMIT} ký tự.")
            setattr(review, name, text)
    for name in rc.TASK_FIELDS:
        if name in data:
            setattr(review, name, _int(data[name], name, errors))
    for name, message in rc.check_tasks(
        review.tasks_total,
        review.tasks_on_time,
        review.tasks_above_requirement,
        review.tasks_late,
    ).items():
        errors.setdefault(name, []).append(message)
    try:
        if "manifestations" in data:
            review.manifestations = rc.clean_manifestations(data["manifestations"] or {})
        if "remedies" in data:
            review.remedies = rc.clean_remedies(data["remedies"] or [])
    except rc.CycleError as exc:
        errors.setdefault(exc.field or "__all__", []).append(exc.message)
    if "criterion_scores" in data:
        specs = sel.criterion_specs(review.period, review.form)
        scores, total, score_errors = rc.score_criteria(specs, data["criterion_scores"] or {})
        for name, message in score_errors.items():
            errors.setdefault(name, []).append(message)
        review.criterion_scores = scores
        review.self_score = total
    if "proposed_level" in data:
        level = str(data["proposed_level"] or "")
        if level and level not in LEVEL_RANK:
            errors.setdefault("proposed_level", []).append("Chọn một mức xếp loại.")
        review.proposed_level = level
    if errors:
        raise ValidationError(errors)


def _new_review(period: Period, member: Member) -> SelfReview:
    previous = sel.previous_self_review(period, member)
    return SelfReview(
        period=period,
        member=member,
        org_path=member.org_path,
        form=sel.form_for_member(member, period.end),
        remedies=rc.shortcomings_to_remedies(previous.shortcomings) if previous else [],
    )


def _check_member_in_period(period: Period, member: Member) -> None:
    if not sel.eligible_members(period).filter(pk=member.pk).exists():
        raise Http404("Không tìm thấy")


@transaction.atomic
def save_self_review(
    *,
    actor: Any,
    period: Period,
    data: Mapping[str, Any],
    submit: bool = False,
    today: date | None = None,
) -> SelfReview:
    """Save the actor's own self-review for a period (a draft), and submit it when asked.

    A member edits only their own review, while the period is open and the review is a draft
    or was returned; submitting after the due date is refused unless the cell returned it.
    """
    member = sel.own_member(actor)
    if member is None:
        raise Http404("Không tìm thấy")
    period = Period.objects.select_for_update().get(pk=period.pk)
    _check_member_in_period(period, member)
    if period.state != PeriodState.OPEN:
        raise ValidationError("Kỳ đánh giá không ở giai đoạn kiểm điểm: không sửa, nộp được.")
    review = (
        SelfReview.objects.select_for_update()
        .select_related("period__pack")
        .filter(period=period, member=member)
        .first()
    )
    created = review is None
    if review is None:
        review = _new_review(period, member)
    review.period = period
    if review.state == SelfReviewState.SUBMITTED:
        raise ValidationError("Bản kiểm điểm đã nộp: chỉ sửa được khi chi bộ trả lại.")
    before = {} if created else audit.snapshot(review)
    _apply_content(review, data)
    if submit:
        _refuse(
            rc.refuse_submission(
                _today(today),
                plan_of(period),
                returned=review.state == SelfReviewState.RETURNED,
            )
        )
        required = {
            name: ["Cần điền trước khi nộp."]
            for name in ("task_results", "proposed_level")
            if not getattr(review, name)
        }
        if required:
            raise ValidationError(required)
        review.state = SelfReviewState.SUBMITTED
        review.submitted_at = timezone.now()
    review.full_clean()
    review.save()
    audit.record(
        actor=actor,
        action="evaluations.submit_self_review" if submit else "evaluations.save_self_review",
        obj=review,
        org_path=review.org_path,
        changes=audit.diff(before, audit.snapshot(review)),
    )
    return review


@transaction.atomic
def return_self_review(*, actor: Any, review: SelfReview, note: str) -> SelfReview:
    """Return a submitted self-review to its member for completion (ASSESS_MEMBER)."""
    review = (
        SelfReview.objects.select_for_update()
        .select_related("period", "member__org")
        .get(pk=review.pk)
    )
    require(actor, Action.ASSESS_MEMBER, review.member.org)
    if review.period.state != PeriodState.OPEN:
        raise ValidationError("Kỳ đánh giá không ở giai đoạn kiểm điểm.")
    if review.state != SelfReviewState.SUBMITTED:
        raise ValidationError("Chỉ trả lại được bản kiểm điểm đã nộp.")
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": ["Ghi rõ nội dung cần bổ sung."]})
    review.state = SelfReviewState.RETURNED
    review.return_note = note[:2000]
    review.save(update_fields=["state", "return_note", "updated_at"])
    audit.record(
        actor=actor,
        action="evaluations.return_self_review",
        obj=review,
        org_path=review.org_path,
        changes={"state": ["submitted", "returned"], "return_note": ["", review.return_note]},
    )
    return review


@transaction.atomic
def set_self_review_form(*, actor: Any, period: Period, member: Member, form: str) -> SelfReview:
    """Change a member's form (e.g. Mẫu 2C for a member outside the political system)."""
    require(actor, Action.ASSESS_MEMBER, member.org)
    _check_member_in_period(period, member)
    if form not in SelfReviewForm.values:
        raise ValidationError({"form": ["Chọn Mẫu 2A, 2B hoặc 2C."]})
    review = SelfReview.objects.select_for_update().filter(period=period, member=member).first()
    if review is None:
        review = _new_review(period, member)
    if review.state == SelfReviewState.SUBMITTED:
        raise ValidationError("Bản kiểm điểm đã nộp: trả lại trước khi đổi mẫu.")
    old = review.form if review.pk else ""
    review.form = form
    # Scores were given against the old form's framework.
    review.criterion_scores, review.self_score = {}, None
    review.full_clean()
    review.save()
    audit.record(
        actor=actor,
        action="evaluations.set_self_review_form",
        obj=review,
        org_path=review.org_path,
        changes={"form": [old, form]},
    )
    return review


# --------------------------------------------------------------------------------------------
# Assessments by source
# --------------------------------------------------------------------------------------------


def _decimal(value: Any, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).replace(",", "."))
    except InvalidOperation as exc:
        raise ValidationError({field: ["Phải là một số."]}) from exc
    if not number.is_finite() or number < 0 or number > 100:
        raise ValidationError({field: ["Điểm phải từ 0 đến 100."]})
    return number.quantize(Decimal("0.01"))


def _duplicate_message(period: Period, member: Member, source: str, actor: Any) -> str | None:
    """Return why the assessment would repeat one already recorded, or None: one per source,
    except peers (one per author)."""
    rows = Assessment.objects.filter(period=period, member=member, source=source)
    if source == AssessmentSource.PEER:
        return PEER_TWICE if rows.filter(author=actor).exists() else None
    if rows.exists():
        return f"Đã có {AssessmentSource(source).label.lower()} cho đảng viên này."
    return None


@transaction.atomic
def add_assessment(
    *,
    actor: Any,
    period: Period,
    member: Member,
    source: str,
    text: str = "",
    level: str = "",
    score: Any = None,
    author_name: str = "",
    exempt: bool = False,
    exempt_reason: str = "",
    meeting_date: date | None = None,
) -> Assessment:
    """Record one source's attributed assessment of a member (ASSESS_MEMBER on the cell).

    Peers comment on each other when the period enables it: the author is a rated member of
    the same cell (not the subject), one comment per author, subject and period; a member of
    another cell gets 404. The commander's rating feeds the rating's professional level.
    The uniqueness is checked here for the message and held by the database's constraints: a
    concurrent writer's row that lands in between gets the same message, nothing written.
    """
    period = Period.objects.select_for_update().get(pk=period.pk)
    own = sel.own_member(actor)
    cell_mate = own is not None and own.org_id == member.org_id and own.status in sel.RATED_STATUSES
    peer = source == AssessmentSource.PEER
    if not (can(actor, Action.ASSESS_MEMBER, member.org) or (peer and cell_mate)):
        raise Http404("Không tìm thấy")
    _check_member_in_period(period, member)
    if source not in AssessmentSource.values:
        raise ValidationError({"source": ["Chọn nguồn nhận xét."]})
    if period.state != PeriodState.OPEN:
        raise ValidationError("Chỉ ghi nhận xét, đánh giá khi kỳ đang ở giai đoạn kiểm điểm.")
    if peer and not period.peer_review:
        raise ValidationError({"source": ["Kỳ này không mở góp ý giữa các đảng viên."]})
    if peer and not cell_mate:
        raise ValidationError(
            {"source": ["Chỉ đảng viên cùng chi bộ mới góp ý cho đồng chí này được."]}
        )
    if peer and own is not None and own.pk == member.pk:
        raise ValidationError(
            {"source": ["Không góp ý cho chính mình: tự nhận xét trong bản kiểm điểm."]}
        )
    if peer:
        _refuse(_duplicate_message(period, member, source, actor), "source")
    if level and level not in LEVEL_RANK:
        raise ValidationError({"level": ["Chọn một mức xếp loại."]})
    text = (text or "").strip()
    if exempt and source != AssessmentSource.RESIDENCE:
        raise ValidationError({"exempt": ["Chỉ nhận xét nơi cư trú mới có trường hợp miễn."]})
    if exempt and not (exempt_reason or "").strip():
        raise ValidationError({"exempt_reason": ["Ghi rõ lý do được miễn nhận xét nơi cư trú."]})
    if not exempt and not text and not level:
        raise ValidationError({"text": ["Nhập nội dung nhận xét hoặc mức đề xuất."]})
    if source == AssessmentSource.CELL_COLLECTIVE and meeting_date is None:
        raise ValidationError({"meeting_date": ["Nhập ngày họp chi bộ kiểm điểm."]})
    if source == AssessmentSource.COMMANDER and not level:
        raise ValidationError({"level": ["Nhập mức xếp loại chuyên môn của thủ trưởng."]})
    if not peer:
        _refuse(_duplicate_message(period, member, source, actor), "source")
    rating = Rating.objects.select_for_update().filter(period=period, member=member).first()
    if rating is not None and rating.state == RatingState.LOCKED:
        raise ValidationError("Kết quả đã khóa: không thay đổi được.")
    row = Assessment(
        period=period,
        member=member,
        org_path=member.org_path,
        source=source,
        author=actor,
        author_name=(
            own.full_name
            if peer and own is not None
            else (author_name or "").strip() or getattr(actor, "full_name", "") or actor.username
        ),
        text=text[:TEXT_LIMIT],
        level=level,
        score=_decimal(score, "score"),
        exempt=exempt,
        exempt_reason=(exempt_reason or "").strip()[:255],
        meeting_date=meeting_date,
    )
    # The constraints were checked above (no per-row queries); the database enforces them.
    row.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError as exc:
        # Another writer recorded the same source (or the same peer comment) after the check.
        message = _duplicate_message(period, member, source, actor)
        if message is None:
            raise
        raise ValidationError({"source": [message]}) from exc
    if (
        source == AssessmentSource.COMMANDER
        and rating is not None
        and rating.state == RatingState.PROPOSED
        and rating.professional_level != level
    ):
        rating.professional_level = level
        rating.save(update_fields=["professional_level"])
    audit.record(
        actor=actor,
        action="evaluations.add_assessment",
        obj=row,
        org_path=row.org_path,
        changes=audit.diff({}, audit.snapshot(row)),
    )
    return row


# --------------------------------------------------------------------------------------------
# Objections
# --------------------------------------------------------------------------------------------


@transaction.atomic
def lodge_objection(
    *, actor: Any, rating: Rating, text: str, today: date | None = None
) -> Objection:
    """Lodge the rated member's objection to a published result, during the window."""
    rating = Rating.objects.select_for_update().select_related("period").get(pk=rating.pk)
    own = sel.own_member(actor)
    if own is None or own.pk != rating.member_id:
        raise Http404("Không tìm thấy")
    if rating.state != RatingState.PUBLISHED:
        raise ValidationError("Chỉ gửi kiến nghị về kết quả đang được công khai.")
    _refuse(rc.refuse_objection(_today(today), plan_of(rating.period)))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": ["Ghi rõ lý do kiến nghị."]})
    if Objection.objects.filter(rating=rating, state=ObjectionState.OPEN).exists():
        raise ValidationError("Đã có một kiến nghị đang chờ trả lời.")
    row = Objection(
        rating=rating,
        org_path=rating.org_path,
        lodged_by=actor,
        text=text[:TEXT_LIMIT],
        previous_level=rating.level,
    )
    row.full_clean()
    row.save()
    audit.record(
        actor=actor,
        action="evaluations.lodge_objection",
        obj=row,
        org_path=row.org_path,
        changes={"text": [None, row.text], "level": [None, rating.level]},
    )
    return row


def _set_level_for_objection(
    rating: Rating, actor: Any, new_level: str, objection: Objection
) -> None:
    """Re-rate on an upheld objection through the ratings area's decision (reason recorded)."""
    decisions.decide_one(
        actor=actor,
        rating=rating,
        level=new_level,
        reason=(
            f"Chấp nhận kiến nghị của đảng viên (mức đã công khai: "
            f"{objection.previous_level or '—'}). {objection.answer}"
        ),
    )


@transaction.atomic
def answer_objection(
    *, actor: Any, objection: Objection, upheld: bool, answer: str, new_level: str = ""
) -> Objection:
    """Answer an objection (DECIDE_EVALUATION on the period's organisation): uphold it with a
    new level, or dismiss it; either way the answer is recorded."""
    objection = (
        Objection.objects.select_for_update()
        .select_related("rating__period__org")
        .get(pk=objection.pk)
    )
    rating = Rating.objects.select_for_update().get(pk=objection.rating_id)
    period = objection.rating.period
    require(actor, Action.DECIDE_EVALUATION, period.org)
    if objection.state != ObjectionState.OPEN:
        raise ValidationError("Kiến nghị này đã được trả lời.")
    if rating.state == RatingState.LOCKED or period.state == PeriodState.CLOSED:
        raise ValidationError("Kết quả đã khóa: không thay đổi được.")
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": ["Ghi rõ nội dung trả lời."]})
    if upheld:
        if new_level not in LEVEL_RANK:
            raise ValidationError({"new_level": ["Chọn mức xếp loại sau khi xem xét."]})
        if new_level == rating.level:
            raise ValidationError(
                {"new_level": ["Mức sau xem xét trùng mức đã công khai: chọn «Không chấp nhận»."]}
            )
    objection.state = ObjectionState.UPHELD if upheld else ObjectionState.DISMISSED
    objection.answer = answer[:TEXT_LIMIT]
    objection.new_level = new_level if upheld else ""
    objection.answered_by = actor
    objection.answered_at = timezone.now()
    objection.save(update_fields=["state", "answer", "new_level", "answered_by", "answered_at"])
    if upheld:
        _set_level_for_objection(rating, actor, new_level, objection)
    audit.record(
        actor=actor,
        action="evaluations.answer_objection",
        obj=objection,
        org_path=objection.org_path,
        changes={
            "state": ["open", objection.state],
            "answer": [None, objection.answer],
            **({"level": [objection.previous_level, new_level]} if upheld else {}),
        },
    )
    return objection


def ensure_rating_editable(rating: Rating) -> None:
    """Refuse any change to a locked rating (for the other areas' services)."""
    if rating.state == RatingState.LOCKED:
        raise ValidationError("Kết quả đã khóa sau khi kết thúc kỳ: không thay đổi được.")
