"""Import and export timings: `manage.py import_members` / `export_members` as processes.

Each command runs as its own process through bench/_rusage.py, which reports the wall time
and the peak resident memory of exactly that process. They run against a throw-away copy
of the benchmark database (CREATE DATABASE … TEMPLATE), so reruns see unchanged data.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.report import n

ROOT = Path(__file__).resolve().parent.parent
NOT_YET = "chưa có lệnh"
SCRATCH_ORG_CODE = "BENCH-NHAP"


@dataclass
class Run:
    """One command's outcome."""

    ok: bool
    wall_s: float = 0.0
    maxrss_mb: float = 0.0
    rows: int = 0
    note: str = ""


def available() -> dict[str, bool]:
    """Tell which of the two commands this checkout has."""
    from django.core.management import get_commands

    commands = get_commands()
    return {name: name in commands for name in ("export_members", "import_members")}


def subtree_for(rows: int) -> tuple[str, str, int]:
    """Return (code, name, member count) of the organisation whose subtree is closest to `rows`.

    Counts every member under each organisation from one grouped scan, folded up the tree.
    """
    from django.db.models import Count

    from cosodang.members.models import Member
    from cosodang.orgs.models import PartyOrg

    per_path = Member.objects.values_list("org_path").annotate(n=Count("*")).order_by()
    under: dict[str, int] = defaultdict(int)
    for path, count in per_path:
        for end in range(7, len(path) + 1, 7):
            under[path[:end]] += count
    best = min(under, key=lambda p: (abs(under[p] - rows), len(p)))
    org = PartyOrg.objects.get(path=best)
    return org.code, org.name, under[best]


def measure(command: list[str], env: dict[str, str], log: Callable[[str], None]) -> Run:
    """Run one command through _rusage.py; return its wall time and peak memory."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = fh.name
    try:
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "_rusage.py"), out, "--", *command],
            env=env,
            cwd=ROOT,
            check=True,
        )
        with open(out, encoding="utf-8") as fh:
            data: dict[str, Any] = json.load(fh)
    finally:
        os.unlink(out)
    run = Run(
        ok=data["returncode"] == 0,
        wall_s=data["wall_s"],
        maxrss_mb=data["maxrss_kb"] / 1024,
    )
    if not run.ok:
        tail = (data["stderr"] or data["stdout"]).strip().splitlines()[-3:]
        run.note = f"mã thoát {data['returncode']}: " + " | ".join(tail)
        log("  lỗi: " + run.note)
    return run


def count_rows(path: Path) -> int:
    """Count the data rows of the first sheet (header excluded)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        sheet = book.worksheets[0]
        return max(0, sum(1 for row in sheet.iter_rows(values_only=True) if any(row)) - 1)
    finally:
        book.close()


def _header_index(header: list[Any]) -> dict[str, int]:
    """Find the identifier and organisation columns by their (folded) headings."""
    from cosodang.core.vn import fold

    found: dict[str, int] = {}
    for i, cell in enumerate(header):
        h = fold(str(cell or ""))
        if "cccd" in h and "cu" not in h.split() and "national_id" not in found:
            found["national_id"] = i
        elif "the" in h.split() and "so" in h.split() and "cu" not in h.split():
            found.setdefault("card_number", i)
        elif ("ma" in h.split() and ("to chuc" in h or "chi bo" in h)) or h == "org_code":
            found.setdefault("org_code", i)
        elif ("cmnd" in h or "cu" in h.split()) and ("cccd" in h or "the" in h.split()):
            found.setdefault("old_" + ("national_id" if "cccd" in h or "cmnd" in h else "card"), i)
    return found


