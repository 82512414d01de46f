"""Writes of the admission pipeline; each service is atomic, checked, and audited once.

A step is refused, with nothing written, when the state machine does not allow it, a
document is missing, dates are out of order, an introducer does not qualify or a vote has
more ballots than voters. The member record is created at the admission decision and updated
on recognition or removal through the member registry's own services (members/services.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cosodang.core import audit
from cosodang.core.access import Action, require
from cosodang.core.errors import ValidationError
from cosodang.core.vn import fold, format_date, name_sort_key
from cosodang.members import services as member_services
from cosodang.members.models import Member
from cosodang.members.rules import MemberStatus
from cosodang.orgs.models import PartyOrg
from cosodang.orgs.rules import OrgType

from . import rules
from .config import pack_for, work_calendar
from .documents import build_form
from .models import (
    AdmissionCase,
    Candidate,
    CaseEvent,
    Document,
    Introducer,
    Notification,
    ProbationNote,
    Vote,
)
from .rules import Refusal, State, Step

CANDIDATE_FIELDS = (
    "full_name",
    "sex",
    "birth_date",
    "ethnicity",
    "religion",
    "general_education",
    "education_exception",
    "age_exception",
    "work_unit",
    "residence",
    "married",
    "adult_children",
    "in_pool_since",
    "follower",
    "note",
)
CANDIDATE_ORG_TYPES = frozenset({OrgType.CELL, OrgType.GRASSROOTS_CELL})
UPLOAD_EXTENSIONS = (".pdf", ".docx", ".doc", ".jpg", ".jpeg", ".png", ".odt")
UPLOAD_MAX_BYTES = 10 * 1024 * 1024
DOCX = ".docx"


def refuse(refusals: Sequence[Refusal]) -> None:
    """Raise one ValidationError carrying every refusal, field by field."""
    if not refusals:
        return
    errors: dict[str, list[str]] = {}
    for r in refusals:
        errors.setdefault(r.field or "__all__", []).append(str(r))
    raise ValidationError(errors)


def _today() -> date:
    return timezone.localdate()


def _not_future(day: date, field: str, label: str) -> None:
    if day > _today():
        raise ValidationError({field: [f"{label} không được sau ngày hôm nay."]})


def _lock(case: AdmissionCase) -> AdmissionCase:
    return (
        AdmissionCase.objects.select_for_update(of=("self",))
        .select_related("candidate", "org")
        .get(pk=case.pk)
    )


def _require_step(actor: Any, case: AdmissionCase, step: Step) -> None:
    action = Action.DECIDE_ADMISSION if step in rules.COMMITTEE_STEPS else Action.MANAGE_ADMISSION
    require(actor, action, case.org)


def _event(
    actor: Any,
    case: AdmissionCase,
    summary: str,
    *,
    step: Step | None = None,
    before: State | None = None,
    on: date | None = None,
    opened: bool = False,
) -> None:
    CaseEvent.objects.create(
        case=case,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=getattr(actor, "username", "") or "hệ thống",
        step=step.value if step else "",
        from_state=before.value if before else "",
        to_state=case.state if step or opened else "",
        on=on,
        summary=summary[:500],
    )


def _audit(actor: Any, action: str, obj: Any, org_path: str, changes: dict[str, Any]) -> None:
    audit.record(
        actor=actor, action=f"admissions.{action}", obj=obj, org_path=org_path, changes=changes
    )


def _move(
    actor: Any,
    case: AdmissionCase,
    step: Step,
    *,
    on: date | None,
    summary: str = "",
    fields: Iterable[str] = (),
    before_snapshot: dict[str, Any] | None = None,
) -> AdmissionCase:
    """Apply `step` to a locked case: state, saved fields, timeline line, one audit event."""
    before = State(case.state)
    case.state = rules.next_state(before, step).value
    case.full_clean(exclude=["candidate", "org", "member", "helper"])
    case.save(update_fields=["state", "updated_at", *fields])
    _event(actor, case, summary or rules.STEP_LABELS[step], step=step, before=before, on=on)
    changes = audit.diff(before_snapshot or {}, audit.snapshot(case, ["state", *fields]))
    changes["state"] = [before.value, case.state]
    _audit(actor, step.value, case, case.org_path, changes)
    return case


def _check_state(case: AdmissionCase, step: Step) -> None:
    try:
        rules.next_state(case.state, step)
    except rules.IllegalStep as exc:
        refuse([exc.refusal])


def _present_codes(case: AdmissionCase) -> set[str]:
    return set(case.documents.values_list("code", flat=True))


def has_branch_committee(org: PartyOrg) -> bool:
    """Tell whether the cell sits under a branch Party committee (đảng ủy bộ phận)."""
    parent = org.parent
    return parent is not None and parent.org_type == OrgType.SUB_BRANCH


def _union_introducer(case: AdmissionCase) -> bool:
    return case.introducers.exclude(kind=rules.IntroducerKind.MEMBER).exists()


def _check_documents(case: AdmissionCase, step: Step) -> None:
    missing = rules.missing_documents(
        step,
        _present_codes(case),
        has_branch=has_branch_committee(case.org),
        union_introducer=_union_introducer(case),
    )
    if missing:
        refuse([rules.missing_refusal(missing)])


# --------------------------------------------------------------------------------------------
# Candidates
# --------------------------------------------------------------------------------------------


def _candidate_checks(candidate: Candidate) -> None:
    errors: dict[str, list[str]] = {}
    try:
        candidate.full_clean(exclude=["org"])
    except ValidationError as exc:
        errors.update({k: list(v) for k, v in exc.message_dict.items()})
    if candidate.org.org_type not in CANDIDATE_ORG_TYPES or not candidate.org.is_active:
        errors.setdefault("org", []).append(
            "Quần chúng ưu tú do một chi bộ (chi bộ cơ sở hoặc chi bộ trực thuộc) theo dõi."
        )
    if candidate.birth_date and candidate.birth_date > _today():
        errors.setdefault("birth_date", []).append("Ngày sinh không được sau ngày hôm nay.")
    if candidate.follower_id and not candidate.follower.org_path.startswith(  # type: ignore[union-attr]
        candidate.org.path
    ):
        errors.setdefault("follower", []).append("Đảng viên theo dõi phải thuộc chi bộ này.")
    if errors:
        raise ValidationError(errors)


def _candidate_derive(candidate: Candidate) -> None:
    candidate.full_name = " ".join(candidate.full_name.split())
    candidate.name_folded = fold(candidate.full_name)
    candidate.sort_key = name_sort_key(candidate.full_name)
    candidate.org_path = candidate.org.path


@transaction.atomic
def create_candidate(*, actor: Any, org: PartyOrg, data: dict[str, Any]) -> Candidate:
    """Add an outstanding non-member to a cell's candidate pool."""
    require(actor, Action.MANAGE_ADMISSION, org)
    candidate = Candidate(org=org, **{k: v for k, v in data.items() if k in CANDIDATE_FIELDS})
    _candidate_derive(candidate)
    _candidate_checks(candidate)
    candidate.save()
    _audit(
        actor,
        "create_candidate",
        candidate,
        candidate.org_path,
        audit.diff({}, audit.snapshot(candidate)),
    )
    return candidate


