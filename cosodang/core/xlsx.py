"""A streaming .xlsx writer: one sheet, written row by row into the zip, in flat memory.

openpyxl's write-only mode spends about 13 µs per cell building XML in Python; this writer
formats each row as one string instead (under 1 µs per cell) and compresses it straight into
the archive, so neither the rows nor the sheet XML are ever held whole. It writes the minimal
SpreadsheetML parts that Excel, LibreOffice, openpyxl and calamine open: strings as inline
strings, numbers, booleans, and dates as serial numbers shown dd/mm/yyyy. Bold header row
(frozen), column widths, and an optional text format ("@") per column are the only styles.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

DATE_FORMAT = "DD/MM/YYYY"
MAX_ROWS = 1_048_576  # Excel's sheet limit, header row included
MAX_COLUMNS = 16_384
MAX_TEXT = 32_767  # characters Excel keeps in one cell
FLUSH_ROWS = 500  # rows formatted before one write into the compressor

# Style indexes in cellXfs (see _STYLES): default, bold header, date, text "@".
_BOLD, _DATE, _TEXT = 1, 2, 3
_EPOCH = datetime(1899, 12, 30)  # Excel's 1900 date system, day 0
_LEAP_BUG_END = 60  # Excel counts a 29/02/1900 that never was; serials 1-60 are shifted

# XML 1.0 cannot hold the C0 control characters other than tab, line feed and carriage
# return, nor surrogates, U+FFFE and U+FFFF: they are dropped (openpyxl refuses them, and
# OOXML's _xHHHH_ form is decoded by Excel and calamine but not by openpyxl). A carriage
# return is written &#13; because XML parsers turn a literal one into a line feed. Text that
# itself looks like _xHHHH_ gets its underscore written _x005F_, so Excel and calamine show it
# as typed instead of decoding it.
_UNSAFE = re.compile(
    r"[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)"
)
_REPLACEMENTS = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;", "_": "_x005F_"}
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _replace(match: re.Match[str]) -> str:
    return _REPLACEMENTS.get(match.group(0), "")


def escape_text(text: str) -> str:
    """Return `text` as SpreadsheetML cell text: XML-escaped, control characters dropped."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_replace, text)


def _escape_attribute(text: str) -> str:
    return escape_text(text).replace('"', "&quot;")


def column_letter(index: int) -> str:
    """Return the column letters of a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def excel_serial(value: date) -> float | int:
    """Return the Excel 1900-system serial of a date (int) or naive datetime (float)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise TypeError("Excel has no time zones: convert the datetime to a naive one")
        moment = value
    else:
        moment = datetime(value.year, value.month, value.day)
    delta = moment - _EPOCH
    days = delta.days
    if 0 < days <= _LEAP_BUG_END:
        days -= 1
    if not isinstance(value, datetime):
        return days
    return days + (delta.seconds + delta.microseconds / 1_000_000) / 86_400


@dataclass(frozen=True)
class Column:
    """A sheet column: its header, width in characters, and whether it is formatted as text."""

    header: str
    width: float | None = None
    text: bool = False  # number format "@": what a user types in later stays text (leading 0s)


def _inline(ref: str, value: str, style: int) -> str:
    """Return the <c> element of a non-empty string at cell `ref` (style 0: none)."""
    if len(value) > MAX_TEXT:
        raise ValueError(f"cell {ref}: text longer than {MAX_TEXT} characters")
    # Excel trims leading and trailing spaces of a cell's text unless told to keep them.
    space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
    styled = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{styled} t="inlineStr"><is><t{space}>{escape_text(value)}</t></is></c>'


def _cell(ref: str, value: Any, text_style: bool) -> str:
    """Return the <c> element of one non-empty value at cell `ref`."""
    if isinstance(value, str):
        return _inline(ref, value, _TEXT if text_style else 0)
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"cell {ref}: {value} cannot be stored in a spreadsheet")
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{_DATE}"><v>{excel_serial(value)!r}</v></c>'
    raise TypeError(f"cell {ref}: cannot write a {type(value).__name__}")


def write_sheet(
    out: IO[bytes],
    *,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    compresslevel: int = 6,
) -> int:
    """Write an .xlsx of one sheet (bold frozen header, then `rows`) to `out`; return the row count.

    `rows` is consumed lazily, one row at a time. None and "" leave a cell empty; rows may be
    shorter than `columns`, never longer.
    """
    if not title or len(title) > 31 or _SHEET_NAME_FORBIDDEN.search(title):
        raise ValueError(f"invalid sheet name {title!r}: 1-31 characters, none of []:*?/\\")
    if len(columns) > MAX_COLUMNS:
        raise ValueError(f"more than {MAX_COLUMNS} columns")
    letters = [column_letter(i) for i in range(len(columns))]
    text_styles = [c.text for c in columns]
    count = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as book:
        for name, content in _fixed_parts(title):
            book.writestr(name, content)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_sheet_head(columns).encode())
            header = "".join(
                _inline(f"{letter}1", c.header, _BOLD)
                for letter, c in zip(letters, columns, strict=True)
                if c.header
            )
            pending = [f'<row r="1">{header}</row>']
            number = 1
            for row in rows:
                number += 1
                if number > MAX_ROWS:
                    raise ValueError(f"more than {MAX_ROWS - 1} rows: Excel cannot open the file")
                if len(row) > len(columns):
                    raise ValueError(f"row {number} has more cells than there are columns")
                line = "".join(
                    [
                        _cell(f"{letters[i]}{number}", value, text_styles[i])
                        for i, value in enumerate(row)
                        if value is not None and value != ""
                    ]
                )
                pending.append(f'<row r="{number}">{line}</row>')
                if len(pending) >= FLUSH_ROWS:
                    sheet.write("".join(pending).encode())
                    pending.clear()
            pending.append("</sheetData></worksheet>")
            sheet.write("".join(pending).encode())
            count = number - 1
    return count


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_CONTENT_TYPES = (
    f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    f'{_HEAD}<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    f'{_HEAD}<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# numFmt 49 is Excel's built-in "@" (text); 164 is the first id free for a custom format.
_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
    f'<numFmts count="1"><numFmt numFmtId="164" formatCode="{DATE_FORMAT}"/></numFmts>'
    '<fonts count="2">'
    '<font><sz val="11"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/><scheme val="minor"/></font>'
    "</fonts>"
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _fixed_parts(title: str) -> list[tuple[str, str]]:
    workbook = (
        f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
        f'<sheets><sheet name="{_escape_attribute(title)}" sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    )
    return [
        ("[Content_Types].xml", _CONTENT_TYPES),
        ("_rels/.rels", _ROOT_RELS),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
        ("xl/styles.xml", _STYLES),
    ]


def _sheet_head(columns: Sequence[Column]) -> str:
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{c.width:g}" customWidth="1"/>'
        for i, c in enumerate(columns, 1)
        if c.width is not None
    )
    return (
        f'{_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        "</sheetView></sheetViews>"
        '<sheetFormatPr defaultRowHeight="15"/>'
        + (f"<cols>{cols}</cols>" if cols else "")
        + "<sheetData>"
    )
