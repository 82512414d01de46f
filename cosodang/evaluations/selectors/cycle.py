"""Reads of the review cycle: periods in scope, the member's own self-review, the cell's
progress by source, published results, a member's history and the quarters feeding the year.

A period belongs to an organisation subtree: a user sees it when it covers part of their scope
(its organisation is an ancestor of, or inside, a subtree they may VIEW_EVALUATION) or their
own cell. Records inside a period are scoped by core/access.py as usual.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from cosodang.core.access import (
    Action,
    can,
    can_anywhere,
    get_for,
    is_authenticated,
    scope_paths,
    visible_to,
)
from cosodang.evaluations import rules_cycle as rc
from cosodang.evaluations.models import (
    Assessment,
    AssessmentSource,
    Objection,
    ObjectionState,
    Period,
    PeriodKind,
    PeriodState,
    Rating,
    RatingState,
    SelfReview,
    SelfReviewState,
)
from cosodang.evaluations.schema import SUBJECT_KIND_LABELS
from cosodang.evaluations.selectors.packs import rule_pack
from cosodang.evaluations.services.rating_inputs import rating_reasons
from cosodang.members.models import Member, Position
from cosodang.members.rules import MemberStatus
from cosodang.orgs.models import PartyOrg

# Members rated in a period: exempted members are not rated while exempted (rules.md §5.5).
RATED_STATUSES = (MemberStatus.OFFICIAL, MemberStatus.PROBATIONARY)


def ancestor_paths(path: str) -> list[str]:
    """Return the paths of an organisation and all its ancestors ("a.", "a.b.", "a.b.c.")."""
    parts = [p for p in path.split(".") if p]
    return [".".join(parts[: i + 1]) + "." for i in range(len(parts))]


# --------------------------------------------------------------------------------------------
# The actor
# --------------------------------------------------------------------------------------------


def own_member(actor: Any) -> Member | None:
    """Return the actor's own member record (with the cell), cached on the user object."""
    if not is_authenticated(actor) or not getattr(actor, "member_id", None):
        return None
    if not hasattr(actor, "_cosodang_eval_member"):
        actor._cosodang_eval_member = (
            Member.objects.select_related("org").filter(pk=actor.member_id).first()
        )
    found: Member | None = actor._cosodang_eval_member
    return found


# --------------------------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------------------------


def _period_clause(actor: Any) -> Q | None:
    """Return the clause of periods relevant to the actor; None means every period."""
    paths = scope_paths(actor, Action.VIEW_EVALUATION)
    if paths is None:
        return None
    own = own_member(actor)
    anchors = list(paths)
    if own is not None and own.status in RATED_STATUSES:
        anchors.append(own.org_path)
    clause = Q(pk__in=[])
    ancestors: set[str] = set()
    for p in paths:
        clause |= Q(org_path__startswith=p)
    for p in anchors:
        ancestors.update(ancestor_paths(p))
    if ancestors:
        clause |= Q(org_path__in=sorted(ancestors))
    return clause


def list_periods(actor: Any) -> QuerySet[Period]:
    """List the periods covering part of the actor's scope or their own cell, newest first."""
    qs = Period.objects.select_related("org", "pack").order_by("-end", "-id")
    if not is_authenticated(actor):
        return qs.none()
    clause = _period_clause(actor)
    return qs if clause is None else qs.filter(clause)


