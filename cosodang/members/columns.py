"""The one column schema of member spreadsheets, shared by import and export.

Each column has its Vietnamese header (plus accepted variants), the Member field it carries
and how a cell is parsed (import) and written (export). The order follows the CSDL 3.0 field
set (anchors.md §B1). Pure Python: no ORM, no request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from cosodang.core.vn import fold, format_date, is_twelve_digits, parse_date

from .choices import Education, Rank, Sex, TheoryLevel
from .rules import STATUS_LABELS

# Pseudo-fields: the organisation code (imported) and name (exported for reading only).
ORG_CODE = "org_code"
ORG_NAME = "org_name"
# Report columns added to a rejected-rows file; ignored if that file is imported again.
ROW_HEADER = "Dòng trong tệp gốc"
REASON_HEADER = "Lý do"
HEADER_SEARCH_ROWS = 10  # the header row may sit under a title block


class Kind(StrEnum):
    """How a column's cells are read and written."""

    TEXT = "text"
    ID12 = "id12"  # CCCD, Party card number: exactly 12 digits, kept as text
    OLD_ID = "old_id"  # CMND (9 digits) or old CCCD (12 digits)
    DATE = "date"
    CHOICE = "choice"
    BOOL = "bool"
    RATIO = "ratio"  # "12/12" (general education), which Excel likes to turn into a date


class CellError(ValueError):
    """A cell that cannot be read, with the Vietnamese reason."""


@dataclass(frozen=True)
class Column:
    """One spreadsheet column: header, field, kind, and whether the header must be present."""

    header: str
    field: str
    kind: Kind = Kind.TEXT
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[tuple[str, str], ...] = ()  # (stored value, label)
    importable: bool = True
    width: int = 16
    labels: dict[str, str] = dataclass_field(init=False, repr=False, compare=False)
    lookup: dict[str, str] = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", dict(self.choices))
        # A choice cell may hold the label (any case, with or without diacritics) or the code.
        lookup = {value: value for value, _ in self.choices if value}
        lookup.update({fold(label): value for value, label in self.choices})
        object.__setattr__(self, "lookup", lookup)


