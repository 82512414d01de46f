"""Word documents in the layout of Party documents (python-docx).

Party committees file .docx in a fixed layout (Hướng dẫn 36-HD/VPTW on the format of Party
documents): Times New Roman 13-14 pt on A4; a two-column header with the issuing
organisation (its superior above it, a star below) on the left and "ĐẢNG CỘNG SẢN VIỆT NAM"
with the place and date on the right; the title in bold capitals; signature blocks at the end.
Apps build their forms from these pieces so every document looks the same.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

FONT = "Times New Roman"
BODY_PT = 14
SMALL_PT = 13
DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def date_line(place: str, day: date | None) -> str:
    """Return "Hà Nội, ngày 05 tháng 01 năm 2026" (dotted blanks when the day is unknown)."""
    if day is None:
        return f"{place}, ngày …… tháng …… năm ……"
    return f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


class PartyDocument:
    """A Word document with the Party layout; add pieces, then call `to_bytes()`."""

    def __init__(self, *, landscape: bool = False) -> None:
        self.doc = Document()
        style = self.doc.styles["Normal"]
        style.font.name = FONT
        style.font.size = Pt(BODY_PT)
        # East-Asian font slot too, or Word falls back to another font for Vietnamese.
        style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
        style.paragraph_format.space_after = Pt(3)
        section = self.doc.sections[0]
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        if landscape:
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_width, section.page_height = section.page_height, section.page_width
        section.top_margin = section.bottom_margin = Cm(2)
        section.left_margin, section.right_margin = Cm(3), Cm(1.5)

    # --- pieces --------------------------------------------------------------------------

    def header(
        self,
        *,
        org_name: str,
        superior_name: str = "",
        number: str = "",
        place: str = "",
        day: date | None = None,
    ) -> None:
        """Add the two-column header: issuing organisation left, Party name and date right."""
        table = self.doc.add_table(rows=1, cols=2)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        left, right = table.rows[0].cells
        lines = [(superior_name.upper(), False)] if superior_name else []
        lines += [(org_name.upper(), True), ("*", False)]
        if number:
            lines.append((number, False))
        self._cell_lines(left, lines)
        right_lines = [("ĐẢNG CỘNG SẢN VIỆT NAM", True)]
        if place or day:
            right_lines.append((date_line(place or "……", day), False))
        self._cell_lines(right, right_lines, italic_last=bool(place or day))
        self.doc.add_paragraph()

    def title(self, text: str, subtitle: str = "") -> None:
        """Add the document title in bold capitals, centred, with an optional subtitle."""
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(text.upper())
        run.bold = True
        run.font.size = Pt(BODY_PT + 1)
        if subtitle:
            sub = self.doc.add_paragraph()
            sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
            sub.add_run(subtitle).bold = True

    def heading(self, text: str) -> Paragraph:
        """Add a bold section heading."""
        p = self.doc.add_paragraph()
        p.add_run(text).bold = True
        return p

    def paragraph(self, text: str = "", *, bold: bool = False, italic: bool = False) -> Paragraph:
        """Add a justified body paragraph (newlines in `text` become line breaks)."""
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        for i, line in enumerate(text.split("\n")):
            run = p.add_run(line)
            run.bold, run.italic = bold, italic
            if i < text.count("\n"):
                run.add_break()
        return p

    def field(self, label: str, value: str) -> Paragraph:
        """Add "label: value", the value filled or a dotted line when empty."""
        p = self.doc.add_paragraph()
        p.add_run(f"{label}: ")
        p.add_run(value or "…" * 20)
        return p

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[object]],
        *,
        widths_cm: Sequence[float] | None = None,
        font_pt: int = SMALL_PT,
    ) -> Table:
        """Add a bordered table with a bold header row; cells are written as text."""
        table = self.doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, header, strict=True):
            self._cell_text(cell, text, bold=True, font_pt=font_pt, center=True)
        for row in rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, row, strict=True):
                self._cell_text(cell, "" if value is None else str(value), font_pt=font_pt)
        if widths_cm:
            for row in table.rows:
                for cell, width in zip(row.cells, widths_cm, strict=True):
                    cell.width = Cm(width)
        return table

    def signatures(self, *blocks: tuple[str, str]) -> None:
        """Add signature blocks side by side: (role in capitals, name under the blank)."""
        self.doc.add_paragraph()
        table = self.doc.add_table(rows=1, cols=len(blocks))
        for cell, (role, name) in zip(table.rows[0].cells, blocks, strict=True):
            self._cell_lines(
                cell, [(role.upper(), True), ("(Ký, ghi rõ họ tên)", False), ("", False)]
            )
            for _ in range(2):
                cell.add_paragraph()
            self._cell_lines(cell, [(name, True)], clear=False)

    def to_bytes(self) -> bytes:
        """Return the document as .docx bytes."""
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()

    # --- internals -----------------------------------------------------------------------

    @staticmethod
    def _cell_text(
        cell: _Cell, text: str, *, bold: bool = False, font_pt: int = SMALL_PT, center: bool = False
    ) -> None:
        p = cell.paragraphs[0]
        if center:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(text)
        run.bold = bold
        run.font.size = Pt(font_pt)

    @staticmethod
    def _cell_lines(
        cell: _Cell,
        lines: Sequence[tuple[str, bool]],
        *,
        italic_last: bool = False,
        clear: bool = True,
    ) -> None:
        first = clear
        for i, (text, bold) in enumerate(lines):
            p = cell.paragraphs[0] if first else cell.add_paragraph()
            first = False
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = p.add_run(text)
            run.bold = bold
            run.font.size = Pt(SMALL_PT)
            if italic_last and i == len(lines) - 1:
                run.italic = True