def get_period(actor: Any, pk: int) -> Period:
    """Return a period relevant to the actor, or 404 (missing and forbidden alike)."""
    try:
        return list_periods(actor).get(pk=pk)
    except (Period.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("Không tìm thấy") from exc


def can_decide(actor: Any, period: Period) -> bool:
    """Return whether the actor decides this period (DECIDE_EVALUATION on its organisation)."""
    return can(actor, Action.DECIDE_EVALUATION, period.org)


def can_reopen(actor: Any, period: Period) -> bool:
    """Return whether the actor is a superior committee of the period's organisation."""
    if getattr(actor, "is_superuser", False) and is_authenticated(actor):
        return True
    parent = period.org.parent if period.org.parent_id else None
    return parent is not None and can(actor, Action.DECIDE_EVALUATION, parent)


def decidable_orgs(actor: Any) -> QuerySet[PartyOrg]:
    """Return the active organisations where the actor may plan periods."""
    qs = PartyOrg.objects.filter(effective_to__isnull=True).order_by("path")
    return visible_to(actor, qs, Action.DECIDE_EVALUATION)


def eligible_members(period: Period) -> QuerySet[Member]:
    """Return the members rated in a period: official and probationary, in its subtree."""
    return Member.objects.filter(org_path__startswith=period.org_path, status__in=RATED_STATUSES)


@dataclass(frozen=True)
class TimelineRow:
    action: str
    label: str
    reason: str
    actor: str
    at: Any


EVENT_LABELS = {
    "create": "Lập kế hoạch kỳ đánh giá",
    "update_plan": "Sửa kế hoạch",
    "open": "Mở kỳ kiểm điểm",
    "publish": "Công khai kết quả",
    "close": "Kết thúc kỳ, khóa kết quả",
    "reopen": "Cấp ủy cấp trên mở lại kỳ",
}


def period_timeline(period: Period) -> list[TimelineRow]:
    """Return the period's steps in order with who took them."""
    return [
        TimelineRow(
            action=e.action,
            label=EVENT_LABELS.get(e.action, e.action),
            reason=e.reason,
            actor=e.actor.full_name or e.actor.username,
            at=e.at,
        )
        for e in period.events.select_related("actor").order_by("at", "id")
    ]


# --------------------------------------------------------------------------------------------
# Self-reviews
# --------------------------------------------------------------------------------------------


def form_for_member(member: Member, on: date) -> str:
    """Return the member's form (2A/2B) from the posts they hold on a date (rules.md §2.1)."""
    rows = Position.objects.filter(member=member, start__lte=on).filter(
        Q(end__isnull=True) | Q(end__gte=on)
    )
    party_posts = [p for p in rows.values_list("party_post", flat=True) if p]
    police = rows.filter(kind="police").count()
    return rc.pick_form(party_posts=party_posts, police_posts=police).value


def previous_self_review(period: Period, member: Member) -> SelfReview | None:
    """Return the member's latest self-review of an earlier period (for last shortcomings)."""
    return (
        SelfReview.objects.filter(member=member, period__end__lt=period.end)
        .exclude(period=period)
        .order_by("-period__end")
        .first()
    )


def criterion_specs(period: Period, form: str) -> list[rc.CriterionSpec]:
    """Return the criteria the member scores: the pack's framework for the form's kind."""
    pack = rule_pack(period.pack)
    kind = rc.FORM_KINDS[rc.Form(form)]
    framework = next((f for f in pack.frameworks if kind in f.kinds), None)
    if framework is None:
        return []
    grades = tuple(g.code for g in pack.grading.grades) if pack.grading else ()
    return [
        rc.CriterionSpec(
            code=c.code,
            title=c.title,
            group=c.group,
            points=c.points if pack.scoring == "score" else None,
            grades=() if pack.scoring == "score" else grades,
            confirmed=c.confirmed,
            note=c.note,
        )
        for c in framework.criteria
    ]


def own_self_review(actor: Any, period: Period) -> SelfReview | None:
    """Return the actor's own self-review for a period, if written."""
    member = own_member(actor)
    if member is None:
        return None
    return SelfReview.objects.filter(period=period, member=member).first()


def get_self_review(actor: Any, pk: int) -> SelfReview:
    """Return a self-review the actor may read (their own, or in their scope), else 404."""
    qs = SelfReview.objects.select_related("period__org", "period__pack", "member__org")
    return get_for(actor, qs, Action.VIEW_EVALUATION, pk=pk)


# --------------------------------------------------------------------------------------------
# The cell's progress by source
# --------------------------------------------------------------------------------------------

# Sources every member needs; peers only when the period enables peer review.
REQUIRED_SOURCES = (
    AssessmentSource.CELL_COMMITTEE,
    AssessmentSource.CELL_COLLECTIVE,
    AssessmentSource.RESIDENCE,
    AssessmentSource.COMMANDER,
)
SOURCE_SHORT = {
    AssessmentSource.CELL_COMMITTEE: "Chi ủy",
    AssessmentSource.CELL_COLLECTIVE: "Tập thể chi bộ",
    AssessmentSource.RESIDENCE: "Nơi cư trú",
    AssessmentSource.COMMANDER: "Thủ trưởng",
    AssessmentSource.PEER: "Đảng viên góp ý",
}


def required_sources(period: Period) -> list[str]:
    """Return the assessment sources each member of the period needs."""
    out = [s.value for s in REQUIRED_SOURCES]
    if period.peer_review:
        out.append(AssessmentSource.PEER.value)
    return out


@dataclass
class MemberProgress:
    """One member of a cell in a period: self-review state, sources in and missing."""

    member: Member
    review: SelfReview | None
    present: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    residence_exempt: bool = False
    rating: Rating | None = None
    peers: int = 0  # peer comments received (the cell page shows them with the other sources)

    @property
    def review_state_label(self) -> str:
        if self.review is None:
            return "Chưa viết"
        return self.review.get_state_display()

    @property
    def present_labels(self) -> list[str]:
        return [
            f"{SOURCE_SHORT[AssessmentSource(s)]} ({self.peers})"
            if s == AssessmentSource.PEER
            else SOURCE_SHORT[AssessmentSource(s)]
            for s in self.present
        ]

    @property
    def missing_labels(self) -> list[str]:
        return [SOURCE_SHORT[AssessmentSource(s)] for s in self.missing]


def cell_progress(period: Period, cell: PartyOrg) -> list[MemberProgress]:
    """Return each rated member of a cell with what is in and what is missing (4 queries)."""
    members = list(
        eligible_members(period).filter(org=cell).select_related("org").order_by("sort_key")
    )
    ids = [m.pk for m in members]
    reviews = {r.member_id: r for r in SelfReview.objects.filter(period=period, member_id__in=ids)}
    sources: dict[int, set[str]] = defaultdict(set)
    peers: dict[int, int] = defaultdict(int)
    exempt: set[int] = set()
    for member_id, source, is_exempt in Assessment.objects.filter(
        period=period, member_id__in=ids
    ).values_list("member_id", "source", "exempt"):
        sources[member_id].add(source)
        if source == AssessmentSource.PEER:
            peers[member_id] += 1
        if is_exempt:
            exempt.add(member_id)
    ratings = {r.member_id: r for r in Rating.objects.filter(period=period, member_id__in=ids)}
    needed = required_sources(period)
    return [
        MemberProgress(
            member=m,
            review=reviews.get(m.pk),
            present=[s for s in needed if s in sources[m.pk]],
            missing=[s for s in needed if s not in sources[m.pk]],
            residence_exempt=m.pk in exempt,
            rating=ratings.get(m.pk),
            peers=peers[m.pk],
        )
        for m in members
    ]


# --------------------------------------------------------------------------------------------
# Peer comments (the period enables them; a member comments on the other members of their cell)
# --------------------------------------------------------------------------------------------


def peer_periods(actor: Any, periods: list[Period]) -> list[Period]:
    """Return those of `periods` where the actor may write peer comments now (open, enabled,
    covering the actor's own cell)."""
    own = own_member(actor)
    if own is None or own.status not in RATED_STATUSES:
        return []
    return [
        p
        for p in periods
        if p.peer_review and p.state == PeriodState.OPEN and own.org_path.startswith(p.org_path)
    ]


def get_peer_period(actor: Any, pk: int) -> Period:
    """Return a period covering the actor's own cell (the actor a rated member), else 404."""
    period = get_period(actor, pk)
    own = own_member(actor)
    if (
        own is None
        or own.status not in RATED_STATUSES
        or not own.org_path.startswith(period.org_path)
    ):
        raise Http404("Không tìm thấy")
    return period


def peer_candidates(actor: Any, period: Period) -> list[tuple[Member, bool]]:
    """Return the other rated members of the actor's cell, each with whether the actor has
    already commented on them in the period (2 queries)."""
    members = list(
        visible_to(actor, eligible_members(period), Action.PEER_REVIEW)
        .filter(org_id=getattr(own_member(actor), "org_id", None))
        .order_by("sort_key", "id")
    )
    done = set(
        visible_to(
            actor,
            Assessment.objects.filter(
                period=period, source=AssessmentSource.PEER, author_id=actor.pk
            ),
            Action.VIEW_EVALUATION,
        ).values_list("member_id", flat=True)
    )
    return [(m, m.pk in done) for m in members]


def get_peer_subject(actor: Any, period: Period, pk: Any) -> Member:
    """Return a member of the actor's own cell the actor may comment on, else 404 (the actor
    themselves is returned: the service refuses that with a message)."""
    own = own_member(actor)
    if own is not None and str(own.pk) == str(pk):
        return own
    return get_for(
        actor,
        eligible_members(period).filter(org_id=getattr(own_member(actor), "org_id", None)),
        Action.PEER_REVIEW,
        pk=pk,
    )


def own_peer_comments(actor: Any, period: Period) -> QuerySet[Assessment]:
    """Return the peer comments the actor wrote in the period."""
    return visible_to(
        actor,
        Assessment.objects.filter(period=period, source=AssessmentSource.PEER, author_id=actor.pk),
        Action.VIEW_EVALUATION,
    ).select_related("member")


@dataclass
class CellRow:
    """A cell of a period with its counts, for the period page."""

    org: PartyOrg
    members: int = 0
    submitted: int = 0
    assessed: int = 0
    rated: int = 0


def period_cells(actor: Any, period: Period) -> list[CellRow]:
    """Return the cells of the period inside the actor's scope with their progress counts."""
    members = visible_to(actor, eligible_members(period), Action.VIEW_MEMBER)
    counts = dict(members.values_list("org_id").annotate(n=Count("id")).values_list("org_id", "n"))
    if not counts:
        return []
    rows = {
        o.pk: CellRow(org=o, members=counts[o.pk])
        for o in PartyOrg.objects.filter(pk__in=counts).select_related("parent").order_by("path")
    }
    for org_id, n in (
        SelfReview.objects.filter(
            period=period,
            member__org_id__in=rows,
            state=SelfReviewState.SUBMITTED,
        )
        .values_list("member__org_id")
        .annotate(n=Count("id"))
    ):
        rows[org_id].submitted = n
    for org_id, n in (
        Assessment.objects.filter(
            period=period,
            member__org_id__in=rows,
            source=AssessmentSource.CELL_COMMITTEE,
        )
        .values_list("member__org_id")
        .annotate(n=Count("id"))
    ):
        rows[org_id].assessed = n
    for org_id, n in (
        Rating.objects.filter(period=period, org_id__in=rows)
        .exclude(level="")
        .values_list("org_id")
        .annotate(n=Count("id"))
    ):
        rows[org_id].rated = n
    return list(rows.values())


def cells_for(actor: Any, limit: int = 5) -> list[PartyOrg]:
    """Return up to `limit` cells the actor assesses (ASSESS_MEMBER) that hold rated members."""
    paths = scope_paths(actor, Action.ASSESS_MEMBER)
    if not paths:
        return []  # none, or everywhere (the superuser): no "your cells" shortcut
    clause = Q()
    for p in paths:
        clause |= Q(org_path__startswith=p)
    org_ids = list(
        Member.objects.filter(clause, status__in=RATED_STATUSES)
        .order_by("org_id")
        .values_list("org_id", flat=True)
        .distinct()[:limit]
    )
    return list(PartyOrg.objects.filter(pk__in=org_ids).select_related("parent").order_by("path"))


def latest_period_for_cell(actor: Any, cell: PartyOrg) -> Period | None:
    """Return the newest period covering a cell that the actor may see."""
    return list_periods(actor).filter(org_path__in=ancestor_paths(cell.path)).first()


def periods_for_cell(actor: Any, cell: PartyOrg) -> QuerySet[Period]:
    """Return the periods covering a cell, newest first."""
    return list_periods(actor).filter(org_path__in=ancestor_paths(cell.path))


# --------------------------------------------------------------------------------------------
# Assessments
# --------------------------------------------------------------------------------------------


def list_assessments(actor: Any, period: Period, member: Member | None = None) -> QuerySet:
    """Return the assessments of a period the actor may see (optionally of one member)."""
    qs = Assessment.objects.filter(period=period).select_related("member", "author")
    if member is not None:
        qs = qs.filter(member=member)
    return visible_to(actor, qs, Action.VIEW_EVALUATION).order_by("member_id", "source", "id")


# --------------------------------------------------------------------------------------------
# Results, objections, history
# --------------------------------------------------------------------------------------------


def list_results(actor: Any, period: Period) -> QuerySet[Rating]:
    """Return the period's decided ratings the actor may see (members: their cell, published)."""
    qs = (
        Rating.objects.filter(period=period)
        .exclude(level="")
        .select_related("member", "org")
        .order_by("org__path", "member__sort_key")
    )
    qs = visible_to(actor, qs, Action.VIEW_EVALUATION)
    if not can_anywhere(actor, Action.VIEW_EVALUATION):
        qs = qs.filter(state__in=(RatingState.PUBLISHED, RatingState.LOCKED))
    return qs


def get_rating(actor: Any, pk: int) -> Rating:
    """Return a rating the actor may see, or 404."""
    qs = Rating.objects.select_related("period__org", "member__org", "org")
    return get_for(actor, qs, Action.VIEW_EVALUATION, pk=pk)


def get_objection(actor: Any, pk: int, action: Action = Action.VIEW_EVALUATION) -> Objection:
    """Return an objection the actor may see, or 404."""
    qs = Objection.objects.select_related("rating__period__org", "rating__member", "lodged_by")
    objection = get_for(actor, qs, Action.VIEW_EVALUATION, pk=pk)
    if action == Action.DECIDE_EVALUATION and not can_decide(actor, objection.rating.period):
        raise Http404("Không tìm thấy")
    return objection


def list_objections(actor: Any, period: Period) -> QuerySet[Objection]:
    """Return the period's objections the actor may see, open first."""
    qs = Objection.objects.filter(rating__period=period).select_related(
        "rating__member", "lodged_by", "answered_by"
    )
    return visible_to(actor, qs, Action.VIEW_EVALUATION).order_by("-state", "lodged_at")


def open_objections(period: Period) -> int:
    return Objection.objects.filter(rating__period=period, state=ObjectionState.OPEN).count()


@dataclass(frozen=True)
class HistoryRow:
    """A member's result in one period: level, score and reasons."""

    period: Period
    level: str
    level_name: str
    score: Decimal | None
    self_score: Decimal | None
    proposed_level: str
    state: str
    reasons: list[dict[str, Any]]
    subject_kind: str


def member_history(actor: Any, member: Member) -> list[HistoryRow]:
    """Return every period's result of a member the actor may see, newest first (3 queries)."""
    ratings = visible_to(
        actor,
        Rating.objects.filter(member=member).select_related("period__pack"),
        Action.VIEW_EVALUATION,
    ).order_by("-period__end", "-period__kind")
    if not can_anywhere(actor, Action.VIEW_EVALUATION):
        ratings = ratings.filter(state__in=(RatingState.PUBLISHED, RatingState.LOCKED))
    reviews = dict(
        visible_to(actor, SelfReview.objects.filter(member=member), Action.VIEW_EVALUATION)
        .filter(state=SelfReviewState.SUBMITTED)
        .values_list("period_id", "self_score")
    )
    rows = []
    for r in ratings:
        level = r.level or r.proposed_level
        # Rebuilt by the engine from the stored inputs (ratings store no reasons).
        proposal, decision = rating_reasons(r)
        rows.append(
            HistoryRow(
                period=r.period,
                level=level,
                level_name=rule_pack(r.period.pack).level_name(level) if level else "",
                score=r.score,
                self_score=reviews.get(r.period_id),
                proposed_level=r.proposed_level,
                state=r.get_state_display(),
                reasons=[*proposal, *decision],
                subject_kind=SUBJECT_KIND_LABELS.get(r.subject_kind, r.subject_kind),
            )
        )
    return rows


@dataclass(frozen=True)
class QuarterResult:
    """One quarter's result of a member, feeding the year's proposal (HD 43, rules.md §1.2)."""

    quarter: int
    period_id: int
    level: str
    score: Decimal | None
    decided: bool

    @property
    def score_text(self) -> str:
        """The score without trailing zeros ("85", "92.5"), empty when there is none."""
        return "" if self.score is None else f"{self.score.normalize():f}"


def quarter_results(member: Member, year: int) -> list[QuarterResult]:
    """Return the member's Q1–Q3 results of a year (decided level, else the proposal).

    HD 43: the Q1–Q3 ratings plus the Q4 results are the basis of the year-end rating; the
    ratings area passes these to the year's proposal and the yearly self-review shows them.
    No access check: callers already hold the member (a selector in scope) or the year period.
    """
    return quarters_by_member(Q(member=member), year).get(member.pk, [])


def quarters_by_member(member_filter: Q, year: int) -> dict[int, list[QuarterResult]]:
    """Return the Q1–Q3 results of a year of the members matching `member_filter` (on Rating,
    e.g. ``Q(member__org=cell)``), by member id, in one query. No access check (as above)."""
    rows = (
        Rating.objects.filter(member_filter, period__kind=PeriodKind.QUARTER, period__year=year)
        .order_by("member_id", "period__quarter", "period_id")
        .values_list(
            "member_id", "period__quarter", "period_id", "level", "proposed_level", "score"
        )
    )
    out: dict[int, list[QuarterResult]] = defaultdict(list)
    for member_id, quarter, period_id, level, proposed, score in rows:
        out[member_id].append(
            QuarterResult(
                quarter=quarter or 0,
                period_id=period_id,
                level=level or proposed,
                score=score,
                decided=bool(level),
            )
        )
    return dict(out)


# --------------------------------------------------------------------------------------------
# The landing page: what to do next
# --------------------------------------------------------------------------------------------


@dataclass
class NextStep:
    """One thing the user should do, with where to do it."""

    text: str
    url_name: str
    args: tuple[Any, ...]
    button: str


@dataclass
class Landing:
    periods: list[Period]
    own_reviews: list[tuple[Period, SelfReview | None, Rating | None]]
    cells: list[tuple[PartyOrg, Period | None]]
    decided: list[Period]
    can_create: bool
    peer_periods: list[Period] = field(default_factory=list)


def landing(actor: Any) -> Landing:
    """Return the periods in the actor's scope and what to do next, by role."""
    periods = list(list_periods(actor)[:20])
    member = own_member(actor)
    own: list[tuple[Period, SelfReview | None, Rating | None]] = []
    if member is not None and member.status in RATED_STATUSES:
        mine = [
            p
            for p in periods
            if member.org_path.startswith(p.org_path) and p.state != PeriodState.DRAFT
        ]
        reviews = {
            r.period_id: r for r in SelfReview.objects.filter(member=member, period__in=mine)
        }
        ratings = {
            r.period_id: r
            for r in Rating.objects.filter(
                member=member,
                period__in=mine,
                state__in=(RatingState.PUBLISHED, RatingState.LOCKED),
            )
        }
        own = [(p, reviews.get(p.pk), ratings.get(p.pk)) for p in mine]
    cells: list[tuple[PartyOrg, Period | None]] = []
    for cell in cells_for(actor):
        cell_periods = [p for p in periods if cell.path.startswith(p.org_path)]
        cells.append((cell, cell_periods[0] if cell_periods else None))
    decided = [p for p in periods if can(actor, Action.DECIDE_EVALUATION, p.org)]
    return Landing(
        periods=periods,
        own_reviews=own,
        cells=cells,
        decided=decided,
        can_create=can_anywhere(actor, Action.DECIDE_EVALUATION),
        peer_periods=peer_periods(actor, periods),
    )