@transaction.atomic
def update_candidate(*, actor: Any, candidate: Candidate, data: dict[str, Any]) -> Candidate:
    """Change a candidate's data."""
    candidate = Candidate.objects.select_for_update().select_related("org").get(pk=candidate.pk)
    require(actor, Action.MANAGE_ADMISSION, candidate.org)
    before = audit.snapshot(candidate)
    for key, value in data.items():
        if key in CANDIDATE_FIELDS:
            setattr(candidate, key, value)
    _candidate_derive(candidate)
    _candidate_checks(candidate)
    candidate.save()
    _audit(
        actor,
        "update_candidate",
        candidate,
        candidate.org_path,
        audit.diff(before, audit.snapshot(candidate)),
    )
    return candidate


# --------------------------------------------------------------------------------------------
# Opening a case and building the dossier
# --------------------------------------------------------------------------------------------


@transaction.atomic
def open_case(*, actor: Any, candidate: Candidate, opened_on: date) -> AdmissionCase:
    """Open an admission case for a candidate (one open case at a time)."""
    candidate = Candidate.objects.select_for_update().select_related("org").get(pk=candidate.pk)
    require(actor, Action.MANAGE_ADMISSION, candidate.org)
    _not_future(opened_on, "opened_on", "Ngày lập hồ sơ")
    if opened_on < candidate.in_pool_since:
        raise ValidationError(
            {"opened_on": ["Ngày lập hồ sơ không được trước ngày vào nguồn phát triển đảng."]}
        )
    if AdmissionCase.objects.filter(
        candidate=candidate, state__in=[s.value for s in rules.State if s not in rules.TERMINAL]
    ).exists():
        raise ValidationError({"__all__": ["Người này đang có một hồ sơ kết nạp chưa kết thúc."]})
    case = AdmissionCase(
        candidate=candidate,
        org=candidate.org,
        org_path=candidate.org.path,
        opened_on=opened_on,
        state=State.DOSSIER.value,
    )
    case.full_clean(exclude=["candidate", "org"])
    case.save()
    _event(actor, case, "Lập hồ sơ kết nạp", on=opened_on, opened=True)
    _audit(actor, "open_case", case, case.org_path, audit.diff({}, audit.snapshot(case)))
    return case


