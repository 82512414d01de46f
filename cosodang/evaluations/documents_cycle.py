"""Word documents of the review cycle: the self-review (bản kiểm điểm) in its form's layout.

The sections follow rules.md §2.1 (the exact field list of Mẫu 2A/2B/2C was not retrieved, so
the document follows the usual sections: ideology, ethics and lifestyle, working style,
discipline, task results, then the 27 manifestations, remedies, self-score and proposed level).
"""

from __future__ import annotations

from cosodang.core.docx import PartyDocument
from cosodang.evaluations import rules_cycle as rc
from cosodang.evaluations.models import SelfReview
from cosodang.evaluations.selectors import cycle as sel
from cosodang.evaluations.selectors.packs import rule_pack

FORM_TITLES = {
    "2A": "Mẫu 2A — Đảng viên không giữ chức vụ lãnh đạo, quản lý",
    "2B": "Mẫu 2B — Đảng viên giữ chức vụ lãnh đạo, quản lý",
    "2C": "Mẫu 2C — Đảng viên không làm việc trong hệ thống chính trị",
}


def self_review_docx(review: SelfReview) -> bytes:
    """Return the self-review as .docx bytes, in the Party document layout."""
    period, member = review.period, review.member
    doc = PartyDocument()
    doc.header(org_name=member.org.name, superior_name=period.org.name, day=None, place="……")
    doc.paragraph(FORM_TITLES.get(review.form, review.form), italic=True)
    doc.title(
        "Bản kiểm điểm cá nhân",
        f"Kiểm điểm, đánh giá, xếp loại chất lượng {period.label.lower()}",
    )
    doc.field("Họ và tên", member.full_name)
    doc.field("Ngày sinh", member.birth_date.strftime("%d/%m/%Y"))
    doc.field("Chức vụ", member.police_position)
    doc.field("Đơn vị công tác", member.work_unit)
    doc.field("Chi bộ", member.org.name)

    doc.heading("I. ƯU ĐIỂM, KẾT QUẢ ĐẠT ĐƯỢC")
    sections = [
        ("1. Về tư tưởng chính trị", review.ideology),
        ("2. Về phẩm chất đạo đức, lối sống", review.ethics),
        ("3. Về tác phong, lề lối làm việc", review.working_style),
        ("4. Về ý thức tổ chức kỷ luật", review.discipline),
        ("5. Về kết quả thực hiện chức trách, nhiệm vụ được giao", review.task_results),
    ]
    if review.form == "2B":
        sections.append(("6. Về trách nhiệm nêu gương", review.example_duty))
    for title, text in sections:
        doc.heading(title)
        doc.paragraph(text or "…")
    doc.table(
        ["Nhiệm vụ được giao", "Đúng hạn", "Vượt yêu cầu", "Chậm tiến độ"],
        [
            [
                review.tasks_total,
                review.tasks_on_time,
                review.tasks_above_requirement,
                review.tasks_late,
            ]
        ],
    )
    if review.evidence:
        doc.heading("Sản phẩm cụ thể, minh chứng")
        doc.paragraph(review.evidence)

    doc.heading("II. HẠN CHẾ, KHUYẾT ĐIỂM VÀ NGUYÊN NHÂN")
    doc.paragraph(review.shortcomings or "…")
    data = rc.manifestations()
    flags = review.manifestations or {}
    doc.heading(
        "Tự liên hệ 27 biểu hiện suy thoái về tư tưởng chính trị, đạo đức, lối sống, "
        '"tự diễn biến", "tự chuyển hóa" (NQ 04-NQ/TW)'
    )
    doc.table(
        ["Số", "Biểu hiện", "Có", "Ghi chú"],
        [
            [
                m.id,
                m.text,
                "x" if flags.get(m.id, {}).get("flag") else "",
                flags.get(m.id, {}).get("note", ""),
            ]
            for m in data.items
        ],
        widths_cm=[1.2, 10.5, 1.2, 3.6],
        font_pt=11,
    )

    doc.heading("III. KẾT QUẢ KHẮC PHỤC HẠN CHẾ, KHUYẾT ĐIỂM KỲ TRƯỚC")
    statuses = rc.form_config().remedy_statuses
    remedies = review.remedies or []
    if remedies:
        doc.table(
            ["Hạn chế, khuyết điểm", "Tình trạng"],
            [[r["text"], statuses.get(r.get("status", ""), "")] for r in remedies],
        )
    else:
        doc.paragraph("Không có.")

    doc.heading("IV. PHƯƠNG HƯỚNG, BIỆN PHÁP KHẮC PHỤC")
    doc.paragraph(review.remedy_plan or "…")

    doc.heading("V. TỰ ĐÁNH GIÁ, XẾP LOẠI")
    specs = {s.code: s for s in sel.criterion_specs(period, review.form)}
    scores = review.criterion_scores or {}
    if specs:
        doc.table(
            ["Tiêu chí", "Điểm tối đa", "Tự chấm"],
            [
                [s.title, s.points if s.points is not None else "", scores.get(code, "")]
                for code, s in specs.items()
            ],
        )
    if review.self_score is not None:
        doc.field("Tổng điểm tự chấm", str(review.self_score))
    level = review.proposed_level
    doc.field("Tự xếp loại chất lượng", rule_pack(period.pack).level_name(level) if level else "")
    doc.signatures(("Người tự kiểm điểm", member.full_name))
    return doc.to_bytes()
