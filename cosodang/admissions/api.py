"""API of the admissions app, mounted at /api/v1/admissions/: cases, steps, votes, documents.

Every call starts from the caller's scope: a case outside it answers 404, like a missing one.
A refused step answers 422 with the Vietnamese message naming the rule.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from cosodang.core.access import Action

from . import rules, selectors, services
from .models import AdmissionCase, Document, Vote

router = Router(tags=["Kết nạp đảng viên"])


class CaseListItem(Schema):
    """A case as listed."""

    id: int
    candidate: str
    org_id: int
    org_name: str
    state: str
    state_label: str
    opened_on: date
    next_deadline: date | None
    deadline_what: str
    workdays_left: int | None
    missing: list[str]


class CasePage(Schema):
    count: int
    items: list[CaseListItem]


class EventOut(Schema):
    at: datetime
    actor: str
    step: str
    from_state: str
    to_state: str
    on: date | None
    summary: str


class VoteOut(Schema):
    id: int
    kind: str
    proposal: str
    meeting_date: date
    eligible: int
    eligible_source: str
    votes_for: int
    against: int
    abstain: int
    passed: bool
    resolution_number: str


class DocumentOut(Schema):
    id: int
    code: str
    title: str
    doc_date: date
    filename: str
    generated: bool
    uploaded_by: str
    uploaded_at: datetime


class IntroducerOut(Schema):
    id: int
    kind: str
    name: str
    member_id: int | None
    months_together: int
    replacement: bool
    letter_date: date


class CaseOut(CaseListItem):
    """A case with its dates, introducers, votes, documents and timeline."""

    candidate_id: int
    member_id: int | None
    cert_number: str
    cert_date: date | None
    cell_resolution_date: date | None
    committee_resolution_date: date | None
    decision_date: date | None
    decision_number: str
    ceremony_date: date | None
    official_date: date | None
    stop_reason: str
    allowed_steps: list[str]
    violations: list[str]
    introducers: list[IntroducerOut]
    votes: list[VoteOut]
    documents: list[DocumentOut]
    timeline: list[EventOut]


class CaseQuery(Schema):
    model_config = ConfigDict(use_enum_values=True)

    state: rules.State | None = None
    open: bool = False
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


def _item(case: AdmissionCase) -> dict[str, Any]:
    row = selectors.case_row(case, _today())
    return {
        "id": case.pk,
        "candidate": case.candidate.full_name,
        "org_id": case.org_id,
        "org_name": case.org.name,
        "state": case.state,
        "state_label": case.state_label,
        "opened_on": case.opened_on,
        "next_deadline": row.deadline.due if row.deadline else None,
        "deadline_what": row.deadline.what if row.deadline else "",
        "workdays_left": row.days_left,
        "missing": row.missing,
    }


def _today() -> date:
    from django.utils import timezone

    return timezone.localdate()


def _vote(v: Vote) -> dict[str, Any]:
    return {
        "id": v.pk,
        "kind": v.kind,
        "proposal": v.proposal,
        "meeting_date": v.meeting_date,
        "eligible": v.eligible,
        "eligible_source": v.eligible_source,
        "votes_for": v.votes_for,
        "against": v.against,
        "abstain": v.abstain,
        "passed": v.passed,
        "resolution_number": v.resolution_number,
    }


def _document(d: Document) -> dict[str, Any]:
    return {
        "id": d.pk,
        "code": d.code,
        "title": d.title,
        "doc_date": d.doc_date,
        "filename": d.filename,
        "generated": d.generated,
        "uploaded_by": d.uploaded_by.username if d.uploaded_by else "",
        "uploaded_at": d.uploaded_at,
    }


def _detail(case: AdmissionCase) -> dict[str, Any]:
    full = selectors.case_queryset().get(pk=case.pk)
    out = _item(full)
    out.update(
        {
            "candidate_id": case.candidate_id,
            "member_id": case.member_id,
            "cert_number": case.cert_number,
            "cert_date": case.cert_date,
            "cell_resolution_date": case.cell_resolution_date,
            "committee_resolution_date": case.committee_resolution_date,
            "decision_date": case.decision_date,
            "decision_number": case.decision_number,
            "ceremony_date": case.ceremony_date,
            "official_date": case.official_date,
            "stop_reason": case.stop_reason,
            "allowed_steps": [s.value for s in rules.allowed_steps(case.state)],
            "violations": selectors.case_violations(case, _today()),
            "introducers": [
                {
                    "id": i.pk,
                    "kind": i.kind,
                    "name": i.name,
                    "member_id": i.member_id,
                    "months_together": i.months_together,
                    "replacement": i.replacement,
                    "letter_date": i.letter_date,
                }
                for i in case.introducers.select_related("member")
            ],
            "votes": [_vote(v) for v in case.votes.all()],
            "documents": [_document(d) for d in case.documents.select_related("uploaded_by")],
            "timeline": [
                {
                    "at": e.at,
                    "actor": e.actor_label,
                    "step": e.step,
                    "from_state": e.from_state,
                    "to_state": e.to_state,
                    "on": e.on,
                    "summary": e.summary,
                }
                for e in selectors.timeline(case)
            ],
        }
    )
    return out


@router.get("/cases/", response=CasePage, url_name="list_admission_cases")
def list_cases(request: HttpRequest, query: Query[CaseQuery]) -> dict[str, Any]:
    """List the admission cases in the caller's scope, with their next deadline."""
    qs = selectors.list_cases(request.user, state=query.state or "", open_only=query.open)
    page = list(qs[query.offset : query.offset + query.limit])
    return {"count": qs.count(), "items": [_item(c) for c in page]}