DOSSIER_STATES = (State.DOSSIER, State.CELL_REVIEW)


@transaction.atomic
def update_dossier(
    *,
    actor: Any,
    case: AdmissionCase,
    cert_number: str,
    cert_issuer: str,
    cert_date: date | None,
    verified_relatives: Sequence[str],
) -> AdmissionCase:
    """Record the awareness-course certificate and whom the background check covered."""
    case = _lock(case)
    require(actor, Action.MANAGE_ADMISSION, case.org)
    if case.state not in DOSSIER_STATES:
        refuse([Refusal("Chỉ sửa hồ sơ trước khi chi bộ xét.", rules.SRC_STATE)])
    if cert_date is not None:
        _not_future(cert_date, "cert_date", "Ngày cấp giấy chứng nhận")
    valid = {r.value for r in rules.Relative}
    relatives = sorted({r for r in verified_relatives if r in valid})
    fields = ["cert_number", "cert_issuer", "cert_date", "verified_relatives"]
    before = audit.snapshot(case, fields)
    case.cert_number, case.cert_issuer, case.cert_date = (
        cert_number.strip(),
        cert_issuer.strip(),
        cert_date,
    )
    case.verified_relatives = relatives
    case.full_clean(exclude=["candidate", "org", "member", "helper"])
    case.save(update_fields=[*fields, "updated_at"])
    _event(actor, case, "Cập nhật giấy chứng nhận và thẩm tra lý lịch")
    _audit(
        actor,
        "update_dossier",
        case,
        case.org_path,
        audit.diff(before, audit.snapshot(case, fields)),
    )
    return case


def _introducer_facts(intro: Introducer, candidate: Candidate) -> rules.IntroducerFacts:
    member = intro.member
    return rules.IntroducerFacts(
        kind=rules.IntroducerKind(intro.kind),
        name=intro.name,
        letter_date=intro.letter_date,
        member_status=member.status if member else "",
        official_since=member.official_date if member else None,
        months_together=intro.months_together,
        replacement=intro.replacement,
    )


