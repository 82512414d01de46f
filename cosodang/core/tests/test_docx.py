"""Tests of the Party-layout Word document builder."""

from __future__ import annotations

import io
from datetime import date

from docx import Document

from cosodang.core.docx import PartyDocument, date_line


def _text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)


def test_date_line_pads_day_and_month() -> None:
    assert date_line("Hà Nội", date(2026, 1, 5)) == "Hà Nội, ngày 05 tháng 01 năm 2026"


def test_date_line_leaves_blanks_for_an_unknown_day() -> None:
    assert date_line("Hà Nội", None) == "Hà Nội, ngày …… tháng …… năm ……"


def test_document_holds_header_title_table_and_signatures_in_vietnamese() -> None:
    doc = PartyDocument()
    doc.header(
        org_name="Chi bộ Đội 1",
        superior_name="Đảng bộ Công an tỉnh Nghệ An",
        place="Vinh",
        day=date(2026, 3, 2),
    )
    doc.title("Bản kiểm điểm", "của đảng viên")
    doc.field("Họ và tên", "Nguyễn Thị Hà")
    doc.field("Chức vụ", "")
    doc.table(["TT", "Họ và tên", "Xếp loại"], [[1, "Trần Văn Đức", "HTTNV"]])
    doc.signatures(("Người kiểm điểm", "Nguyễn Thị Hà"))
    text = _text(doc.to_bytes())
    for expected in (
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "CHI BỘ ĐỘI 1",
        "Vinh, ngày 02 tháng 03 năm 2026",
        "BẢN KIỂM ĐIỂM",
        "Họ và tên: Nguyễn Thị Hà",
        "Chức vụ: ………",
        "Trần Văn Đức",
        "NGƯỜI KIỂM ĐIỂM",
    ):
        assert expected in text


def test_body_font_is_times_new_roman_14() -> None:
    doc = Document(io.BytesIO(PartyDocument().to_bytes()))
    font = doc.styles["Normal"].font
    assert (font.name, font.size.pt) == ("Times New Roman", 14)
