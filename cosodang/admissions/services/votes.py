"""Submitting the dossier and recording the votes of the cell and the committee."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q

from cosodang.core import audit
from cosodang.core.access import Action, require
from cosodang.core.errors import ValidationError
from cosodang.core.vn import format_date
from cosodang.members.models import Member, Position
from cosodang.members.rules import COMMITTEE_POSTS, MemberStatus
from cosodang.orgs.models import PartyOrg
from cosodang.orgs.rules import OrgType, is_grassroots

from .. import rules
from ..config import pack_for
from ..models import (
    ELIGIBLE_REGISTRY,
    ELIGIBLE_TYPED,
    AdmissionCase,
    Vote,
)
from ..rules import Refusal, State, Step
from ._common import (
    _check_documents,
    _check_state,
    _lock,
    _move,
    _not_future,
    _require_step,
    has_branch_committee,
    refuse,
)
from .dossier import _introducer_facts

# --------------------------------------------------------------------------------------------
# Steps of the admission
# --------------------------------------------------------------------------------------------


def _dossier_refusals(case: AdmissionCase, on: date) -> list[Refusal]:
    """Check the dossier against the rules on day `on` (submission or the cell's meeting)."""
    pack = pack_for(on)
    cand = case.candidate
    refusals: list[Refusal] = []
    refusals += rules.check_certificate(
        case.cert_number, case.cert_issuer, case.cert_date, on, pack
    )
    refusals += rules.check_verification(
        case.verified_relatives, married=cand.married, adult_children=cand.adult_children
    )
    refusals += rules.check_education(
        cand.general_education, pack, exception=cand.education_exception
    )
    intros = list(case.introducers.select_related("member"))
    refusals += rules.check_introducer_set([rules.IntroducerKind(i.kind) for i in intros])
    for intro in intros:
        refusals += rules.check_introducer(
            _introducer_facts(intro, cand), pack_for(intro.letter_date)
        )
    return refusals


@transaction.atomic
def submit_dossier(*, actor: Any, case: AdmissionCase, on: date) -> AdmissionCase:
    """Send a complete dossier to the cell for consideration."""
    case = _lock(case)
    _require_step(actor, case, Step.SUBMIT_DOSSIER)
    _check_state(case, Step.SUBMIT_DOSSIER)
    _not_future(on, "on", "Ngày trình")
    refuse(rules.check_order(case.opened_on, on, "ngày lập hồ sơ", "Ngày trình chi bộ"))
    _check_documents(case, Step.SUBMIT_DOSSIER)
    refuse(_dossier_refusals(case, on))
    case.submitted_on = on
    return _move(actor, case, Step.SUBMIT_DOSSIER, on=on, fields=["submitted_on"])


def official_members_on(org: PartyOrg, day: date) -> int:
    """Count the cell's official members on `day` from the registry (probationary excluded)."""
    return (
        Member.objects.filter(
            org_history__org=org,
            org_history__start__lte=day,
        )
        .filter(Q(org_history__end__isnull=True) | Q(org_history__end__gte=day))
        .exclude(status=MemberStatus.PROBATIONARY)
        .filter(
            Q(status__in=[MemberStatus.OFFICIAL, MemberStatus.EXEMPTED])
            | Q(status_date__gt=day)  # removed, transferred or deceased after the meeting
        )
        .filter(Q(official_date__isnull=True) | Q(official_date__lte=day))
        .exclude(decision_date__gt=day)
        .distinct()
        .count()
    )


def grassroots_org(org: PartyOrg) -> PartyOrg | None:
    """Return the grassroots organisation whose committee votes on the cell's cases."""
    if is_grassroots(OrgType(org.org_type)):
        return org
    prefixes = [org.path[:i] for i in range(1, len(org.path)) if org.path[i - 1] == "."]
    return (
        PartyOrg.objects.filter(
            path__in=prefixes,
            org_type__in=[OrgType.GRASSROOTS_BRANCH, OrgType.GRASSROOTS_CELL],
        )
        .order_by("-depth")
        .first()
    )


def committee_members_on(org: PartyOrg, day: date) -> int:
    """Count the members of the organisation's committee on `day` from the registry's posts."""
    return (
        Position.objects.filter(
            org=org, party_post__in=[p.value for p in COMMITTEE_POSTS], start__lte=day
        )
        .filter(Q(end__isnull=True) | Q(end__gte=day))
        .values("member_id")
        .distinct()
        .count()
    )


@dataclass(frozen=True)
class CommitteeCount:
    """The committee's size for a vote: how many, where from, and which organisation."""

    eligible: int
    source: str
    org: PartyOrg | None


def committee_count(case: AdmissionCase, meeting_date: date, typed: int | None) -> CommitteeCount:
    """Count the committee from the registry; a typed count only when it holds no committee."""
    body = grassroots_org(case.org)
    counted = committee_members_on(body, meeting_date) if body is not None else 0
    if counted:
        return CommitteeCount(counted, ELIGIBLE_REGISTRY, body)
    if typed:
        return CommitteeCount(typed, ELIGIBLE_TYPED, body)
    name = body.name if body is not None else "đảng ủy cơ sở"
    refuse(
        [
            Refusal(
                f"Sổ đảng viên chưa có cấp ủy của {name} vào ngày họp "
                f"{format_date(meeting_date)}: ghi số cấp ủy viên (sẽ lưu là số nhập tay).",
                rules.SRC_COMMITTEE_VOTE,
                "eligible",
            )
        ]
    )
    raise AssertionError("unreachable")  # pragma: no cover


def _committee_who(count: CommitteeCount, meeting_date: date) -> str:
    if count.source == ELIGIBLE_TYPED or count.org is None:
        return "cấp ủy viên (số nhập tay)"
    return (
        f"cấp ủy viên của {count.org.name} vào ngày họp {format_date(meeting_date)} "
        "theo sổ đảng viên"
    )


def _new_vote(
    actor: Any,
    case: AdmissionCase,
    kind: rules.VoteKind,
    proposal: rules.Proposal,
    meeting_date: date,
    eligible: int,
    votes_for: int,
    against: int,
    abstain: int,
    resolution_number: str,
    *,
    eligible_source: str = ELIGIBLE_REGISTRY,
    who: str = "",
) -> Vote:
    cell = kind in rules.CELL_VOTES
    refuse(rules.check_ballots(votes_for, against, abstain, eligible, cell=cell, who=who))
    pack = pack_for(meeting_date)
    threshold = pack.cell_threshold if cell else pack.committee_threshold
    vote = Vote(
        case=case,
        kind=kind.value,
        proposal=proposal.value,
        meeting_date=meeting_date,
        eligible=eligible,
        eligible_source=eligible_source,
        votes_for=votes_for,
        against=against,
        abstain=abstain,
        passed=rules.vote_passes(votes_for, eligible, threshold),
        resolution_number=resolution_number.strip(),
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    vote.full_clean(exclude=["case", "recorded_by"])
    vote.save()
    return vote


def _vote_summary(vote: Vote) -> str:
    result = "đạt" if vote.passed else "không đạt"
    text = (
        f"{vote.get_kind_display()}: {vote.votes_for}/{vote.eligible} tán thành, "
        f"{vote.against} không tán thành, {vote.abstain} không biểu quyết ({result} 2/3)"
    )
    if vote.eligible_typed:
        text += "; số cấp ủy viên nhập tay vì sổ đảng viên chưa có cấp ủy"
    return text


@transaction.atomic
def record_cell_vote(
    *,
    actor: Any,
    case: AdmissionCase,
    meeting_date: date,
    votes_for: int,
    against: int,
    abstain: int,
    proposal: str = rules.Proposal.ADMIT,
    resolution_number: str = "",
) -> Vote:
    """Record the cell's vote on admission (6-KNĐ) or, in probation, on recognition/removal."""
    case = _lock(case)
    require(actor, Action.MANAGE_ADMISSION, case.org)
    _not_future(meeting_date, "meeting_date", "Ngày họp")
    proposal_enum = rules.Proposal(proposal)
    eligible = official_members_on(case.org, meeting_date)
    if case.state == State.CELL_REVIEW:
        return _cell_admission_vote(
            actor, case, meeting_date, eligible, votes_for, against, abstain, resolution_number
        )
    if case.state == State.PROBATION:
        if proposal_enum == rules.Proposal.ADMIT:
            raise ValidationError({"proposal": ["Chọn đề nghị công nhận chính thức hoặc xóa tên."]})
        return _cell_probation_vote(
            actor,
            case,
            proposal_enum,
            meeting_date,
            eligible,
            votes_for,
            against,
            abstain,
            resolution_number,
        )
    _check_state(case, Step.CELL_VOTE_PASSED)  # raises the illegal-step refusal
    raise AssertionError("unreachable")  # pragma: no cover


def _cell_admission_vote(
    actor: Any,
    case: AdmissionCase,
    meeting_date: date,
    eligible: int,
    votes_for: int,
    against: int,
    abstain: int,
    resolution_number: str,
) -> Vote:
    pack = pack_for(meeting_date)
    cand = case.candidate
    refusals = rules.check_order(
        case.submitted_on, meeting_date, "ngày trình hồ sơ", "Ngày chi bộ họp"
    )
    refuse(refusals)
    _check_documents(case, Step.CELL_VOTE_PASSED)
    stale = [(d.code, d.doc_date) for d in case.documents.filter(code__in=rules.STALE_CODES)]
    latest: dict[str, date] = {}
    for code, d in stale:
        latest[code] = max(d, latest.get(code, d))
    # Each introducer's letter goes stale on its own, whatever copy of 3-KNĐ was uploaded last.
    letters = [("3-KNĐ", i.letter_date) for i in case.introducers.all()]
    refusals += rules.check_not_stale([*latest.items(), *letters], meeting_date, pack)
    refusals += rules.check_age(
        cand.birth_date, meeting_date, pack, over_age_exception=cand.age_exception
    )
    refusals += _dossier_refusals(case, meeting_date)
    refuse(refusals)
    vote = _new_vote(
        actor,
        case,
        rules.VoteKind.CELL_ADMISSION,
        rules.Proposal.ADMIT,
        meeting_date,
        eligible,
        votes_for,
        against,
        abstain,
        resolution_number,
    )
    before = audit.snapshot(case, ["cell_resolution_date"])
    if vote.passed:
        step = (
            Step.CELL_VOTE_PASSED_TO_BRANCH
            if has_branch_committee(case.org)
            else Step.CELL_VOTE_PASSED
        )
        case.cell_resolution_date = meeting_date
        _move(
            actor,
            case,
            step,
            on=meeting_date,
            summary=_vote_summary(vote),
            fields=["cell_resolution_date"],
            before_snapshot=before,
        )
    else:
        case.stop_reason = (
            f"Chi bộ biểu quyết ngày {format_date(meeting_date)} chỉ có {vote.votes_for}/"
            f"{vote.eligible} đảng viên chính thức tán thành, cần ít nhất "
            f"{rules.votes_needed(vote.eligible, pack.cell_threshold)} ({rules.SRC_CELL_VOTE})."
        )
        case.stopped_on = meeting_date
        _move(
            actor,
            case,
            Step.CELL_VOTE_FAILED,
            on=meeting_date,
            summary=_vote_summary(vote),
            fields=["stop_reason", "stopped_on"],
        )
    return vote


def _cell_probation_vote(
    actor: Any,
    case: AdmissionCase,
    proposal: rules.Proposal,
    meeting_date: date,
    eligible: int,
    votes_for: int,
    against: int,
    abstain: int,
    resolution_number: str,
) -> Vote:
    pack = pack_for(meeting_date)
    assert case.ceremony_date is not None
    end = rules.probation_end(case.ceremony_date, pack)
    if meeting_date < end:
        refuse(
            [
                Refusal(
                    f"Chi bộ chỉ xét công nhận sau khi hết 12 tháng dự bị ({format_date(end)}).",
                    rules.SRC_RECOGNITION,
                    "meeting_date",
                )
            ]
        )
    if proposal == rules.Proposal.RECOGNISE:
        _check_documents(case, Step.RECOGNITION_VOTE_PASSED)
        if case.helper_id is None:
            refuse(
                [
                    Refusal(
                        "Chưa phân công đảng viên chính thức giúp đỡ.",
                        rules.SRC_PROBATION,
                        "helper",
                    )
                ]
            )
    vote = _new_vote(
        actor,
        case,
        rules.VoteKind.CELL_RECOGNITION,
        proposal,
        meeting_date,
        eligible,
        votes_for,
        against,
        abstain,
        resolution_number,
    )
    step = rules.probation_vote_step(
        passed=vote.passed, proposal=proposal, failed_before=case.failed_probation_votes, pack=pack
    )
    fields = ["failed_probation_votes"]
    if vote.passed:
        case.recognition_resolution_date = meeting_date
        fields.append("recognition_resolution_date")
        if case.recognition_extension_wd:  # an extension counted from an earlier resolution
            case.recognition_extension_wd = 0
            case.recognition_extension_reason = ""
            fields += ["recognition_extension_wd", "recognition_extension_reason"]
    else:
        case.failed_probation_votes += 1
    summary = _vote_summary(vote)
    if step == Step.ESCALATE:
        summary += f"; lần thứ {case.failed_probation_votes} không đủ 2/3: báo cáo cấp ủy cấp trên"
    _move(actor, case, step, on=meeting_date, summary=summary, fields=fields)
    return vote


@transaction.atomic
def record_branch_appraisal(*, actor: Any, case: AdmissionCase, on: date) -> AdmissionCase:
    """Record the branch committee's appraisal (7-KNĐ)."""
    case = _lock(case)
    _require_step(actor, case, Step.BRANCH_APPRAISED)
    _check_state(case, Step.BRANCH_APPRAISED)
    _not_future(on, "on", "Ngày thẩm định")
    refuse(
        rules.check_order(case.cell_resolution_date, on, "ngày nghị quyết chi bộ", "Ngày thẩm định")
    )
    _check_documents(case, Step.BRANCH_APPRAISED)
    case.branch_appraisal_date = on
    return _move(actor, case, Step.BRANCH_APPRAISED, on=on, fields=["branch_appraisal_date"])


@transaction.atomic
def record_committee_vote(
    *,
    actor: Any,
    case: AdmissionCase,
    meeting_date: date,
    votes_for: int,
    against: int,
    abstain: int,
    eligible: int | None = None,
    resolution_number: str = "",
) -> Vote:
    """Record the grassroots committee's vote: on admission (8-KNĐ) or recognition (15-KNĐ).

    The committee's size is counted from the registry's committee posts active on the meeting
    date; `eligible` (a typed count) is used only when the registry holds no committee for the
    grassroots organisation, and the vote then records it as typed.
    """
    case = _lock(case)
    _require_step(actor, case, Step.COMMITTEE_VOTE_PASSED)
    _not_future(meeting_date, "meeting_date", "Ngày họp")
    if case.state not in (State.COMMITTEE_REVIEW, State.RECOGNITION_COMMITTEE):
        _check_state(case, Step.COMMITTEE_VOTE_PASSED)  # raises the illegal-step refusal
    count = committee_count(case, meeting_date, eligible)
    members = count.eligible
    extra: dict[str, Any] = {
        "eligible_source": count.source,
        "who": _committee_who(count, meeting_date),
    }
    if case.state == State.COMMITTEE_REVIEW:
        refuse(
            rules.check_order(
                case.branch_appraisal_date or case.cell_resolution_date,
                meeting_date,
                "nghị quyết chi bộ (thẩm định của đảng ủy bộ phận)",
                "Ngày đảng ủy họp",
            )
        )
        _check_documents(case, Step.COMMITTEE_VOTE_PASSED)
        vote = _new_vote(
            actor,
            case,
            rules.VoteKind.COMMITTEE_ADMISSION,
            rules.Proposal.ADMIT,
            meeting_date,
            members,
            votes_for,
            against,
            abstain,
            resolution_number,
            **extra,
        )
        if vote.passed:
            case.committee_resolution_date = meeting_date
            _move(
                actor,
                case,
                Step.COMMITTEE_VOTE_PASSED,
                on=meeting_date,
                summary=_vote_summary(vote),
                fields=["committee_resolution_date"],
            )
        else:
            case.stop_reason = (
                f"Đảng ủy biểu quyết ngày {format_date(meeting_date)} chỉ có {vote.votes_for}/"
                f"{vote.eligible} cấp ủy viên tán thành ({rules.SRC_COMMITTEE_VOTE})."
            )
            case.stopped_on = meeting_date
            _move(
                actor,
                case,
                Step.COMMITTEE_VOTE_FAILED,
                on=meeting_date,
                summary=_vote_summary(vote),
                fields=["stop_reason", "stopped_on"],
            )
        return vote
    if case.state == State.RECOGNITION_COMMITTEE:
        refuse(
            rules.check_order(
                case.recognition_resolution_date,
                meeting_date,
                "nghị quyết chi bộ",
                "Ngày đảng ủy họp",
            )
        )
        _check_documents(case, Step.RECOGNITION_COMMITTEE_PASSED)
        vote = _new_vote(
            actor,
            case,
            rules.VoteKind.COMMITTEE_RECOGNITION,
            rules.Proposal.RECOGNISE,
            meeting_date,
            members,
            votes_for,
            against,
            abstain,
            resolution_number,
            **extra,
        )
        pack = pack_for(meeting_date)
        step = rules.recognition_committee_step(
            passed=vote.passed, failed_before=case.failed_probation_votes, pack=pack
        )
        fields = ["failed_probation_votes"]
        if vote.passed:
            case.recognition_committee_date = meeting_date
            fields.append("recognition_committee_date")
        else:
            case.failed_probation_votes += 1
        _move(actor, case, step, on=meeting_date, summary=_vote_summary(vote), fields=fields)
        return vote
    raise AssertionError("unreachable")  # pragma: no cover