@transaction.atomic
def add_introducer(
    *,
    actor: Any,
    case: AdmissionCase,
    kind: str,
    letter_date: date,
    member: Member | None = None,
    org_name: str = "",
    months_together: int = 0,
    replacement: bool = False,
) -> Introducer:
    """Add an introducer (3-KNĐ); one who does not qualify is refused."""
    case = _lock(case)
    require(actor, Action.MANAGE_ADMISSION, case.org)
    if case.state not in DOSSIER_STATES:
        refuse([Refusal("Chỉ thêm người giới thiệu trước khi chi bộ xét.", rules.SRC_STATE)])
    _not_future(letter_date, "letter_date", "Ngày giới thiệu")
    kind_enum = rules.IntroducerKind(kind)
    if kind_enum == rules.IntroducerKind.MEMBER:
        if member is None:
            raise ValidationError({"member": ["Chọn đảng viên giới thiệu."]})
        member = Member.objects.get(pk=member.pk)
        if not member.org_path.startswith(case.org.path):
            # The introducer works with the applicant: a member of the same cell.
            raise ValidationError({"member": ["Người giới thiệu phải là đảng viên của chi bộ."]})
        if case.introducers.filter(member=member).exists():
            raise ValidationError({"member": ["Đảng viên này đã là người giới thiệu."]})
    else:
        member = None
        if not org_name.strip():
            org_name = rules.INTRODUCER_LABELS[kind_enum]
    intro = Introducer(
        case=case,
        kind=kind_enum.value,
        member=member,
        org_name=org_name.strip(),
        months_together=months_together,
        replacement=replacement,
        letter_date=letter_date,
    )
    pack = pack_for(letter_date)
    refusals = rules.check_introducer(_introducer_facts(intro, case.candidate), pack)
    kinds = [rules.IntroducerKind(k) for k in case.introducers.values_list("kind", flat=True)]
    kinds.append(kind_enum)
    members = sum(1 for k in kinds if k == rules.IntroducerKind.MEMBER)
    if len(kinds) > 2 or (members == 0 and len(kinds) == 2):
        refusals += rules.check_introducer_set(kinds)
    refuse(refusals)
    intro.full_clean(exclude=["case", "member"])
    intro.save()
    _event(actor, case, f"Thêm người giới thiệu: {intro.name}", on=letter_date)
    _audit(actor, "add_introducer", intro, case.org_path, audit.diff({}, audit.snapshot(intro)))
    return intro


@transaction.atomic
def remove_introducer(*, actor: Any, introducer: Introducer) -> None:
    """Remove an introducer who left or was disciplined, before the cell considers."""
    case = _lock(introducer.case)
    require(actor, Action.MANAGE_ADMISSION, case.org)
    if case.state not in DOSSIER_STATES:
        refuse([Refusal("Chỉ đổi người giới thiệu trước khi chi bộ xét.", rules.SRC_STATE)])
    name, snap = introducer.name, audit.snapshot(introducer)
    _audit(actor, "remove_introducer", introducer, case.org_path, audit.diff(snap, {}))
    introducer.delete()
    _event(actor, case, f"Bỏ người giới thiệu: {name}")