@router.get("/cases/{case_id}", response=CaseOut, url_name="get_admission_case")
def get_case(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """Return one case with its introducers, votes, documents and timeline."""
    return _detail(selectors.get_case(request.user, case_id))


class StepIn(Schema):
    """Take one step; the fields the step needs (dates ISO YYYY-MM-DD)."""

    model_config = ConfigDict(extra="forbid")

    step: Literal[
        "submit_dossier",
        "branch_appraisal",
        "extend_decision",
        "extend_recognition",
        "decide_admission",
        "hold_ceremony",
        "recognise",
        "remove",
        "stop",
    ]
    on: date = Field(description="Ngày của việc (ngày trình, ngày quyết định…)")
    decision_number: str = ""
    received_date: date | None = None
    late_approval: str = ""
    days: int = 0
    reason: str = ""


@router.post("/cases/{case_id}/steps", response=CaseOut, url_name="take_admission_step")
def take_step(request: HttpRequest, case_id: int, body: StepIn) -> dict[str, Any]:
    """Move a case one step (votes are recorded through /votes)."""
    committee = body.step in (
        "branch_appraisal",
        "extend_decision",
        "extend_recognition",
        "decide_admission",
        "recognise",
        "remove",
    )
    action = Action.DECIDE_ADMISSION if committee else Action.MANAGE_ADMISSION
    case = selectors.get_case(request.user, case_id, action)
    day = body.on
    actor = request.user
    if body.step == "submit_dossier":
        services.submit_dossier(actor=actor, case=case, on=day)
    elif body.step == "branch_appraisal":
        services.record_branch_appraisal(actor=actor, case=case, on=day)
    elif body.step == "extend_decision":
        services.extend_decision(actor=actor, case=case, days=body.days, reason=body.reason)
    elif body.step == "extend_recognition":
        services.extend_recognition(actor=actor, case=case, days=body.days, reason=body.reason)
    elif body.step == "decide_admission":
        services.decide_admission(
            actor=actor,
            case=case,
            decision_date=day,
            decision_number=body.decision_number,
            received_date=body.received_date or day,
        )
    elif body.step == "hold_ceremony":
        services.hold_ceremony(
            actor=actor, case=case, ceremony_date=day, late_approval=body.late_approval
        )
    elif body.step == "recognise":
        services.recognise(actor=actor, case=case, decision_date=day)
    elif body.step == "remove":
        services.remove_from_list(actor=actor, case=case, decision_date=day, reason=body.reason)
    else:
        services.stop_case(actor=actor, case=case, on=day, reason=body.reason)
    return _detail(selectors.get_case(actor, case_id))


class VoteIn(Schema):
    """A vote of the cell or the committee; both count their voters from the registry.

    `eligible` (a typed committee size) is used only when the registry holds no committee for
    the grassroots organisation; the vote then says `eligible_source: "typed"`.
    """

    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    body: Literal["cell", "committee"]
    meeting_date: date
    votes_for: int = Field(ge=0, le=10000)
    against: int = Field(0, ge=0, le=10000)
    abstain: int = Field(0, ge=0, le=10000)
    eligible: int | None = Field(
        None, ge=1, le=10000, description="Số cấp ủy viên, chỉ khi sổ chưa có cấp ủy"
    )
    proposal: rules.Proposal = rules.Proposal.ADMIT
    resolution_number: str = ""


@router.get("/cases/{case_id}/votes", response=list[VoteOut], url_name="list_admission_votes")
def list_votes(request: HttpRequest, case_id: int) -> list[dict[str, Any]]:
    """List the votes of a case."""
    case = selectors.get_case(request.user, case_id)
    return [_vote(v) for v in case.votes.all()]


@router.post("/cases/{case_id}/votes", response={201: VoteOut}, url_name="record_admission_vote")
def record_vote(request: HttpRequest, case_id: int, body: VoteIn) -> tuple[int, dict[str, Any]]:
    """Record a vote of the cell or of the committee; the case moves on (or stops)."""
    action = Action.DECIDE_ADMISSION if body.body == "committee" else Action.MANAGE_ADMISSION
    case = selectors.get_case(request.user, case_id, action)
    if body.body == "cell":
        vote = services.record_cell_vote(
            actor=request.user,
            case=case,
            meeting_date=body.meeting_date,
            votes_for=body.votes_for,
            against=body.against,
            abstain=body.abstain,
            proposal=body.proposal,
            resolution_number=body.resolution_number,
        )
    else:
        vote = services.record_committee_vote(
            actor=request.user,
            case=case,
            meeting_date=body.meeting_date,
            eligible=body.eligible,
            votes_for=body.votes_for,
            against=body.against,
            abstain=body.abstain,
            resolution_number=body.resolution_number,
        )
    return 201, _vote(vote)


@router.get(
    "/cases/{case_id}/documents", response=list[DocumentOut], url_name="list_admission_documents"
)
def list_documents(request: HttpRequest, case_id: int) -> list[dict[str, Any]]:
    """List the documents of a case (who uploaded each, when)."""
    case = selectors.get_case(request.user, case_id)
    return [_document(d) for d in case.documents.select_related("uploaded_by")]


class GenerateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="Mẫu, ví dụ 1-KNĐ")
    doc_date: date


@router.post(
    "/cases/{case_id}/documents",
    response={201: DocumentOut},
    url_name="generate_admission_document",
)
def generate_document(
    request: HttpRequest, case_id: int, body: GenerateIn
) -> tuple[int, dict[str, Any]]:
    """Fill a form from the case data as .docx and keep it in the dossier."""
    case = selectors.get_case(request.user, case_id, Action.MANAGE_ADMISSION)
    doc = services.generate_document(
        actor=request.user, case=case, code=body.code, doc_date=body.doc_date
    )
    return 201, _document(doc)
