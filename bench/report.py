"""The result table: rows with targets and PASS/FAIL, printed and written as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PASS, FAIL, INFO, SKIP = "PASS", "FAIL", "—", "chưa đo"


@dataclass
class Row:
    """One line of the table."""

    key: str
    operation: str
    median: str = ""
    p95: str = ""
    floor: str = ""  # median of the bare SQL, ms
    floor_ratio: str = ""  # our median / floor median
    vs_admin: str = ""  # admin median / our median
    target: str = ""
    status: str = INFO
    note: str = ""
    values: dict[str, float] = field(default_factory=dict)  # raw numbers for the JSON


def n(value: int) -> str:
    """Format an integer the Vietnamese way: 100.000."""
    return f"{value:,}".replace(",", ".")


def ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 1000 else f"{value / 1000:.2f} s"


COLUMNS = (
    ("operation", "thao tác"),
    ("median", "trung vị"),
    ("p95", "p95"),
    ("floor", "SQL trần"),
    ("floor_ratio", "× SQL"),
    ("vs_admin", "nhanh hơn admin"),
    ("target", "mục tiêu"),
    ("status", "kết quả"),
)


def table(rows: list[Row]) -> str:
    """Return the rows as a Markdown table (readable in a terminal too)."""
    head = [title for _, title in COLUMNS]
    body = [[str(getattr(r, key)) for key, _ in COLUMNS] for r in rows]
    widths = [max(len(c) for c in col) for col in zip(head, *body, strict=True)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(cells) for cells in body]
    notes = [f"- {r.operation}: {r.note}" for r in rows if r.note]
    return "\n".join(out + (["", *notes] if notes else []))


def write_json(path: Path, machine: dict[str, Any], rows: list[Row]) -> None:
    path.write_text(
        json.dumps(
            {"machine": machine, "rows": [asdict(r) for r in rows]}, ensure_ascii=False, indent=2
        )
        + "\n",
        encoding="utf-8",
    )