def _store_document(
    actor: Any,
    case: AdmissionCase,
    code: str,
    doc_date: date,
    content: ContentFile[bytes] | UploadedFile,
    filename: str,
    *,
    generated: bool,
    note: str = "",
) -> Document:
    if code not in rules.FORMS:
        raise ValidationError({"code": ["Mẫu văn bản không hợp lệ."]})
    _not_future(doc_date, "doc_date", "Ngày văn bản")
    if doc_date < case.opened_on and code not in ("CN-NTVĐ",):
        raise ValidationError(
            {"doc_date": [f"Ngày văn bản trước ngày lập hồ sơ ({format_date(case.opened_on)})."]}
        )
    doc = Document(
        case=case,
        code=code,
        doc_date=doc_date,
        filename=filename[:255],
        generated=generated,
        note=note,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    doc.file.save(filename, content, save=False)
    doc.full_clean(exclude=["case", "uploaded_by"])
    doc.save()
    how = "Tạo" if generated else "Tải lên"
    _event(actor, case, f"{how} {code}: {rules.FORMS[code].title}", on=doc_date)
    changes = audit.diff({}, audit.snapshot(doc, ["code", "doc_date", "filename", "generated"]))
    _audit(actor, "add_document", doc, case.org_path, changes)
    return doc


@transaction.atomic
def add_document(
    *,
    actor: Any,
    case: AdmissionCase,
    code: str,
    doc_date: date,
    upload: UploadedFile,
    note: str = "",
) -> Document:
    """Attach an uploaded document (scan, PDF, Word) to a case."""
    case = _lock(case)
    require(actor, Action.MANAGE_ADMISSION, case.org)
    if not case.is_open:
        refuse([Refusal("Hồ sơ đã kết thúc.", rules.SRC_STATE)])
    name = (upload.name or "tai-lieu").rsplit("/", 1)[-1]
    if not name.lower().endswith(UPLOAD_EXTENSIONS):
        raise ValidationError({"upload": ["Chỉ nhận tệp PDF, Word hoặc ảnh (jpg, png)."]})
    if (upload.size or 0) > UPLOAD_MAX_BYTES:
        raise ValidationError({"upload": ["Tệp lớn hơn 10 MB."]})
    return _store_document(actor, case, code, doc_date, upload, name, generated=False, note=note)


@transaction.atomic
def generate_document(*, actor: Any, case: AdmissionCase, code: str, doc_date: date) -> Document:
    """Fill form `code` from the case data as a .docx and keep it in the dossier."""
    from .documents import GENERATED_CODES

    case = _lock(case)
    require(actor, Action.MANAGE_ADMISSION, case.org)
    if code not in GENERATED_CODES:
        raise ValidationError({"code": ["Mẫu này chưa tạo tự động được; hãy tải tệp lên."]})
    if not case.is_open and code != "16-KNĐ":
        refuse([Refusal("Hồ sơ đã kết thúc.", rules.SRC_STATE)])
    content = ContentFile(build_form(case, code, doc_date))
    filename = f"{code}-{case.pk}-{doc_date:%Y%m%d}{DOCX}"
    return _store_document(actor, case, code, doc_date, content, filename, generated=True)


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
) -> Vote:
    cell = kind in rules.CELL_VOTES
    refuse(rules.check_ballots(votes_for, against, abstain, eligible, cell=cell))
    pack = pack_for(meeting_date)
    threshold = pack.cell_threshold if cell else pack.committee_threshold
    vote = Vote(
        case=case,
        kind=kind.value,
        proposal=proposal.value,
        meeting_date=meeting_date,
        eligible=eligible,
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
    return (
        f"{vote.get_kind_display()}: {vote.votes_for}/{vote.eligible} tán thành, "
        f"{vote.against} không tán thành, {vote.abstain} không biểu quyết ({result} 2/3)"
    )


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
    refusals += rules.check_not_stale(latest.items(), meeting_date, pack)
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
    eligible: int,
    votes_for: int,
    against: int,
    abstain: int,
    resolution_number: str = "",
) -> Vote:
    """Record the grassroots committee's vote: on admission (8-KNĐ) or recognition (15-KNĐ)."""
    case = _lock(case)
    _require_step(actor, case, Step.COMMITTEE_VOTE_PASSED)
    _not_future(meeting_date, "meeting_date", "Ngày họp")
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
            eligible,
            votes_for,
            against,
            abstain,
            resolution_number,
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
            eligible,
            votes_for,
            against,
            abstain,
            resolution_number,
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
    _check_state(case, Step.COMMITTEE_VOTE_PASSED)
    raise AssertionError("unreachable")  # pragma: no cover