def make_fresh_file(source: Path, target: Path, org_code: str) -> int:
    """Copy an export as rows of new people: new national IDs and card numbers, one org.

    Keeps every other column (names, dates, addresses) so validation does the same work;
    IDs keep their province/sex/century/birth-year prefix and get an unused serial.
    """
    from openpyxl import Workbook, load_workbook

    from cosodang.members.models import Member

    taken_ids = set(Member.objects.exclude(national_id=None).values_list("national_id", flat=True))
    taken_cards = set(
        Member.objects.exclude(card_number=None).values_list("card_number", flat=True)
    )
    book = load_workbook(source, read_only=True)
    out = Workbook(write_only=True)
    sheet_out = out.create_sheet(book.worksheets[0].title)
    rows = book.worksheets[0].iter_rows(values_only=True)
    header = list(next(rows))
    cols = _header_index(header)
    sheet_out.append(header)
    written = 0
    serial = 0
    for row in rows:
        if not any(row):
            continue
        values = list(row)
        if "national_id" in cols and values[cols["national_id"]]:
            prefix = str(values[cols["national_id"]])[:6]
            while True:
                serial += 1
                candidate = f"{prefix}{(serial * 7919 + 500_000) % 1_000_000:06d}"
                if candidate not in taken_ids:
                    taken_ids.add(candidate)
                    break
            values[cols["national_id"]] = candidate
        if "card_number" in cols and values[cols["card_number"]]:
            prefix = str(values[cols["card_number"]])[:2]
            while True:
                serial += 1
                candidate = f"{prefix}{(serial * 7_654_321 + 987_654) % 10**10:010d}"
                if candidate not in taken_cards:
                    taken_cards.add(candidate)
                    break
            values[cols["card_number"]] = candidate
        for old in ("old_national_id", "old_card"):
            if old in cols:
                values[cols[old]] = None
        if "org_code" in cols:
            values[cols["org_code"]] = org_code
        sheet_out.append(values)
        written += 1
    book.close()
    out.save(target)
    return written


def create_scratch_org(env: dict[str, str], parent_code: str) -> None:
    """Create an empty cell for the fresh import, in the scratch database, via the services."""
    script = f"""
from datetime import date
from cosodang.accounts.models import User
from cosodang.orgs.models import PartyOrg
from cosodang.orgs.rules import OrgType
from cosodang.orgs import services
if not PartyOrg.objects.filter(code={SCRATCH_ORG_CODE!r}).exists():
    actor = User.objects.filter(is_superuser=True).order_by("id").first()
    parent = PartyOrg.objects.get(code={parent_code!r})
    services.create_org(
        actor=actor, parent=parent, name="Chi bộ nhập thử (bench)", code={SCRATCH_ORG_CODE!r},
        org_type=OrgType.GRASSROOTS_CELL, effective_from=date(2026, 1, 1),
    )
"""
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"Không tạo được chi bộ {SCRATCH_ORG_CODE}: {done.stderr[-2000:]}")


@dataclass
class CommandResults:
    """What the import/export part measured."""

    subtree: tuple[str, str, int] | None = None
    export: Run | None = None
    import_update: Run | None = None
    import_fresh: Run | None = None
    missing: tuple[str, ...] = ()


def run_commands(
    scratch_url: str, rows_wanted: int, workdir: Path, log: Callable[[str], None]
) -> CommandResults:
    """Export a subtree of ~rows_wanted members, re-import it (update), import it as new."""
    have = available()
    missing = tuple(name for name, ok in have.items() if not ok)
    result = CommandResults(missing=missing)
    if not have["export_members"]:
        log(f"export_members: {NOT_YET}")
        return result
    code, name, size = subtree_for(rows_wanted)
    result.subtree = (code, name, size)
    env = {**os.environ, "DATABASE_URL": scratch_url}
    manage = [sys.executable, "manage.py"]
    exported = workdir / "export.xlsx"
    log(f"(f) export_members --org {code} ({name}, {n(size)} đảng viên)")
    result.export = measure(
        [*manage, "export_members", "--org", code, "-o", str(exported)], env, log
    )
    if result.export.ok:
        result.export.rows = count_rows(exported)
    if not have["import_members"]:
        log(f"import_members: {NOT_YET}")
        return result
    if not result.export.ok:
        return result
    log(f"(g) import_members --mode update ({n(result.export.rows)} dòng vừa xuất)")
    result.import_update = measure(
        [*manage, "import_members", str(exported), "--mode", "update"], env, log
    )
    result.import_update.rows = result.export.rows
    fresh = workdir / "fresh.xlsx"
    create_scratch_org(env, code)
    written = make_fresh_file(exported, fresh, SCRATCH_ORG_CODE)
    log(f"(g) import_members: {n(written)} người mới vào {SCRATCH_ORG_CODE}")
    result.import_fresh = measure(
        [*manage, "import_members", str(fresh), "--org", SCRATCH_ORG_CODE, "--mode", "skip"],
        env,
        log,
    )
    result.import_fresh.rows = written
    return result
