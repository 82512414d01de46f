"""Tests for the streaming .xlsx writer: every file opens in openpyxl and calamine alike."""

from __future__ import annotations

import io
import weakref
import zipfile
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from openpyxl.utils.datetime import to_excel
from python_calamine import CalamineWorkbook

from cosodang.core import xlsx

COLUMNS = [
    xlsx.Column("Họ và tên", 26),
    xlsx.Column("Số CCCD", 15, text=True),
    xlsx.Column("Ngày sinh", 12),
]


def write(rows: Sequence[Sequence[Any]], columns: Sequence[xlsx.Column] = COLUMNS) -> bytes:
    out = io.BytesIO()
    xlsx.write_sheet(out, title="Đảng viên", columns=columns, rows=rows)
    return out.getvalue()


def _plain(value: Any) -> Any:
    # openpyxl reads a date cell as a datetime at midnight, calamine as a date.
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()
    return value


def read_openpyxl(data: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [[_plain(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def read_calamine(data: bytes) -> list[list[Any]]:
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    return [[None if v == "" else _plain(v) for v in row] for row in sheet.to_python()]


def read_both(data: bytes) -> list[list[Any]]:
    """Return the sheet's values, asserting that openpyxl and calamine read the same."""
    by_openpyxl, by_calamine = read_openpyxl(data), read_calamine(data)
    assert by_openpyxl == by_calamine
    return by_openpyxl


def one_cell(value: Any) -> Any:
    return read_both(write([[value]], [xlsx.Column("v")]))[1][0]


# --- the workbook -----------------------------------------------------------------------------


def test_the_file_holds_only_well_formed_minimal_parts() -> None:
    with zipfile.ZipFile(io.BytesIO(write([["Nguyễn Văn An", "001", date(1990, 1, 2)]]))) as z:
        assert sorted(z.namelist()) == [
            "[Content_Types].xml",
            "_rels/.rels",
            "xl/_rels/workbook.xml.rels",
            "xl/styles.xml",
            "xl/workbook.xml",
            "xl/worksheets/sheet1.xml",
        ]
        for name in z.namelist():
            ElementTree.fromstring(z.read(name))


def test_the_sheet_has_its_title_a_bold_frozen_header_and_column_widths() -> None:
    book = load_workbook(io.BytesIO(write([["Nguyễn Văn An", "001", None]])))
    sheet = book.worksheets[0]
    assert book.sheetnames == ["Đảng viên"]
    assert [c.value for c in sheet[1]] == ["Họ và tên", "Số CCCD", "Ngày sinh"]
    assert all(c.font.b for c in sheet[1])
    assert not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2"
    assert [sheet.column_dimensions[x].width for x in "ABC"] == [26, 15, 12]


def test_the_row_count_excludes_the_header() -> None:
    assert xlsx.write_sheet(io.BytesIO(), title="x", columns=COLUMNS, rows=[["a"], ["b"]]) == 2


def test_a_sheet_with_no_rows_holds_the_header_only() -> None:
    assert read_both(write([])) == [["Họ và tên", "Số CCCD", "Ngày sinh"]]


# --- text -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["a < b", "Tom & Jerry", "x > y", 'say "hi"', "it's", "<t>&amp;</t>", "]]>"],
    ids=["lt", "amp", "gt", "double-quote", "apostrophe", "markup", "cdata-end"],
)
def test_xml_special_characters_come_back_as_written(text: str) -> None:
    assert one_cell(text) == text


def test_vietnamese_diacritics_come_back_unchanged_in_both_unicode_forms() -> None:
    composed = "Đặng Thị Ngọc Ánh, Ê Đê, Đắk Lắk, Thừa Thiên Huế"
    decomposed = "Nguye\u0302\u0303n"  # NFD, as some keyboards type it
    assert one_cell(composed) == composed
    assert one_cell(decomposed) == decomposed


def test_control_characters_that_xml_cannot_hold_are_dropped() -> None:
    assert one_cell("a\x00b\x01c\x08d\x0be\x0cf\x1fg\ufffeh\ud800i") == "abcdefghi"


def test_tab_line_feed_and_carriage_return_are_kept() -> None:
    assert one_cell("a\tb\nc\r\nd\re") == "a\tb\nc\r\nd\re"


def test_leading_and_trailing_spaces_are_kept() -> None:
    assert one_cell("  hai dấu cách ") == "  hai dấu cách "


def test_text_that_looks_like_an_ooxml_escape_is_read_by_calamine_as_typed() -> None:
    # openpyxl does not decode _xHHHH_ at all (it shows _x005F_x0041_); Excel and calamine, the
    # importer's reader, do, so the underscore must be escaped for them.
    data = write([["_x0041_ và x_x00e9_"]], [xlsx.Column("v")])
    assert read_calamine(data)[1] == ["_x0041_ và x_x00e9_"]


def test_text_cells_keep_leading_zeros_and_carry_the_text_format() -> None:
    sheet = load_workbook(io.BytesIO(write([["An", "000192001234", None]]))).worksheets[0]
    cell = sheet["B2"]
    assert (cell.value, cell.data_type, cell.number_format) == ("000192001234", "s", "@")
    assert sheet["A2"].number_format == "General"
    assert read_calamine(write([["An", "000192001234", None]]))[1][1] == "000192001234"


def test_text_longer_than_excel_allows_is_refused() -> None:
    with pytest.raises(ValueError, match="32767"):
        write([["x" * (xlsx.MAX_TEXT + 1)]])


# --- numbers, booleans, dates -----------------------------------------------------------------


def test_numbers_and_booleans_are_typed_cells() -> None:
    assert read_both(write([[7, 2.5, True]]))[1] == [7, 2.5, True]


def test_dates_are_serial_numbers_shown_day_month_year() -> None:
    data = write([["An", None, date(1992, 12, 31)]])
    cell = load_workbook(io.BytesIO(data)).worksheets[0]["C2"]
    assert (cell.data_type, cell.number_format) == ("d", "DD/MM/YYYY")
    assert read_both(data)[1][2] == date(1992, 12, 31)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert '<c r="C2" s="2"><v>33969</v></c>' in z.read("xl/worksheets/sheet1.xml").decode()


@pytest.mark.parametrize(
    "value",
    [
        date(1900, 1, 1),
        date(1900, 2, 28),
        date(1900, 3, 1),
        date(2024, 2, 29),
        datetime(2020, 1, 2, 13, 30, 15),
        datetime(1999, 12, 31, 23, 59, 59, 500000),
    ],
)
def test_date_serials_match_openpyxl_including_excels_1900_leap_year(value: date) -> None:
    assert xlsx.excel_serial(value) == to_excel(value)


def test_a_datetime_comes_back_with_its_time() -> None:
    assert one_cell(datetime(2020, 1, 2, 13, 30)) == datetime(2020, 1, 2, 13, 30)


def test_a_datetime_with_a_time_zone_is_refused() -> None:
    with pytest.raises(TypeError, match="time zones"):
        write([["An", None, datetime(2020, 1, 2, tzinfo=UTC)]])


@pytest.mark.parametrize("value", [object(), b"bytes", float("nan")])
def test_values_a_spreadsheet_cannot_hold_are_refused(value: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        write([[value]])


# --- empty cells and row shapes ---------------------------------------------------------------


def test_none_and_empty_strings_leave_the_cell_empty() -> None:
    data = write([["An", None, None], ["", "", date(2000, 1, 1)], [None, "001", ""]])
    assert read_both(data)[1:] == [
        ["An", None, None],
        [None, None, date(2000, 1, 1)],
        [None, "001", None],
    ]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert 'r="B2"' not in xml and 'r="A3"' not in xml


def test_rows_may_be_shorter_than_the_columns_but_not_longer() -> None:
    assert read_both(write([["An"]]))[1] == ["An", None, None]
    with pytest.raises(ValueError, match="more cells"):
        write([["An", "001", date(2000, 1, 1), "extra"]])


def test_columns_past_z_get_two_letter_references() -> None:
    assert [xlsx.column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702, 16383)] == [
        "A",
        "Z",
        "AA",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
        "XFD",
    ]
    columns = [xlsx.Column(f"c{i}") for i in range(30)]
    assert read_both(write([list(range(30))], columns))[1] == list(range(30))


@pytest.mark.parametrize("title", ["", "a" * 32, "a/b", "a[1]", "a:b", "a?", "a*", "a\\b"])
def test_a_sheet_name_excel_refuses_is_refused(title: str) -> None:
    with pytest.raises(ValueError, match="sheet name"):
        xlsx.write_sheet(io.BytesIO(), title=title, columns=COLUMNS, rows=[])


# --- streaming --------------------------------------------------------------------------------


class Row(list[Any]):
    """A list that can be weakly referenced, to see whether the writer keeps rows."""


def test_many_rows_are_streamed_without_being_held_in_memory() -> None:
    total = 30_000
    out = io.BytesIO()
    alive: list[weakref.ref[Row]] = []
    written_while_rows_remained: list[int] = []

    def rows() -> Iterator[Row]:
        for n in range(total):
            if n % 5000 == 0:
                written_while_rows_remained.append(out.tell())
            row = Row([f"Nguyễn Văn {n}", f"{n:012d}", date(1990, 1, 1)])
            alive.append(weakref.ref(row))
            yield row

    assert xlsx.write_sheet(out, title="x", columns=COLUMNS, rows=rows()) == total
    assert sum(ref() is not None for ref in alive) == 0
    # Compressed output reached `out` long before the last row was produced.
    assert written_while_rows_remained[-1] > written_while_rows_remained[1] > 0
    values = read_calamine(out.getvalue())
    assert len(values) == total + 1
    assert values[-1] == [f"Nguyễn Văn {total - 1}", f"{total - 1:012d}", date(1990, 1, 1)]