@transaction.atomic
def extend_decision(*, actor: Any, case: AdmissionCase, days: int, reason: str) -> AdmissionCase:
    """Extend the admission-decision deadline (special cases, with a reason, within the cap)."""
    case = _lock(case)
    _require_step(actor, case, Step.EXTEND_DECISION)
    _check_state(case, Step.EXTEND_DECISION)
    assert case.cell_resolution_date is not None
    pack = pack_for(case.cell_resolution_date)
    if not reason.strip():
        raise ValidationError({"reason": ["Ghi lý do gia hạn."]})
    if days <= 0 or case.decision_extension_wd + days > pack.decision_extension_wd:
        refuse(
            [
                Refusal(
                    f"Chỉ được gia hạn tổng cộng tối đa {pack.decision_extension_wd} ngày làm việc "
                    f"(đã gia hạn {case.decision_extension_wd}).",
                    rules.SRC_DECISION,
                    "days",
                )
            ]
        )
    case.decision_extension_wd += days
    case.decision_extension_reason = reason.strip()
    return _move(
        actor,
        case,
        Step.EXTEND_DECISION,
        on=None,
        summary=f"Gia hạn {days} ngày làm việc: {reason.strip()}",
        fields=["decision_extension_wd", "decision_extension_reason"],
    )


@transaction.atomic
def decide_admission(
    *,
    actor: Any,
    case: AdmissionCase,
    decision_date: date,
    decision_number: str,
    received_date: date,
) -> AdmissionCase:
    """Record the admission decision (9-KNĐ) and create the member record (Party age starts)."""
    case = _lock(case)
    _require_step(actor, case, Step.DECIDE_ADMISSION)
    _check_state(case, Step.DECIDE_ADMISSION)
    _not_future(decision_date, "decision_date", "Ngày quyết định")
    _not_future(received_date, "received_date", "Ngày nhận quyết định")
    refuse(
        rules.check_order(
            case.committee_resolution_date,
            decision_date,
            "ngày nghị quyết đảng ủy",
            "Ngày quyết định kết nạp",
        )
        + rules.check_order(
            decision_date, received_date, "ngày quyết định", "Ngày chi bộ nhận quyết định"
        )
    )
    if not decision_number.strip():
        raise ValidationError({"decision_number": ["Ghi số quyết định kết nạp."]})
    _check_documents(case, Step.DECIDE_ADMISSION)
    cand = case.candidate
    member = member_services.create_member(
        actor=actor,
        org=case.org,
        data={
            "full_name": cand.full_name,
            "sex": cand.sex,
            "birth_date": cand.birth_date,
            "ethnicity": cand.ethnicity,
            "religion": cand.religion,
            "general_education": cand.general_education,
            "work_unit": cand.work_unit,
            "decision_date": rules.party_age_start(decision_date),
            "status": MemberStatus.PROBATIONARY,
            "status_date": decision_date,
        },
    )
    case.member = member
    case.decision_date = decision_date
    case.decision_number = decision_number.strip()
    case.decision_received_date = received_date
    deadline = rules.decision_deadline(
        case.cell_resolution_date or decision_date,
        pack_for(decision_date),
        case.decision_extension_wd,
        work_calendar(),
    )
    summary = f"Quyết định kết nạp số {case.decision_number} ngày {format_date(decision_date)}"
    if decision_date > deadline:
        summary += f" — QUÁ HẠN (hạn {format_date(deadline)}, {rules.SRC_DECISION})"
    return _move(
        actor,
        case,
        Step.DECIDE_ADMISSION,
        on=decision_date,
        summary=summary,
        fields=["member", "decision_date", "decision_number", "decision_received_date"],
    )