def _labels(pairs: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple((str(v), str(label)) for v, label in pairs)


STATUS_PAIRS = tuple((s.value, label) for s, label in STATUS_LABELS.items())
YES, NO = "Có", "Không"

COLUMNS: tuple[Column, ...] = (
    Column("Họ và tên", "full_name", required=True, aliases=("Họ tên",), width=26),
    Column("Tên gọi khác", "other_name"),
    Column("Giới tính", "sex", Kind.CHOICE, required=True, choices=_labels(Sex.choices), width=9),
    Column("Ngày sinh", "birth_date", Kind.DATE, required=True, width=12),
    Column("Dân tộc", "ethnicity", width=10),
    Column("Tôn giáo", "religion", width=10),
    Column(
        "Số CCCD",
        "national_id",
        Kind.ID12,
        aliases=("CCCD", "Số căn cước công dân", "Số căn cước", "Số định danh cá nhân"),
        width=15,
    ),
    Column("Số CMND/CCCD cũ", "old_national_id", Kind.OLD_ID, aliases=("Số CMND cũ", "Số CMND")),
    Column(
        "Số thẻ đảng viên",
        "card_number",
        Kind.ID12,
        aliases=("Số thẻ đảng", "Số thẻ"),
        width=15,
    ),
    Column("Nơi cấp thẻ", "card_issue_place", width=20),
    Column("Ngày cấp thẻ", "card_issue_date", Kind.DATE, width=12),
    Column("Số thẻ cũ", "old_card_number", Kind.OLD_ID, aliases=("Số thẻ đảng cũ",)),
    Column(
        "Mã tổ chức (chi bộ)",
        ORG_CODE,
        aliases=("Mã chi bộ", "Mã tổ chức", "Mã tổ chức đảng"),
        width=16,
    ),
    Column("Tên chi bộ", ORG_NAME, importable=False, aliases=("Tên tổ chức",), width=30),
    Column("Nơi đăng ký khai sinh: quốc gia", "birth_place_country", width=12),
    Column("Nơi đăng ký khai sinh: tỉnh/thành phố", "birth_place_province"),
    Column("Nơi đăng ký khai sinh: chi tiết", "birth_place_detail", width=24),
    Column("Quê quán: tỉnh/thành phố", "hometown_province"),
    Column("Quê quán: xã/phường", "hometown_commune"),
    Column("Thường trú: tỉnh/thành phố", "residence_province"),
    Column("Thường trú: xã/phường", "residence_commune"),
    Column("Thường trú: chi tiết", "residence_detail", aliases=("Thường trú: địa chỉ",), width=28),
    Column("Ngày quyết định kết nạp lần đầu", "first_decision_date", Kind.DATE, width=12),
    Column("Ngày quyết định kết nạp", "decision_date", Kind.DATE, required=True, width=12),
    Column(
        "Ngày vào Đảng (lễ kết nạp)",
        "ceremony_date",
        Kind.DATE,
        aliases=("Ngày vào Đảng", "Ngày lễ kết nạp"),
        width=12,
    ),
    Column("Ngày chính thức", "official_date", Kind.DATE, width=12),
    Column(
        "Kết nạp theo Điều lệ hiện hành",
        "admitted_under_current_rules",
        Kind.BOOL,
        width=10,
    ),
    Column("Tình trạng", "status", Kind.CHOICE, required=True, choices=STATUS_PAIRS, width=14),
    Column("Ngày của tình trạng", "status_date", Kind.DATE, width=12),
    Column("Cấp bậc", "rank", Kind.CHOICE, choices=_labels(Rank.choices), width=12),
    Column("Chức vụ", "police_position", aliases=("Chức vụ chính quyền",), width=20),
    Column("Đơn vị công tác", "work_unit", width=24),
    Column("Giáo dục phổ thông", "general_education", Kind.RATIO, width=10),
    Column(
        "Trình độ chuyên môn",
        "education",
        Kind.CHOICE,
        aliases=("Chuyên môn",),
        choices=_labels(Education.choices),
    ),
    Column("Lý luận chính trị", "theory_level", Kind.CHOICE, choices=_labels(TheoryLevel.choices)),
    Column("Điện thoại", "phone", aliases=("Số điện thoại",), width=13),
    Column("Thư điện tử", "email", aliases=("Email",), width=22),
)
BY_FIELD: dict[str, Column] = {c.field: c for c in COLUMNS}
REQUIRED: tuple[Column, ...] = tuple(c for c in COLUMNS if c.required)
# Headers of the report columns, recognised (and ignored) when a report is imported again.
IGNORED_HEADERS = (ROW_HEADER, REASON_HEADER)


def header_key(text: Any) -> str:
    """Normalise a header for matching: no diacritics, case or punctuation."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", fold(str(text))).split())


HEADER_INDEX: dict[str, Column] = {
    header_key(name): column for column in COLUMNS for name in (column.header, *column.aliases)
}
_IGNORED_KEYS = frozenset(header_key(h) for h in IGNORED_HEADERS)


def header_label(field_name: str) -> str:
    """Return the column header that carries a Member field ('' for row-wide messages)."""
    if field_name == "org":
        return BY_FIELD[ORG_CODE].header
    column = BY_FIELD.get(field_name)
    return column.header if column else ""


# --------------------------------------------------------------------------------------------
# Reading the header row
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Where each known column sits in a sheet, found from its header row."""

    header_row: int  # 1-based sheet row number
    positions: tuple[tuple[int, Column], ...]  # (0-based cell index, column)
    unknown: tuple[str, ...]  # headers that match no column; their cells are ignored

    def index_of(self, field_name: str) -> int | None:
        for index, column in self.positions:
            if column.field == field_name:
                return index
        return None


class LayoutError(ValueError):
    """The sheet's header row is missing or unusable (one message for the whole file)."""


def find_layout(first_rows: Sequence[Sequence[Any]], *, org_required: bool) -> Layout:
    """Find the header row among the first rows and map its cells to columns."""
    for offset, cells in enumerate(first_rows[:HEADER_SEARCH_ROWS]):
        keys = [header_key(c) if c not in (None, "") else "" for c in cells]
        if not any(HEADER_INDEX.get(k) is BY_FIELD["full_name"] for k in keys):
            continue
        positions: list[tuple[int, Column]] = []
        unknown: list[str] = []
        seen: dict[str, str] = {}
        for index, (key, raw) in enumerate(zip(keys, cells, strict=True)):
            if not key or key in _IGNORED_KEYS:
                continue
            column = HEADER_INDEX.get(key)
            if column is None:
                unknown.append(str(raw).strip())
                continue
            if column.field in seen:
                raise LayoutError(
                    f"Cột «{column.header}» xuất hiện hai lần (ô «{seen[column.field]}» và "
                    f"«{str(raw).strip()}»). Hãy xóa một cột rồi tải lên lại."
                )
            seen[column.field] = str(raw).strip()
            if column.importable:
                positions.append((index, column))
        needed = [*REQUIRED, *([BY_FIELD[ORG_CODE]] if org_required else [])]
        missing = [c.header for c in needed if c.field not in seen]
        if missing:
            raise LayoutError(
                "Tệp thiếu cột bắt buộc: "
                + ", ".join(f"«{m}»" for m in missing)
                + ". Xem mẫu cột trong hướng dẫn nhập (docs/import-format.md) hoặc dùng một "
                "tệp xuất từ hệ thống làm mẫu."
            )
        return Layout(header_row=offset + 1, positions=tuple(positions), unknown=tuple(unknown))
    raise LayoutError(
        f"Không tìm thấy dòng tiêu đề (có cột «{BY_FIELD['full_name'].header}») trong "
        f"{HEADER_SEARCH_ROWS} dòng đầu của trang tính."
    )


# --------------------------------------------------------------------------------------------
# Parsing cells (import)
# --------------------------------------------------------------------------------------------

_TEXT_FORMAT_HINT = (
    "ô đang ở dạng số nên Excel đã bỏ các chữ số 0 ở đầu; hãy định dạng cột là Văn bản (Text) "
    "và nhập lại đủ 12 chữ số"
)
_TRUE = frozenset({"co", "x", "1", "true", "dung"})
_FALSE = frozenset({"khong", "0", "false", "sai"})


def is_empty(raw: Any) -> bool:
    """Tell whether a cell holds nothing (None, '' or only spaces)."""
    return raw is None or raw == "" or (isinstance(raw, str) and not raw.strip())


def _number_text(raw: float | int) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def _parse_text(column: Column, raw: Any) -> str:
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, bool):
        return YES if raw else NO
    if isinstance(raw, int | float):
        return _number_text(raw)
    if isinstance(raw, date):
        return format_date(raw if not isinstance(raw, datetime) else raw.date())
    return str(raw).strip()


