"""Builders shared by the import and export tests: spreadsheets in the import schema.

No tests here; the test modules import these helpers.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from openpyxl import Workbook, load_workbook

from cosodang.core.models import AuditEvent
from cosodang.core.testing import World
from cosodang.members import importing
from cosodang.members.columns import BY_FIELD, COLUMNS
from cosodang.members.models import ImportBatch

HEADERS = [c.header for c in COLUMNS if c.importable]
H = {c.field: c.header for c in COLUMNS}  # field -> header, for readable overrides


def new_row(n: int = 1, org_code: str = "HN-PC02-D1", **fields: Any) -> dict[str, Any]:
    """Return a valid row (header -> value) for a new official member numbered `n`."""
    row: dict[str, Any] = {
        H["full_name"]: f"Phan Văn Khải {n}",
        H["sex"]: "Nam",
        H["birth_date"]: date(1990, 2, 3),
        H["national_id"]: f"0010900{n:05d}",
        H["card_number"]: f"7900000{n:05d}",
        H["org_code"]: org_code,
        H["decision_date"]: date(2015, 3, 1),
        H["ceremony_date"]: date(2015, 3, 10),
        H["official_date"]: date(2016, 3, 10),
        H["status"]: "Chính thức",
    }
    row.update({BY_FIELD[k].header if k in BY_FIELD else k: v for k, v in fields.items()})
    return row


def xlsx(
    rows: Iterable[Mapping[str, Any]],
    headers: Sequence[str] | None = None,
    *,
    title_rows: Sequence[Sequence[Any]] = (),
    extra_sheets: Mapping[str, Sequence[Sequence[Any]]] | None = None,
) -> bytes:
    """Build an .xlsx whose first sheet has optional title rows, a header row and `rows`."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Danh sách"
    for title in title_rows:
        sheet.append(list(title))
    header = list(HEADERS if headers is None else headers)
    if header:
        sheet.append(header)
    for row in rows:
        sheet.append([row.get(h) for h in header])
    for name, cells in (extra_sheets or {}).items():
        extra = book.create_sheet(name)
        for line in cells:
            extra.append(list(line))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_xlsx(data: bytes) -> list[list[Any]]:
    """Return every row of the first sheet as values."""
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def run_import(
    world: World,
    rows: Iterable[Mapping[str, Any]],
    *,
    actor: Any = None,
    org: Any = "province_a",
    mode: str = "skip",
    partial: bool = False,
    confirm: bool = True,
    data: bytes | None = None,
) -> ImportBatch:
    """Upload `rows` as staff of province A (by default), preview, and confirm."""
    user = world.staff_a if actor is None else actor
    target = getattr(world, org) if isinstance(org, str) else org
    batch = importing.start_import(
        actor=user,
        data=data if data is not None else xlsx(rows),
        filename="danh-sach.xlsx",
        org=target,
        mode=mode,
        partial=partial,
    )
    if confirm:
        batch = importing.confirm_import(actor=user, batch=batch)
    return batch


def reasons(batch: ImportBatch) -> list[tuple[int, str, str]]:
    """Return the batch's rejections as (row, column, reason) tuples."""
    return [tuple(r) for r in batch.rejections]  # type: ignore[misc]


def written_events() -> Any:
    """Return the audit events of member and demo writes.

    A freshly migrated database already holds other apps' events (evaluations records one
    per built-in rule pack it loads after migrate); the tests count only their own writes.
    """
    return AuditEvent.objects.filter(action__regex=r"^(members|demo)\.")
