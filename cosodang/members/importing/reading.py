"""Reading an uploaded member workbook: file-level checks, the member sheet, its header row.

A file that cannot be imported at all raises ImportFileError with one Vietnamese message.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.conf import settings
from python_calamine import CalamineWorkbook, SheetTypeEnum

from .. import importing_rules as R
from ..columns import HEADER_SEARCH_ROWS, Layout, LayoutError, find_layout

logger = logging.getLogger(__name__)

Progress = Callable[[int], None]  # called with the number of rows checked so far
MAX_UNPACKED_BYTES = 1 << 30  # refuse zip bombs before the reader inflates them
NOT_XLSX = (
    "Tệp không phải bảng tính Excel .xlsx (hoặc đã bị đặt mật khẩu). Hãy mở tệp bằng Excel "
    "và lưu lại dưới dạng «Excel Workbook (.xlsx)»."
)


def background_threshold() -> int:
    """Return the row count above which a batch runs as a background task."""
    return int(getattr(settings, "COSODANG_IMPORT_BACKGROUND_ROWS", 2000))


def max_bytes() -> int:
    """Return the largest accepted upload, in bytes."""
    return int(getattr(settings, "COSODANG_IMPORT_MAX_BYTES", 50 * 1024 * 1024))


def max_rows() -> int:
    """Return the largest accepted number of data rows in one file."""
    return int(getattr(settings, "COSODANG_IMPORT_MAX_ROWS", 200_000))


class ImportFileError(Exception):
    """The file cannot be imported at all; the message says why, in Vietnamese."""


@dataclass
class Sheet:
    """The member sheet of a workbook, with its header row and column layout."""

    data: Any  # python_calamine.CalamineSheet
    layout: Layout
    header_cells: list[Any]

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """Yield (sheet row number, cells) for every non-blank row under the header."""
        start = self.layout.header_row
        # calamine yields rows from the sheet's first row, so the index is the row number.
        for number, cells in enumerate(self.data.iter_rows(), 1):
            if number <= start or (not any(cells) and R.row_is_blank(cells)):
                continue
            yield number, cells


def open_sheet(data: bytes, *, org_required: bool) -> Sheet:
    """Open an uploaded .xlsx and find its member sheet; raise ImportFileError if unusable."""
    if not data:
        raise ImportFileError("Tệp rỗng (0 byte): hãy chọn lại tệp Excel danh sách đảng viên.")
    if len(data) > max_bytes():
        raise ImportFileError(
            f"Tệp quá lớn ({len(data) // 1_048_576} MB); giới hạn là "
            f"{max_bytes() // 1_048_576} MB. Hãy chia thành nhiều tệp."
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise ImportFileError(NOT_XLSX) from None
    if "xl/workbook.xml" not in names:
        raise ImportFileError(NOT_XLSX)
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError("Tệp giải nén ra quá lớn; hãy chia thành nhiều tệp.")
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = [
            book.get_sheet_by_name(meta.name)
            for meta in book.sheets_metadata
            if meta.typ == SheetTypeEnum.WorkSheet
        ]
    except Exception:  # calamine raises several error types for damaged files
        logger.info("unreadable workbook", exc_info=True)
        raise ImportFileError(
            "Không đọc được tệp Excel: tệp bị hỏng. Hãy mở bằng Excel, lưu lại rồi tải lên."
        ) from None
    filled = [s for s in sheets if s.start is not None]
    if not filled:
        raise ImportFileError("Tệp không có dữ liệu: trang tính trống.")
    if len(filled) > 1:
        names_text = ", ".join(f"«{s.name}»" for s in filled)
        raise ImportFileError(
            f"Tệp có {len(filled)} trang tính chứa dữ liệu ({names_text}). Hãy để danh sách "
            "đảng viên trong một trang tính duy nhất và xóa các trang còn lại."
        )
    first = list(islice(filled[0].iter_rows(), HEADER_SEARCH_ROWS))
    try:
        layout = find_layout(first, org_required=org_required)
    except LayoutError as exc:
        raise ImportFileError(str(exc)) from None
    return Sheet(filled[0], layout, list(first[layout.header_row - 1]))
