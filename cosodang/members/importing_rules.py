"""Pure rules of a member import: the batch state machine, modes, row reading and merging.

No Django here: importing.py feeds these functions plain values read from the sheet and the
database. The member rules themselves (dates, field checks) stay in rules.py and services.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from cosodang.core.vn import fold

from .columns import BY_FIELD, ORG_CODE, CellError, Layout, is_empty, parse_cell

# --------------------------------------------------------------------------------------------
# The batch state machine
# --------------------------------------------------------------------------------------------


class ImportState(StrEnum):
    """Where an import batch stands."""

    UPLOADED = "uploaded"
    ANALYSING = "analysing"
    READY = "ready"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    REFUSED = "refused"
    FAILED = "failed"
    CANCELLED = "cancelled"


STATE_LABELS: dict[ImportState, str] = {
    ImportState.UPLOADED: "Đã tải lên, chờ kiểm tra",
    ImportState.ANALYSING: "Đang kiểm tra",
    ImportState.READY: "Chờ xác nhận",
    ImportState.QUEUED: "Đã xác nhận, chờ nhập",
    ImportState.RUNNING: "Đang nhập",
    ImportState.DONE: "Đã nhập xong",
    ImportState.REFUSED: "Không nhập (có dòng bị từ chối)",
    ImportState.FAILED: "Lỗi, không nhập",
    ImportState.CANCELLED: "Đã hủy",
}


class ImportAction(StrEnum):
    """What can happen to a batch."""

    ANALYSE = "analyse"
    ANALYSED = "analysed"
    CONFIRM = "confirm"  # the user confirms the preview
    SUBMIT = "submit"  # the command line imports without a preview
    START = "start"
    FINISH = "finish"
    REFUSE = "refuse"
    FAIL = "fail"
    CANCEL = "cancel"


S, A = ImportState, ImportAction
TRANSITIONS: dict[tuple[ImportState, ImportAction], ImportState] = {
    (S.UPLOADED, A.ANALYSE): S.ANALYSING,
    (S.ANALYSING, A.ANALYSED): S.READY,
    (S.ANALYSING, A.FAIL): S.FAILED,
    (S.UPLOADED, A.CANCEL): S.CANCELLED,
    (S.READY, A.CANCEL): S.CANCELLED,
    (S.READY, A.CONFIRM): S.QUEUED,
    (S.UPLOADED, A.SUBMIT): S.QUEUED,
    (S.QUEUED, A.START): S.RUNNING,
    (S.RUNNING, A.FINISH): S.DONE,
    (S.RUNNING, A.REFUSE): S.REFUSED,
    (S.RUNNING, A.FAIL): S.FAILED,
}
# States in which a worker or the page is still busy with the batch (the page polls).
BUSY_STATES = frozenset({S.UPLOADED, S.ANALYSING, S.QUEUED, S.RUNNING})
FINAL_STATES = frozenset({S.DONE, S.REFUSED, S.FAILED, S.CANCELLED})


def next_state(state: ImportState | str, action: ImportAction) -> ImportState | None:
    """Return the state after `action`, or None when the action does not apply."""
    return TRANSITIONS.get((ImportState(state), action))


# --------------------------------------------------------------------------------------------
# Modes and outcomes
# --------------------------------------------------------------------------------------------


class ImportMode(StrEnum):
    """What to do with a row that matches a member already registered (CiviCRM's modes)."""

    SKIP = "skip"
    UPDATE = "update"
    FILL = "fill"


MODE_LABELS: dict[ImportMode, str] = {
    ImportMode.SKIP: "Bỏ qua đảng viên đã có",
    ImportMode.UPDATE: "Cập nhật đảng viên đã có",
    ImportMode.FILL: "Chỉ điền vào thông tin còn trống",
}


class Outcome(StrEnum):
    """What became of one row."""

    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    REJECTED = "rejected"


OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.NEW: "Thêm mới",
    Outcome.UPDATED: "Cập nhật",
    Outcome.UNCHANGED: "Không thay đổi",
    Outcome.SKIPPED: "Bỏ qua (đã có)",
    Outcome.REJECTED: "Bị từ chối",
}


