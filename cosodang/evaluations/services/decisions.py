"""The committee's decision: collectives first, heads capped, the quota; overrides; bulk re-runs.

Order (rules.md §1.3 and the engine's notes in rules.py): collectives are rated first, lower
levels before higher ones, with their quota; then individuals, each head capped by the level of
the collective he or she heads; then the HTXSNV quota over each comparison group (position group
within the deciding unit). A head whose collective has no level yet is not decided ("chờ xếp loại
tập thể"). Ratings the committee overrode one by one (`decide_one`, with a reason in `note`),
and published or locked ones, are left as they are and are not counted in a quota group.

Bulk work is set-wise: one read of the rows with ``values_list``, the engine in memory, writes
in batches (on PostgreSQL: COPY into a temporary table, then one UPDATE … FROM; elsewhere
``bulk_update``), one audit event per batch of decisions (with the counts) and one per override.
`recompute_and_decide` re-proposes and decides a whole scope in one pass that writes each
rating row once (bench/evaluations.py: 1,000,000 members).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cosodang.core import audit
from cosodang.core.access import Action, require
from cosodang.evaluations import rules_ratings
from cosodang.evaluations.models import (
    OrgRating,
    Period,
    PeriodState,
    Rating,
    RatingState,
)
from cosodang.evaluations.rules import (
    Discipline,
    GroupMember,
    Result,
    SubjectInput,
    SubjectInputError,
    apply_head_cap,
    apply_quota,
    evaluate,
    quota_places,
)
from cosodang.evaluations.schema import LEVEL_RANK, Level, RulePack, SubjectKind
from cosodang.evaluations.services.calibration import (
    _move_current_level,
    _Summary,
)
from cosodang.evaluations.services.rating_base import (
    BATCH,
    FIXED_STATES,
    INPUT_FIELDS,
    _check_period,
    _disciplines,
    _subtree,
    _Writer,
    bulk_write,
    collective_deciders,
    may_decide_at,
    member_deciders,
    period_pack,
)
from cosodang.evaluations.services.rating_inputs import (
    run_engine,
    subjects_of,
)
from cosodang.evaluations.services.ratings import (
    ProposalReport,
)
from cosodang.orgs.models import PartyOrg

# --------------------------------------------------------------------------------------------
# Re-running the engine on stored inputs (a committee after a pack change; the bench)
# --------------------------------------------------------------------------------------------


_NO_DISCIPLINE: tuple[Discipline, ...] = ()


class _Proposer:
    """The engine on a stored rating's inputs, as a bulk pass re-proposes (no reasons kept).

    Most ratings have no ``extra`` and no discipline: one ``evaluate`` on a subject built from
    the columns. The others go through ``subjects_of`` with their ``extra``, whose disciplines
    are refreshed from the members' records (``changed_extra`` lists the rows to rewrite).
    """

    def __init__(self, period: Period, org: PartyOrg, pack: RulePack) -> None:
        self.period, self.pack = period, pack
        self.span = (period.start, period.end)
        self.discipline = _disciplines(period, Q(member__org_path__startswith=org.path))
        self.changed_extra: list[tuple[int, Any]] = []
        self.invalid = 0

    def level(
        self, pk: int, member_id: int, kind: str, values: tuple[Any, ...], extra: Any
    ) -> str | None:
        """Return the proposed level of one rating (None: the engine refuses its inputs)."""
        score, total, on_time, above, late, degr, prof = values
        disc = self.discipline.get(member_id, _NO_DISCIPLINE)
        try:
            if extra is None and not disc:
                subject = SubjectInput(
                    subject_kind=kind,
                    period=self.span,
                    score=None if score is None else float(score),
                    tasks_total=total,
                    tasks_on_time=on_time,
                    tasks_above_requirement=above,
                    tasks_late=late,
                    degradation_concluded=degr,
                    professional_level=prof or None,
                )
                return evaluate(subject, self.pack).level
            fresh = {k: v for k, v in (extra or {}).items() if k != "disc"}
            if disc:
                fresh["disc"] = [[d.form, d.date.isoformat(), d.violation] for d in disc]
            new_extra = fresh or None
            if new_extra != extra:
                self.changed_extra.append((pk, new_extra))
            inputs = dict(zip(INPUT_FIELDS, values, strict=True))
            subjects = subjects_of(kind=kind, period=self.period, inputs=inputs, extra=new_extra)
            return run_engine(subjects, self.pack).level
        except SubjectInputError:
            self.invalid += 1
            return None

    def write_extra(self) -> None:
        rows = [(pk, None if e is None else json.dumps(e)) for pk, e in self.changed_extra]
        bulk_write(Rating, ("extra",), rows)


@transaction.atomic
def recompute_proposals(*, actor: Any, period: Period, org: PartyOrg) -> ProposalReport:
    """Re-run the engine on the stored inputs of every proposed rating in a subtree.

    Used when the period's pack changed: one streaming read, the engine in memory, the narrow
    proposal columns written in batches, one audit event. Ratings already decided are left
    alone. (A committee that also decides uses ``recompute_and_decide``: one write per row.)
    """
    require(actor, Action.DECIDE_EVALUATION, org)
    period = Period.objects.select_related("pack").get(pk=period.pk)
    _check_period(period, org, states=(PeriodState.OPEN,))
    pack = period_pack(period)
    proposer = _Proposer(period, org, pack)
    now = timezone.now()
    report = ProposalReport()
    levels: dict[str, int] = defaultdict(int)
    writer = _Writer(Rating, ("proposed_level",), {"proposed_by": actor.pk, "proposed_at": now})
    # Every rating of the scope is read (the decided ones only for the calibration summary).
    units = _Units(org, member_deciders(pack))
    summary = _Summary(period, org)
    qs = (
        Rating.objects.filter(_subtree(org), period=period)
        .order_by()
        .values_list(
            "org_path",
            "position_group",
            "state",
            "proposed_level",
            "level",
            "id",
            "member_id",
            "subject_kind",
            "extra",
            *INPUT_FIELDS,  # zipped with INPUT_FIELDS by _Proposer; values[0] is the score
        )
    )
    for path, group, state, proposed, old_level, pk, member_id, kind, extra, *values in qs.iterator(
        chunk_size=BATCH
    ):
        if state == RatingState.PROPOSED:
            level = proposer.level(pk, member_id, kind, tuple(values), extra)
            if level is not None:
                levels[level] += 1
                writer.add((pk, level))
                proposed = level
        summary.add(units.of(path), group, values[0], proposed, old_level or proposed)
    writer.flush()
    proposer.write_extra()
    summary.write()
    report.proposed = writer.count
    report.levels = dict(levels)
    if proposer.invalid:
        report.skipped.append(
            ("", f"{proposer.invalid} hồ sơ có số liệu không hợp lệ, chưa tính lại")
        )
    audit.record(
        actor=actor,
        action="evaluations.ratings.recompute",
        obj=org,
        org_path=org.path,
        changes={
            "period": period.pk,
            "proposed": report.proposed,
            "invalid": proposer.invalid,
            "levels": report.levels,
        },
    )
    return report


# --------------------------------------------------------------------------------------------
# The committee's decision
# --------------------------------------------------------------------------------------------


@dataclass
class DecisionReport:
    """What a decision did, with counts for the audit event and the page."""

    collectives: int = 0
    decided: int = 0
    capped_by_collective: int = 0
    capped_by_quota: int = 0
    waiting_heads: int = 0
    not_proposed: int = 0
    kept: int = 0  # overridden, published or locked: left as they are
    levels: dict[str, int] = field(default_factory=dict)
    units: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__.items())


_ROW = (
    "id",
    "org_path",
    "subject_kind",
    "position_group",
    "is_head",
    "headed_org_id",
    "score",
    "tasks_total",
    "tasks_on_time",
    "tasks_above_requirement",
    "tasks_late",
    "proposed_level",
    "state",
    "note",
    "level",
)


class _Units:
    """The deciding unit of every organisation path: nearest ancestor-or-self of a decider type."""

    def __init__(self, org: PartyOrg, types: frozenset[str]) -> None:
        self.root = org.path
        self.kinds = dict(
            PartyOrg.objects.filter(path__startswith=org.path).values_list("path", "org_type")
        )
        self.types = types
        self.cache: dict[str, str] = {}

    def of(self, path: str) -> str:
        hit = self.cache.get(path)
        if hit is not None:
            return hit
        unit = self.root
        cut = len(path)
        while cut > len(self.root):
            prefix = path[:cut]
            if self.kinds.get(prefix) in self.types:
                unit = prefix
                break
            cut = path.rfind(".", 0, cut - 1) + 1
        self.cache[path] = unit
        return unit


def _decide_collectives(
    period: Period, org: PartyOrg, pack: RulePack, actor: Any, now: datetime, report: DecisionReport
) -> dict[int, str]:
    """Decide the proposed collectives below `org`, lower levels first; return org → level."""
    rows = list(
        OrgRating.objects.filter(period=period, org_path__startswith=org.path)
        .exclude(org=org)
        .exclude(proposed_level="")
        .exclude(state__in=FIXED_STATES)
        .values_list(
            "id",
            "org_id",
            "org_path",
            "score",
            "tasks_total",
            "tasks_above_requirement",
            "proposed_level",
        )
    )
    ordered = rules_ratings.collective_order((r[2], r) for r in rows)
    members = [
        GroupMember(
            key=f"{pk:012d}",
            group="tap_the",
            subject=SubjectInput(
                subject_kind=SubjectKind.COLLECTIVE,
                period=(period.start, period.end),
                score=score,
                tasks_total=max(total, 1),
                tasks_on_time=0,
                tasks_above_requirement=min(above, max(total, 1)),
            ),
            result=Result(Level(level), pack.code, ()),
        )
        for pk, _org, _path, score, total, above, level in ordered
    ]
    out = apply_quota(members, pack)
    writes = [
        (row[0], m.result.level, _text_reasons(m.result.raw_reasons), actor.pk, now, "decided")
        for row, m in zip(ordered, out, strict=True)
    ]
    bulk_write(OrgRating, ("level", "reasons", "decided_by", "decided_at", "state"), writes)
    report.collectives = len(writes)
    levels = dict(
        OrgRating.objects.filter(period=period).exclude(level="").values_list("org_id", "level")
    )
    return levels


def _text_reasons(raws: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [rules_ratings.text_reason(r[0], r[1], r[2] + r[3] + r[4]) for r in raws]


def decide_scope(
    *,
    actor: Any,
    period: Period,
    org: PartyOrg,
    pack: RulePack,
    now: datetime,
    proposal: ProposalReport | None = None,
) -> DecisionReport:
    """Decide every proposed rating under `org` set-wise (call inside a transaction).

    With `proposal`, the ratings still proposed are first re-proposed by the engine on their
    stored inputs, in the same pass: each rating row is then written once (proposal and
    decision together), which is what a million-member period needs.
    """
    report = DecisionReport()
    if org.org_type in collective_deciders(pack):
        collective_levels = _decide_collectives(period, org, pack, actor, now, report)
    else:
        collective_levels = dict(
            OrgRating.objects.filter(period=period).exclude(level="").values_list("org_id", "level")
        )
    proposed_collectives = dict(
        OrgRating.objects.filter(period=period, level="")
        .exclude(proposed_level="")
        .values_list("org_id", "proposed_level")
    )
    units = _Units(org, member_deciders(pack))
    span = (period.start, period.end)
    columns = [*_ROW]
    proposer = None
    if proposal is not None:
        proposer = _Proposer(period, org, pack)
        columns += ["member_id", "extra", "degradation_concluded", "professional_level"]
    qs = (
        Rating.objects.filter(_subtree(org), period=period)
        .order_by("org_path", "id")
        .values_list(*columns)
    )
    # The levels and steps per row; who, when and the state are the same for every row.
    by_proposer = {"proposed_by": actor.pk, "proposed_at": now}
    by_decider = {"decided_by": actor.pk, "decided_at": now, "state": RatingState.DECIDED}
    both = _Writer(Rating, ("proposed_level", "level", "steps"), {**by_proposer, **by_decider})
    decided_only = _Writer(Rating, ("level", "steps"), by_decider)
    proposed_only = _Writer(Rating, ("proposed_level",), by_proposer)
    levels: dict[str, int] = defaultdict(int)
    proposed_levels: dict[str, int] = defaultdict(int)
    # Only HTXSNV candidates are ranked by the tie rule; the others of a group are counted by
    # level and kind, so they share one subject per kind and one result per level.
    shared_subject = {
        k: SubjectInput(subject_kind=k, period=span, tasks_total=1, tasks_on_time=1)
        for k in SubjectKind
    }
    shared_result = {lv: Result(Level(lv), pack.code, ()) for lv in LEVEL_RANK}
    # key -> (re-proposed level or None, head step: (collective level, only proposed) or None)
    pending: dict[str, tuple[str | None, tuple[str, bool] | None, Any, str]] = {}
    summary = _Summary(period, org)

    def flush_unit(batch: list[GroupMember], unit: str) -> None:
        if not batch:
            return
        report.units += 1
        places = quota_places(batch, pack)
        for i, m in enumerate(batch):
            new_proposal, head, score, proposed = pending[m.key]
            level = m.result.level
            place = places.get(i)
            quota = None
            if place is not None:
                quota = (place.rank, place.of, place.allowed, place.tied)
                if not place.kept:
                    level = Level.HTTNV
                    report.capped_by_quota += 1
            steps = ""
            if head is not None or quota is not None:
                steps = rules_ratings.encode_steps(
                    rules_ratings.Steps(
                        head=head[0] if head else "",
                        head_proposed=bool(head and head[1]),
                        quota=quota,
                    )
                )
            if new_proposal is None:
                decided_only.add((int(m.key), level, steps))
            else:
                both.add((int(m.key), new_proposal, level, steps))
            levels[level] += 1
            summary.add(unit, m.group, score, proposed, level)
        pending.clear()

    current_unit = ""
    batch: list[GroupMember] = []
    for row in qs.iterator(chunk_size=BATCH):
        pk, path, kind, group, is_head, headed, score, total, on_time, above, late = row[:11]
        proposed, state, note, old_level = row[11:15]
        unit = units.of(path)
        if unit != current_unit:
            flush_unit(batch, current_unit)
            summary.fold()
            batch = []
            current_unit = unit
        if state in FIXED_STATES or (state == RatingState.DECIDED and note):
            report.kept += 1
            summary.add(unit, group, score, proposed, old_level or proposed)
            continue
        new_proposal = None
        if proposer is not None and state == RatingState.PROPOSED:
            member_id, extra, degr, prof = row[15:]
            values = (score, total, on_time, above, late, degr, prof)
            new_proposal = proposer.level(pk, member_id, kind, values, extra)
            if new_proposal is not None:
                proposed = new_proposal
                proposed_levels[proposed] += 1
        if not proposed:
            report.not_proposed += 1
            summary.add(unit, group, score, proposed, old_level)
            continue
        result = shared_result[proposed]
        key = f"{pk:012d}"
        head = None
        if is_head and headed is not None:
            collective = collective_levels.get(headed)
            only_proposed = False
            if collective is None:
                collective = proposed_collectives.get(headed)
                only_proposed = True
            if collective is None:
                report.waiting_heads += 1
                if new_proposal is not None:
                    proposed_only.add((pk, new_proposal))
                summary.add(unit, group, score, proposed, old_level or proposed)
                continue
            capped = apply_head_cap(result, collective, pack)
            if capped.level != result.level:
                report.capped_by_collective += 1
            if pack.head_cap.enabled:
                head = (collective, only_proposed)
            result = shared_result[capped.level]
        if result.level == Level.HTXSNV:
            subject = SubjectInput(
                subject_kind=kind,
                period=span,
                score=None if score is None else float(score),
                tasks_total=max(total, 1),
                tasks_on_time=on_time,
                tasks_above_requirement=min(above, max(total, 1)),
                tasks_late=late,
            )
        else:
            subject = shared_subject[kind]
        pending[key] = (new_proposal, head, score, proposed)
        batch.append(GroupMember(key=key, group=group, subject=subject, result=result))
    flush_unit(batch, current_unit)
    for writer in (both, decided_only, proposed_only):
        writer.flush()
    summary.write()
    report.decided = both.count + decided_only.count
    report.levels = dict(levels)
    if proposer is not None and proposal is not None:
        proposer.write_extra()
        proposal.proposed = both.count + proposed_only.count
        proposal.levels = dict(proposed_levels)
        if proposer.invalid:
            proposal.skipped.append(
                ("", f"{proposer.invalid} hồ sơ có số liệu không hợp lệ, chưa tính lại")
            )
    return report


@transaction.atomic
def decide(*, actor: Any, period: Period, org: PartyOrg) -> DecisionReport:
    """Decide the ratings of a committee's scope: collectives, heads capped, then the quota.

    The committee must be of a type the pack names as decider (e.g. đảng ủy cơ sở) or above it;
    quota groups are the position groups within each deciding unit under `org`.
    """
    require(actor, Action.DECIDE_EVALUATION, org)
    period = Period.objects.select_for_update().select_related("pack").get(pk=period.pk)
    _check_period(period, org, states=(PeriodState.OPEN, PeriodState.PUBLISHED))
    pack = period_pack(period)
    if not may_decide_at(pack, org):
        names = ", ".join(d.decider_name for d in pack.decisions)
        raise ValidationError(
            f"{org.name} không phải cấp quyết định xếp loại theo gói {pack.code} ({names})."
        )
    report = decide_scope(actor=actor, period=period, org=org, pack=pack, now=timezone.now())
    audit.record(
        actor=actor,
        action="evaluations.ratings.decide",
        obj=org,
        org_path=org.path,
        changes={"period": period.pk, **report.as_dict()},
    )
    return report


@transaction.atomic
def recompute_and_decide(
    *, actor: Any, period: Period, org: PartyOrg
) -> tuple[ProposalReport, DecisionReport]:
    """Re-propose every proposed rating of the scope on its stored inputs, then decide, in one pass.

    The same results as ``recompute_proposals`` then ``decide`` (collectives first, heads
    capped, the quota over every position group of every deciding unit), but one streaming
    read and one write per rating row: what a committee runs over a whole province or country.
    """
    require(actor, Action.DECIDE_EVALUATION, org)
    period = Period.objects.select_for_update().select_related("pack").get(pk=period.pk)
    _check_period(period, org, states=(PeriodState.OPEN,))
    pack = period_pack(period)
    if not may_decide_at(pack, org):
        names = ", ".join(d.decider_name for d in pack.decisions)
        raise ValidationError(
            f"{org.name} không phải cấp quyết định xếp loại theo gói {pack.code} ({names})."
        )
    proposal = ProposalReport()
    report = decide_scope(
        actor=actor, period=period, org=org, pack=pack, now=timezone.now(), proposal=proposal
    )
    audit.record(
        actor=actor,
        action="evaluations.ratings.recompute",
        obj=org,
        org_path=org.path,
        changes={"period": period.pk, "proposed": proposal.proposed, "levels": proposal.levels},
    )
    audit.record(
        actor=actor,
        action="evaluations.ratings.decide",
        obj=org,
        org_path=org.path,
        changes={"period": period.pk, **report.as_dict()},
    )
    return proposal, report


@transaction.atomic
def decide_one(*, actor: Any, rating: Rating, level: str, reason: str) -> Rating:
    """Override one member's decided level with the committee's recorded reason."""
    rating = Rating.objects.select_for_update().select_related("period", "org").get(pk=rating.pk)
    require(actor, Action.DECIDE_EVALUATION, rating.org)
    period = rating.period
    if period.state == PeriodState.CLOSED or rating.state == RatingState.LOCKED:
        raise ValidationError("Kỳ đánh giá đã kết thúc, kết quả đã khóa: không thể sửa.")
    if level not in LEVEL_RANK:
        raise ValidationError({"level": ["Mức xếp loại không hợp lệ."]})
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ["Cần ghi lý do cấp ủy quyết định khác."]})
    before = rating.level or rating.proposed_level
    rating.level = level
    rating.note = reason
    # The override's reason is rebuilt on read from the level before (steps) and `note`.
    steps = rules_ratings.decode_steps(rating.steps)
    rating.steps = rules_ratings.encode_steps(replace(steps, override_from=before or ""))
    rating.decided_by = actor
    rating.decided_at = timezone.now()
    if rating.state == RatingState.PROPOSED:
        rating.state = RatingState.DECIDED
    rating.save(update_fields=["level", "note", "steps", "decided_by", "decided_at", "state"])
    _move_current_level(rating, before or "", level)
    audit.record(
        actor=actor,
        action="evaluations.ratings.decide_one",
        obj=rating,
        org_path=rating.org_path,
        changes={"level": [before, level], "reason": reason},
    )
    return rating