@transaction.atomic
def hold_ceremony(
    *, actor: Any, case: AdmissionCase, ceremony_date: date, late_approval: str = ""
) -> AdmissionCase:
    """Record the admission ceremony: probation starts, the member record gets its date."""
    case = _lock(case)
    _require_step(actor, case, Step.HOLD_CEREMONY)
    _check_state(case, Step.HOLD_CEREMONY)
    _not_future(ceremony_date, "ceremony_date", "Ngày lễ kết nạp")
    refuse(
        rules.check_order(
            case.decision_received_date,
            ceremony_date,
            "ngày nhận quyết định kết nạp",
            "Ngày lễ kết nạp",
        )
    )
    _check_documents(case, Step.HOLD_CEREMONY)
    assert case.decision_received_date is not None and case.member is not None
    deadline = rules.ceremony_deadline(
        case.decision_received_date, pack_for(case.decision_received_date), work_calendar()
    )
    if ceremony_date > deadline and not late_approval.strip():
        refuse(
            [
                Refusal(
                    f"Lễ kết nạp phải tổ chức trong 30 ngày làm việc kể từ ngày nhận quyết định "
                    f"(hạn {format_date(deadline)}); tổ chức muộn hơn phải báo cáo và được cấp "
                    "ủy cấp trên trực tiếp đồng ý: ghi văn bản đồng ý.",
                    rules.SRC_CEREMONY,
                    "late_approval",
                )
            ]
        )
    member_services.update_member(
        actor=actor, member=case.member, data={"ceremony_date": ceremony_date}
    )
    case.ceremony_date = ceremony_date
    case.late_ceremony_approval = late_approval.strip()
    end = rules.probation_end(ceremony_date, pack_for(ceremony_date))
    return _move(
        actor,
        case,
        Step.HOLD_CEREMONY,
        on=ceremony_date,
        summary=f"Lễ kết nạp ngày {format_date(ceremony_date)}; dự bị đến {format_date(end)}",
        fields=["ceremony_date", "late_ceremony_approval"],
    )


PROBATION_STATES = (State.AWAITING_CEREMONY, State.PROBATION)


@transaction.atomic
def assign_helper(*, actor: Any, case: AdmissionCase, helper: Member) -> AdmissionCase:
    """Assign the official member who helps the probationary member."""
    case = _lock(case)
    require(actor, Action.MANAGE_ADMISSION, case.org)
    if case.state not in PROBATION_STATES:
        refuse([Refusal("Chỉ phân công giúp đỡ trong thời kỳ dự bị.", rules.SRC_PROBATION)])
    helper = Member.objects.get(pk=helper.pk)
    if helper.status not in (MemberStatus.OFFICIAL, MemberStatus.EXEMPTED):
        refuse(
            [Refusal(f"{helper} không phải đảng viên chính thức.", rules.SRC_PROBATION, "helper")]
        )
    if not helper.org_path.startswith(case.org.path) or helper.pk == case.member_id:
        raise ValidationError(
            {"helper": ["Người giúp đỡ phải là đảng viên chính thức của chi bộ."]}
        )
    before = audit.snapshot(case, ["helper"])
    case.helper = helper
    case.save(update_fields=["helper", "updated_at"])
    _event(actor, case, f"Phân công đảng viên giúp đỡ: {helper}")
    _audit(
        actor,
        "assign_helper",
        case,
        case.org_path,
        audit.diff(before, audit.snapshot(case, ["helper"])),
    )
    return case


@transaction.atomic
def add_probation_note(*, actor: Any, case: AdmissionCase, day: date, text: str) -> ProbationNote:
    """Add a dated note on the probationary member's progress."""
    case = _lock(case)
    require(actor, Action.MANAGE_ADMISSION, case.org)
    if case.state not in (State.PROBATION, State.RECOGNITION_COMMITTEE, State.ESCALATED):
        refuse([Refusal("Chỉ ghi nhận xét trong thời kỳ dự bị.", rules.SRC_PROBATION)])
    _not_future(day, "day", "Ngày ghi")
    refuse(rules.check_order(case.ceremony_date, day, "ngày lễ kết nạp", "Ngày ghi"))
    note = ProbationNote(
        case=case, date=day, text=text.strip(), author=actor if getattr(actor, "pk", None) else None
    )
    note.full_clean(exclude=["case", "author"])
    note.save()
    _event(actor, case, "Ghi nhận xét thời kỳ dự bị", on=day)
    _audit(actor, "add_probation_note", note, case.org_path, audit.diff({}, audit.snapshot(note)))
    return note


