"""Outputs of ratings: the result list (.xlsx, .docx in the Party layout) and the report sent
upward (counts and percentages by level for every organisation of a subtree, .xlsx).
"""

from __future__ import annotations

from typing import IO

from cosodang.core.docx import PartyDocument
from cosodang.core.xlsx import Column, write_sheet
from cosodang.evaluations import rules_ratings
from cosodang.evaluations.models import Period
from cosodang.evaluations.selectors import ratings as sel
from cosodang.members.choices import Rank
from cosodang.orgs.models import PartyOrg

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RANKS = dict(Rank.choices)
STATE_LABELS = {
    "proposed": "Chi bộ đề xuất",
    "decided": "Cấp ủy quyết định",
    "published": "Đã công khai",
    "locked": "Đã khóa",
}

RESULT_COLUMNS = (
    Column("STT", 6),
    Column("Họ và tên", 28),
    Column("Ngày sinh", 12),
    Column("Cấp bậc, chức vụ", 30),
    Column("Chi bộ", 36),
    Column("Nhóm vị trí tương đương", 40),
    Column("Điểm", 8),
    Column("Chi bộ đề xuất", 14),
    Column("Cấp ủy quyết định", 16),
    Column("Trạng thái", 18),
    Column("Ghi chú của cấp ủy", 40),
)


def _result_rows(period: Period, org: PartyOrg):  # type: ignore[no-untyped-def]
    labels: dict[str, str] = {}
    for i, r in enumerate(sel.result_rows(period, org).iterator(chunk_size=5000), 1):
        group = labels.get(r.position_group)
        if group is None:
            group = labels[r.position_group] = rules_ratings.group_label(r.position_group)
        m = r.member
        post = ", ".join(x for x in (RANKS.get(m.rank, ""), m.police_position) if x)
        yield (
            i,
            m.full_name,
            m.birth_date,
            post,
            r.org.name,
            group,
            None if r.score is None else float(r.score),
            r.proposed_level,
            r.level,
            STATE_LABELS.get(r.state, r.state),
            r.note,
        )


def result_xlsx(out: IO[bytes], period: Period, org: PartyOrg) -> int:
    """Write the result list of the scope to `out`; return the number of rows."""
    return write_sheet(
        out, title="Kết quả xếp loại", columns=RESULT_COLUMNS, rows=_result_rows(period, org)
    )


def result_docx(period: Period, org: PartyOrg) -> bytes:
    """Return the result list as a Party-layout .docx with the committee's signature."""
    doc = PartyDocument(landscape=True)
    superior = org.parent.name if org.parent_id and org.parent else ""
    doc.header(org_name=org.name, superior_name=superior, place="……", day=None)
    doc.title(
        "Danh sách kết quả xếp loại chất lượng đảng viên",
        f"{period.label} — {org.name}",
    )
    rows = [
        (i, name, born.strftime("%d/%m/%Y"), cell, group, "" if s is None else f"{s:g}", p, lv)
        for i, name, born, _post, cell, group, s, p, lv, _state, _note in _result_rows(period, org)
    ]
    doc.table(
        ["STT", "Họ và tên", "Ngày sinh", "Chi bộ", "Nhóm vị trí", "Điểm", "Đề xuất", "Quyết định"],
        rows,
        widths_cm=[1.2, 5, 2.4, 5, 5, 1.6, 2.4, 2.8],
        font_pt=12,
    )
    counts: dict[str, int] = {}
    for row in rows:
        level = row[7] or row[6]
        if level:
            counts[level] = counts.get(level, 0) + 1
    total = sum(counts.values())
    doc.paragraph("")
    doc.paragraph(
        "Tổng hợp: "
        + "; ".join(
            f"{lv}: {counts.get(lv, 0)} ({100 * counts.get(lv, 0) / total:.1f}%)"
            if total
            else f"{lv}: 0"
            for lv in sel.LEVELS
        )
        + f". Tổng số: {total} đảng viên."
    )
    doc.signatures(("T/M cấp ủy", ""), ("Người lập danh sách", ""))
    return doc.to_bytes()


REPORT_COLUMNS = (
    Column("Mã", 12),
    Column("Tổ chức đảng", 50),
    Column("Cấp", 6),
    Column("Tổng số", 10),
    *[c for lv in sel.LEVELS for c in (Column(lv, 10), Column(f"% {lv}", 10))],
)


def report_xlsx(out: IO[bytes], period: Period, org: PartyOrg) -> int:
    """Write counts and percentages by level for every organisation of the subtree."""

    def rows():  # type: ignore[no-untyped-def]
        for r in sel.subtree_report(period, org):
            cells: list[object] = [r.code, "  " * r.depth + r.name, r.depth, r.total]
            for lv in sel.LEVELS:
                cells += [r.counts.get(lv, 0), round(r.pct(lv), 1)]
            yield cells

    return write_sheet(out, title="Báo cáo xếp loại", columns=REPORT_COLUMNS, rows=rows())
