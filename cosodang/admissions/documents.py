"""Generated .docx of the admission forms, in the Party layout (core/docx.PartyDocument).

Each form is filled from the case: the applicant's identity, the organisation, the votes and
the decisions on file. What the system cannot know (the applicant's own words, signatures) is
left as dotted lines to fill by hand.
"""

from __future__ import annotations

from datetime import date

from cosodang.core.docx import PartyDocument
from cosodang.core.vn import format_date

from . import rules
from .models import AdmissionCase, Vote

_VOTE_FOR_FORM = {
    "6-KNĐ": rules.VoteKind.CELL_ADMISSION,
    "8-KNĐ": rules.VoteKind.COMMITTEE_ADMISSION,
    "13-KNĐ": rules.VoteKind.CELL_RECOGNITION,
    "15-KNĐ": rules.VoteKind.COMMITTEE_RECOGNITION,
}
# Forms the system can fill from the case data.
GENERATED_CODES = (
    "1-KNĐ",
    "3-KNĐ",
    "5-KNĐ",
    "6-KNĐ",
    "8-KNĐ",
    "9-KNĐ",
    "10-KNĐ",
    "11-KNĐ",
    "13-KNĐ",
    "15-KNĐ",
    "16-KNĐ",
)


def _vote(case: AdmissionCase, code: str) -> Vote | None:
    kind = _VOTE_FOR_FORM.get(code)
    if kind is None:
        return None
    votes = [v for v in case.votes.all() if v.kind == kind]
    return votes[-1] if votes else None


def build_form(case: AdmissionCase, code: str, day: date) -> bytes:
    """Return the .docx of form `code` filled from `case`."""
    form = rules.FORMS[code]
    cand = case.candidate
    org = case.org
    superior = org.parent.name if org.parent_id else ""  # type: ignore[union-attr]
    doc = PartyDocument()
    doc.header(org_name=org.name, superior_name=superior, number=f"Mẫu {code}", day=day)
    doc.title(form.title)
    doc.heading("Người vào Đảng")
    doc.field("Họ và tên", cand.full_name)
    doc.field("Ngày sinh", format_date(cand.birth_date))
    doc.field("Giới tính", cand.get_sex_display())
    doc.field("Dân tộc, tôn giáo", f"{cand.ethnicity}, {cand.religion}")
    doc.field("Trình độ giáo dục phổ thông", cand.general_education)
    doc.field("Đơn vị công tác, học tập", cand.work_unit)
    doc.field("Nơi cư trú", cand.residence)
    doc.field("Chi bộ", org.name)
    if code == "3-KNĐ":
        doc.heading("Người giới thiệu")
        for intro in case.introducers.all():
            doc.field(
                intro.get_kind_display(),
                f"{intro.name}; cùng công tác {intro.months_together} tháng; giới thiệu ngày "
                f"{format_date(intro.letter_date)}",
            )
    if case.cert_number:
        doc.field(
            "Giấy chứng nhận nhận thức về Đảng",
            f"số {case.cert_number}, {case.cert_issuer}, ngày {format_date(case.cert_date)}",
        )
    vote = _vote(case, code)
    if vote is not None:
        doc.heading("Kết quả biểu quyết")
        doc.paragraph(
            f"Ngày họp {format_date(vote.meeting_date)}; số có quyền biểu quyết: {vote.eligible}; "
            f"tán thành: {vote.votes_for}; không tán thành: {vote.against}; không biểu quyết: "
            f"{vote.abstain}. Đề nghị: {vote.get_proposal_display().lower()}."
        )
    if code in ("9-KNĐ", "16-KNĐ"):
        doc.heading("Quyết định")
        if code == "9-KNĐ":
            doc.paragraph(
                f"Kết nạp {cand.full_name} vào Đảng Cộng sản Việt Nam. Tuổi đảng tính từ ngày "
                f"ký quyết định {format_date(case.decision_date)}; thời kỳ dự bị 12 tháng kể từ "
                "ngày chi bộ tổ chức lễ kết nạp."
            )
        else:
            doc.paragraph(
                f"Công nhận {cand.full_name} là đảng viên chính thức kể từ ngày "
                f"{format_date(case.official_date) or '……'}."
            )
    if code in ("10-KNĐ", "11-KNĐ"):
        doc.field("Ngày lễ kết nạp", format_date(case.ceremony_date))
        if case.helper_id:
            doc.field("Đảng viên giúp đỡ", case.helper.full_name)  # type: ignore[union-attr]
    doc.heading("Nội dung")
    doc.paragraph("…" * 60)
    signer = "T/M CHI BỘ" if code in ("5-KNĐ", "6-KNĐ", "13-KNĐ") else "T/M ĐẢNG ỦY"
    if code in ("1-KNĐ", "10-KNĐ"):
        doc.signatures(("NGƯỜI VIẾT", cand.full_name))
    elif code in ("3-KNĐ", "11-KNĐ"):
        doc.signatures(("NGƯỜI GIỚI THIỆU" if code == "3-KNĐ" else "ĐẢNG VIÊN GIÚP ĐỠ", ""))
    else:
        doc.signatures((signer, ""))
    return doc.to_bytes()