@transaction.atomic
def recognise(*, actor: Any, case: AdmissionCase, decision_date: date) -> AdmissionCase:
    """Recognise the member as official from the exact end of probation, however late."""
    case = _lock(case)
    _require_step(actor, case, Step.RECOGNISE)
    _check_state(case, Step.RECOGNISE)
    _not_future(decision_date, "decision_date", "Ngày quyết định")
    assert case.ceremony_date is not None and case.member is not None
    end = rules.probation_end(case.ceremony_date, pack_for(case.ceremony_date))
    refuse(
        rules.check_order(
            end, decision_date, "ngày hết 12 tháng dự bị", "Ngày quyết định công nhận"
        )
        + rules.check_order(
            case.recognition_committee_date,
            decision_date,
            "ngày nghị quyết đảng ủy",
            "Ngày quyết định công nhận",
        )
    )
    if case.state == State.AWAITING_RECOGNITION:
        _check_documents(case, Step.RECOGNISE)
    member_services.update_member(
        actor=actor,
        member=case.member,
        data={"status": MemberStatus.OFFICIAL, "official_date": end, "status_date": end},
    )
    case.official_date = end
    case.final_decision_date = decision_date
    return _move(
        actor,
        case,
        Step.RECOGNISE,
        on=decision_date,
        summary=f"Công nhận đảng viên chính thức từ ngày {format_date(end)} "
        f"(quyết định ngày {format_date(decision_date)})",
        fields=["official_date", "final_decision_date"],
    )


@transaction.atomic
def remove_from_list(
    *, actor: Any, case: AdmissionCase, decision_date: date, reason: str
) -> AdmissionCase:
    """Remove a probationary member who does not qualify from the list (not a penalty)."""
    case = _lock(case)
    _require_step(actor, case, Step.REMOVE)
    _check_state(case, Step.REMOVE)
    _not_future(decision_date, "decision_date", "Ngày quyết định")
    if not reason.strip():
        raise ValidationError({"reason": ["Ghi lý do xóa tên."]})
    assert case.member is not None
    refuse(
        rules.check_order(
            case.ceremony_date, decision_date, "ngày lễ kết nạp", "Ngày quyết định xóa tên"
        )
    )
    member_services.update_member(
        actor=actor,
        member=case.member,
        data={"status": MemberStatus.REMOVED, "status_date": decision_date},
    )
    case.final_decision_date = decision_date
    case.stop_reason = reason.strip()
    case.stopped_on = decision_date
    return _move(
        actor,
        case,
        Step.REMOVE,
        on=decision_date,
        summary=f"Xóa tên khỏi danh sách đảng viên: {reason.strip()} ({rules.SRC_REMOVAL})",
        fields=["final_decision_date", "stop_reason", "stopped_on"],
    )


@transaction.atomic
def stop_case(*, actor: Any, case: AdmissionCase, on: date, reason: str) -> AdmissionCase:
    """Stop a case before the admission decision (withdrawn, no longer qualifies…)."""
    case = _lock(case)
    _require_step(actor, case, Step.STOP)
    _check_state(case, Step.STOP)
    _not_future(on, "on", "Ngày dừng")
    if not reason.strip():
        raise ValidationError({"reason": ["Ghi lý do dừng xét."]})
    case.stop_reason = reason.strip()
    case.stopped_on = on
    return _move(
        actor,
        case,
        Step.STOP,
        on=on,
        summary=f"Dừng xét: {reason.strip()}",
        fields=["stop_reason", "stopped_on"],
    )


@transaction.atomic
def mark_notification_read(*, actor: Any, notification: Notification) -> None:
    """Mark one of the user's own reminders as read."""
    if notification.user_id != getattr(actor, "pk", None):
        raise ValidationError({"__all__": ["Không tìm thấy"]})
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    audit.record(
        actor=actor,
        action="admissions.mark_notification_read",
        obj=notification,
        org_path=notification.org_path,
        changes={"read": [False, True]},
    )
