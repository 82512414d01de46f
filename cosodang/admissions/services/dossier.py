"""Opening a case and building its dossier: certificate, introducers, documents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from cosodang.core import audit
from cosodang.core.access import Action, require
from cosodang.core.errors import ValidationError
from cosodang.core.vn import format_date
from cosodang.members.models import Member

from .. import rules
from ..config import pack_for
from ..documents import build_form
from ..models import (
    AdmissionCase,
    Candidate,
    Document,
    Introducer,
)
from ..rules import Refusal, State
from ._common import (
    DOCX,
    UPLOAD_EXTENSIONS,
    UPLOAD_MAX_BYTES,
    _audit,
    _event,
    _lock,
    _not_future,
    refuse,
)

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
    from ..documents import GENERATED_CODES

    case = _lock(case)
    require(actor, Action.MANAGE_ADMISSION, case.org)
    if code not in GENERATED_CODES:
        raise ValidationError({"code": ["Mẫu này chưa tạo tự động được; hãy tải tệp lên."]})
    if not case.is_open and code != "16-KNĐ":
        refuse([Refusal("Hồ sơ đã kết thúc.", rules.SRC_STATE)])
    content = ContentFile(build_form(case, code, doc_date))
    filename = f"{code}-{case.pk}-{doc_date:%Y%m%d}{DOCX}"
    return _store_document(actor, case, code, doc_date, content, filename, generated=True)