def empty_counts() -> dict[str, int]:
    """Return a zero count for every outcome."""
    return dict.fromkeys((o.value for o in Outcome), 0)


# --------------------------------------------------------------------------------------------
# Reading a row
# --------------------------------------------------------------------------------------------

IDENTIFIERS = ("national_id", "card_number")


@dataclass
class Row:
    """One data row: its sheet row number, the values of its non-empty cells, its problems."""

    number: int
    values: dict[str, Any]
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column header, reason)

    def reject(self, field_name: str, message: str) -> None:
        header = BY_FIELD[field_name].header if field_name in BY_FIELD else field_name
        self.errors.append((header, message))


def read_row(number: int, cells: Sequence[Any], layout: Layout) -> Row:
    """Parse the known cells of a sheet row; empty cells are left out of `values`."""
    values: dict[str, Any] = {}
    errors: list[tuple[str, str]] = []
    width = len(cells)
    for index, column in layout.positions:
        raw = cells[index] if index < width else None
        if is_empty(raw):
            continue
        try:
            values[column.field] = parse_cell(column, raw)
        except CellError as exc:
            errors.append((column.header, str(exc)))
    return Row(number, values, errors)


def row_is_blank(cells: Sequence[Any]) -> bool:
    """Tell whether every cell of a row is empty."""
    return all(is_empty(c) for c in cells)


def identifier_keys(row: Row) -> list[tuple[str, str]]:
    """Return the (field, value) identifiers a row carries."""
    return [(f, row.values[f]) for f in IDENTIFIERS if row.values.get(f)]


def duplicate_rows(keys_by_row: Iterable[tuple[int, Iterable[tuple[str, str]]]]) -> dict:
    """Return {(field, value): [row numbers]} for identifiers carried by more than one row."""
    first: dict[tuple[str, str], int] = {}
    dups: dict[tuple[str, str], list[int]] = {}
    for number, keys in keys_by_row:
        for key in keys:
            seen = first.setdefault(key, number)
            if seen != number:
                dups.setdefault(key, [seen]).append(number)
    return dups


def duplicate_message(field_name: str, others: Sequence[int]) -> str:
    """Explain that a row shares an identifier with other rows of the same file."""
    rows = ", ".join(str(n) for n in others)
    return (
        f"Trùng {BY_FIELD[field_name].header} với dòng {rows} trong cùng tệp: có thể là cùng "
        "một người; các dòng trùng đều không được nhập."
    )


# --------------------------------------------------------------------------------------------
# Merging a row into a member
# --------------------------------------------------------------------------------------------


def is_blank_value(value: Any) -> bool:
    """Tell whether a stored field value counts as empty for the `fill` mode."""
    return value is None or value == ""


def changes_for(
    mode: ImportMode, current: Mapping[str, Any], values: Mapping[str, Any]
) -> dict[str, Any]:
    """Return {field: new value} that `mode` applies to a matched member's current values.

    An empty cell never erases anything (as in CiviCRM); `fill` only writes empty fields.
    """
    if mode == ImportMode.SKIP:
        return {}
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name == ORG_CODE or name not in current:
            continue
        old = current[name]
        if mode == ImportMode.FILL and not is_blank_value(old):
            continue
        if old != value:
            out[name] = value
    return out


def same_person(row_name: str | None, row_birth: date | None, name: str, birth: date) -> bool:
    """Tell whether a row plausibly describes the matched member (name or birth date agree)."""
    # A typo in an identifier must not overwrite somebody else: when BOTH the name and the
    # date of birth differ, the identifier belongs to another person.
    if row_name is None or row_birth is None:
        return True
    return fold(row_name) == fold(name) or row_birth == birth