def _parse_ratio(column: Column, raw: Any) -> str:
    if isinstance(raw, date):
        # "12/12" typed into a General cell becomes 12 December; give the text back.
        return f"{raw.day}/{raw.month}"
    return _parse_text(column, raw)


def _parse_id12(column: Column, raw: Any) -> str:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        text = _number_text(raw)
        if text.isdigit() and len(text) < 12:
            raise CellError(f"Phải gồm đúng 12 chữ số: {_TEXT_FORMAT_HINT}.")
    else:
        text = str(raw).strip().replace(" ", "").replace(".", "")
    if is_twelve_digits(text):
        return text
    if not (text.isascii() and text.isdigit()):
        raise CellError(f"Chỉ được gồm chữ số (nhận được «{raw}»).")
    raise CellError(f"Phải gồm đúng 12 chữ số (đang có {len(text)} chữ số).")


def _parse_old_id(column: Column, raw: Any) -> str:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        text = _number_text(raw)
        if column.field == "old_national_id" and len(text) not in (9, 12):
            raise CellError(
                "Ô đang ở dạng số nên có thể đã mất chữ số 0 ở đầu; hãy định dạng cột là Văn "
                "bản (Text) và nhập lại."
            )
        return text
    return str(raw).strip().replace(" ", "")


def _parse_date(column: Column, raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return parse_date(raw)
        except ValueError:
            pass
    raise CellError(f"Ngày không hợp lệ «{raw}» (định dạng dd/mm/yyyy).")


def _parse_choice(column: Column, raw: Any) -> str:
    value = column.lookup.get(fold(_parse_text(column, raw)))
    if value is not None:
        return value
    allowed = ", ".join(label for value, label in column.choices if value)
    raise CellError(f"Giá trị «{raw}» không hợp lệ; dùng một trong: {allowed}.")


def _parse_bool(column: Column, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    key = fold(_parse_text(column, raw))
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise CellError(f"Ghi «{YES}» hoặc «{NO}» (nhận được «{raw}»).")


PARSERS: dict[Kind, Callable[[Column, Any], Any]] = {
    Kind.TEXT: _parse_text,
    Kind.ID12: _parse_id12,
    Kind.OLD_ID: _parse_old_id,
    Kind.DATE: _parse_date,
    Kind.CHOICE: _parse_choice,
    Kind.BOOL: _parse_bool,
    Kind.RATIO: _parse_ratio,
}


def parse_cell(column: Column, raw: Any) -> Any:
    """Read one non-empty cell into the field's value; raise CellError with the reason."""
    return PARSERS[column.kind](column, raw)


# --------------------------------------------------------------------------------------------
# Formatting cells (export)
# --------------------------------------------------------------------------------------------

_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def format_value(column: Column, value: Any) -> Any:
    """Return the cell value for a field value: labels for choices, dates as dates."""
    if value is None or value == "":
        return None
    if column.kind == Kind.CHOICE:
        return column.labels.get(value, value)
    if column.kind == Kind.BOOL:
        return YES if value else NO
    if column.kind == Kind.DATE:
        return value
    text = str(value)
    # Control characters are not allowed in a spreadsheet cell; they never carry meaning here.
    return _ILLEGAL_XML.sub("", text) if _ILLEGAL_XML.search(text) else text


# Keys of the mapping member_values() reads (a queryset's .values(*EXPORT_KEYS)).
EXPORT_KEYS: tuple[str, ...] = (
    *(c.field for c in COLUMNS if c.field not in (ORG_CODE, ORG_NAME)),
    "org__code",
    "org__name",
    "org_path",
)


def member_values(member: Mapping[str, Any], mask: Callable[[Any], Any] | None = None) -> list[Any]:
    """Return the export row, in column order, of a member given as {EXPORT_KEYS: value}."""
    row: list[Any] = []
    for column in COLUMNS:
        if column.field == ORG_CODE:
            value: Any = member["org__code"]
        elif column.field == ORG_NAME:
            value = member["org__name"]
        else:
            value = member[column.field]
            if mask is not None and column.kind in (Kind.ID12, Kind.OLD_ID):
                value = mask(value)
        row.append(format_value(column, value))
    return row
