#!/usr/bin/env python
"""Benchmark the ratings of issue 4 on the 1,000,000-member database (`make bench`).

    bench/evaluations.py [--db NAME] [--runs R] [--reseed]

On the database built by bench/run.py (the demo of `seed_demo`), it seeds once a yearly period
of the root organisation (QĐ 366) with consolidated rating inputs for every member and a
proposed rating for every cell and grassroots organisation (COPY), then:

1. times, in a child process (bench/_rusage.py: wall time and peak RSS of exactly that process),
   the production service ``recompute_and_decide`` at the root on the whole period: the engine
   on every member's stored inputs (proposals), collectives decided first, every head capped by
   the collective he or she heads, then the HTXSNV quota over every position group of every
   deciding unit — one streaming read and one write per rating row — target < 60 s, < 2 GB;
2. times the calibration page of the largest province (Django test Client, logged in as that
   province's committee staff) over ≥ 20 runs after a warm-up — target p95 < 200 ms — with the
   bare SQL of its grouped scan as the floor.

The seeded period is reused by later runs (``--reseed`` rebuilds it); before each timed run the
ratings are reset to "proposed" (not timed). Nothing else in the database is changed.

``run(...)`` returns the rows (bench/report.py) so bench/run.py can print them with its table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.report import FAIL, PASS, Row, ms, n, table  # noqa: E402

TARGETS = {"compute_s": 60.0, "compute_mb": 2048.0, "calibration_p95": 200.0}
BENCH_NOTE = "bench: kỳ đánh giá mẫu của bench/evaluations.py"
YEAR = 2025
FULL_SIZE = 1_000_000


def log(message: str) -> None:
    print(message, flush=True)


# --------------------------------------------------------------------------------------------
# Seeding (inside Django)
# --------------------------------------------------------------------------------------------


def _root() -> Any:
    from cosodang.orgs.models import PartyOrg

    return PartyOrg.objects.filter(parent=None).order_by("path").first()


def bench_period() -> Any:
    """Return the bench's period (root organisation, year 2025), or None."""
    from cosodang.evaluations.models import Period

    root = _root()
    if root is None:
        return None
    return Period.objects.filter(org=root, kind="year", year=YEAR).first()


def _inputs(member_id: int) -> tuple[Any, ...]:
    """Return deterministic consolidated inputs of one member (most HTTNV, some of each)."""
    r = random.Random(member_id * 7919)
    total = r.randint(6, 20)
    late = 0 if r.random() < 0.8 else r.randint(1, max(1, total // 4))
    on_time = total - late
    above = r.randint(0, on_time)
    score = round(min(100.0, max(35.0, r.gauss(82, 8))), 2)
    degraded = r.random() < 0.002
    prof = r.choices(["", "HTXSNV", "HTTNV", "HTNV", "KHTNV"], [70, 8, 18, 3, 1])[0]
    return score, total, on_time, above, late, degraded, prof


def _drop_period(period: Any) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table_name in ("evaluations_rating", "evaluations_orgrating"):
            cursor.execute(f"DELETE FROM {table_name} WHERE period_id = %s", [period.pk])
    period.delete()


def seed(reseed: bool = False) -> tuple[Any, float]:
    """Create the bench period with inputs for every member; return (period, seconds)."""
    from django.db import connection, transaction

    from cosodang.evaluations import rules_ratings as rr
    from cosodang.evaluations.models import Period, StoredPack
    from cosodang.evaluations.rules import SubjectInput, evaluate
    from cosodang.evaluations.services.rating_base import period_pack
    from cosodang.members.models import Member

    members = Member.objects.count()
    period = bench_period()
    if period is not None and not reseed and period.ratings.count() == members:
        return period, 0.0
    started = time.perf_counter()
    if period is not None:
        _drop_period(period)
    root = _root()
    pack = StoredPack.objects.get(code="QD366")
    with transaction.atomic():
        period = Period.objects.create(
            org=root,
            org_path=root.path,
            kind="year",
            year=YEAR,
            start=date(YEAR, 1, 1),
            end=date(YEAR, 12, 31),
            pack=pack,
            opens_on=f"{YEAR}-11-01",
            self_review_due=f"{YEAR}-11-20",
            cell_meeting_by=f"{YEAR}-11-30",
            decision_by=f"{YEAR}-12-10",
            publish_from=f"{YEAR}-12-11",
            publish_until=f"{YEAR}-12-25",
            closes_on=f"{YEAR}-12-31",
            state="open",
        )
        with connection.cursor() as cursor:
            raw = cursor.cursor
            raw.execute(
                "SELECT member_id, party_post, title, org_id FROM members_position "
                'WHERE start <= %s AND ("end" IS NULL OR "end" >= %s)',
                [f"{YEAR}-12-31", f"{YEAR}-12-31"],
            )
            posts: dict[int, list[Any]] = {}
            for member_id, post, title, org_id in raw.fetchall():
                posts.setdefault(member_id, []).append(
                    rr.Post(party_post=post or "", title=title or "", org=org_id)
                )
            raw.execute("SELECT id, org_id, org_path, rank, police_position FROM members_member")
            members_rows = raw.fetchall()
            cache: dict[Any, Any] = {}
            columns = (
                "period_id, member_id, org_id, org_path, subject_kind, position_group, is_head, "
                "headed_org_id, score, tasks_total, tasks_on_time, tasks_above_requirement, "
                "tasks_late, degradation_concluded, professional_level, proposed_level, "
                "level, steps, note, state"
            )
            with raw.copy(f"COPY evaluations_rating ({columns}) FROM STDIN") as copy:
                for member_id, org_id, org_path, rank, police_position in members_rows:
                    held = posts.get(member_id, [])
                    key = (rank, police_position, tuple((p.party_post, p.title) for p in held))
                    placed = cache.get(key)
                    if placed is None:
                        extra = [rr.Post(title=police_position)] if police_position else []
                        placed = cache[key] = rr.place(rank, [*held, *extra])
                    heads = [p.org for p in held if p.party_post == "bi_thu" and p.org]
                    score, total, on_time, above, late, degraded, prof = _inputs(member_id)
                    copy.write_row(
                        (
                            period.pk,
                            member_id,
                            org_id,
                            org_path,
                            placed.subject_kind,
                            placed.group,
                            bool(heads),
                            heads[0] if heads else None,
                            score,
                            total,
                            on_time,
                            above,
                            late,
                            degraded,
                            prof,
                            "",
                            "",
                            "",
                            "",
                            "proposed",
                        )
                    )
            del members_rows, posts
            # A proposed rating for every cell and grassroots organisation (the collectives).
            rule_pack = period_pack(period)
            raw.execute(
                "SELECT id, path FROM orgs_partyorg WHERE org_type IN "
                "('cell', 'grassroots_cell', 'grassroots_branch', 'sub_branch')"
            )
            collectives = raw.fetchall()
            with raw.copy(
                "COPY evaluations_orgrating (period_id, org_id, org_path, score, tasks_total, "
                "tasks_on_time, tasks_above_requirement, tasks_late, member_levels, "
                "proposed_level, proposed_reasons, level, reasons, state) FROM STDIN"
            ) as copy:
                for org_id, path in collectives:
                    score, total, on_time, above, late, _d, _p = _inputs(10_000_000 + org_id)
                    level = evaluate(
                        SubjectInput(
                            subject_kind="collective",
                            period=(period.start, period.end),
                            score=score,
                            tasks_total=total,
                            tasks_on_time=on_time,
                            tasks_above_requirement=above,
                            tasks_late=late,
                        ),
                        rule_pack,
                    ).level
                    copy.write_row(
                        (
                            period.pk,
                            org_id,
                            path,
                            score,
                            total,
                            on_time,
                            above,
                            late,
                            "{}",
                            str(level),
                            "[]",
                            "",
                            "[]",
                            "proposed",
                        )
                    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE evaluations_rating")
        cursor.execute("ANALYZE evaluations_orgrating")
    return period, time.perf_counter() - started


def reset(period: Any) -> None:
    """Put every rating of the bench period back to "proposed", nothing decided (not timed)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE evaluations_rating SET level = '', steps = '', state = 'proposed', "
            "decided_by_id = NULL, decided_at = NULL, note = '' "
            "WHERE period_id = %s AND state <> 'proposed'",
            [period.pk],
        )
        cursor.execute(
            "UPDATE evaluations_orgrating SET level = '', reasons = '[]', state = 'proposed', "
            "decided_by_id = NULL, decided_at = NULL WHERE period_id = %s AND state <> 'proposed'",
            [period.pk],
        )
        # VACUUM cannot run inside a transaction (the test of this file runs in one).
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        cursor.execute(f"{command} evaluations_rating")
        cursor.execute(f"{command} evaluations_orgrating")


# --------------------------------------------------------------------------------------------
# The timed computation (run as its own process)
# --------------------------------------------------------------------------------------------


class _NoSummary:
    """Stands in for services.calibration._Summary to time the levels alone (``--levels-only``)."""

    def __init__(self, *args: Any) -> None:
        pass

    def add(self, *args: Any) -> None:
        pass

    def fold(self) -> None:
        pass

    def write(self) -> int:
        return 0


def compute(levels_only: bool = False) -> dict[str, Any]:
    """Propose for every member, then decide at the root: the production services.

    The pass also writes the calibration summary of every deciding unit and the organisations
    above it; ``levels_only`` leaves that out, to time it by difference (not production).
    """
    from cosodang.accounts.models import User
    from cosodang.evaluations.services import decisions as services

    if levels_only:
        services._Summary = _NoSummary  # type: ignore[assignment,misc]  # as decisions uses it
    period = bench_period()
    root = _root()
    actor = User.objects.filter(is_superuser=True, is_active=True).order_by("id").first()
    started = time.perf_counter()
    proposal, decision = services.recompute_and_decide(actor=actor, period=period, org=root)
    total_s = time.perf_counter() - started
    return {
        "proposed": proposal.proposed,
        "proposed_levels": proposal.levels,
        "total_s": total_s,
        "decision": decision.as_dict(),
    }


# --------------------------------------------------------------------------------------------
# Calibration page timing (inside Django)
# --------------------------------------------------------------------------------------------


def _largest_province(period: Any) -> tuple[Any, Any]:
    from cosodang.accounts.models import User
    from cosodang.core.access import Action, scope_paths
    from cosodang.orgs.models import PartyOrg

    for username in ("canbo.hanoi", "canbo.nghean"):
        staff = User.objects.filter(username=username).first()
        paths = scope_paths(staff, Action.DECIDE_EVALUATION) if staff else None
        if paths:
            return staff, PartyOrg.objects.get(path=paths[0])
    raise RuntimeError("No demo committee staff with a grant: was the database seeded?")


def calibration_rows(period: Any, runs: int, staff: Any = None, province: Any = None) -> list[Row]:
    """Time the calibration page of a province (the demo's largest unless given)."""
    from django.urls import reverse

    from bench import pages
    from cosodang.evaluations.models import CalibrationGroup, Rating

    if staff is None or province is None:
        staff, province = _largest_province(period)
    people = Rating.objects.filter(period=period, org_path__startswith=province.path).count()
    client = pages.client_for(staff)
    url = f"{reverse('evaluations:calibration', args=[province.pk])}?ky={period.pk}"
    ours = pages.time_runs(pages.getter(client, [url], "nhóm vị trí tương đương"), runs)
    summary_rows = CalibrationGroup.objects.filter(period=period, org=province)
    stale = summary_rows.filter(stale=True).count()
    statement = (
        f"SELECT * FROM {CalibrationGroup._meta.db_table} WHERE period_id = %s AND org_id = %s",
        [period.pk, province.pk],
    )
    floor = pages.time_runs(pages.sql_runner(lambda i: [statement]), runs)
    ok = ours.p95 < TARGETS["calibration_p95"]
    return [
        Row(
            key="calibration",
            operation=f"Trang hiệu chỉnh của {province.name} ({n(people)} người)",
            median=ms(ours.median),
            p95=ms(ours.p95),
            floor=ms(floor.median),
            floor_ratio=f"{ours.median / floor.median:.1f}×" if floor.median else "",
            target=f"p95 < {TARGETS['calibration_p95']:.0f} ms",
            status=PASS if ok else FAIL,
            note=(
                f"{runs} lần đo sau khởi động; {summary_rows.count()} dòng tổng hợp "
                f"({stale} cần tính lại); SQL trần = đọc các dòng tổng hợp của tỉnh"
            ),
            values={
                "median_ms": ours.median,
                "p95_ms": ours.p95,
                "floor_median_ms": floor.median,
                "floor_p95_ms": floor.p95,
                "people": people,
            },
        ),
        _after_proposal_row(period, province, client, url, runs),
    ]


def _after_proposal_row(period: Any, province: Any, client: Any, url: str, runs: int) -> Row:
    """Time the first view of the page after a cell's proposal marked its groups stale.

    A proposal marks the summary rows of its groups stale in every organisation above the cell
    (services.calibration.mark_calibration_stale) and the next view recounts them from the
    ratings. Each run marks the groups of another cell of the province as its proposal does
    (the ratings themselves unchanged: the recount is the same work) and times one view.
    """
    from bench import pages
    from cosodang.evaluations.models import Rating
    from cosodang.evaluations.services.calibration import mark_calibration_stale

    cells = list(
        Rating.objects.filter(period=period, org_path__startswith=province.path)
        .order_by("org_path")
        .values_list("org_path", flat=True)
        .distinct()[: max(runs, 1)]
    )
    groups = {
        path: sorted(
            set(
                Rating.objects.filter(period=period, org_path=path).values_list(
                    "position_group", flat=True
                )
            )
        )
        for path in cells
    }
    get = pages.getter(client, [url], "nhóm vị trí tương đương")

    def after_proposal(i: int) -> Any:
        path = cells[i % len(cells)]
        mark_calibration_stale(period, path, groups[path])
        return get(i)

    # Marking is part of each timed call but costs ~1 ms (two statements on the summary rows).
    ours = pages.time_runs(after_proposal, len(cells), warmup=0)
    ok = ours.p95 < TARGETS["calibration_p95"]
    return Row(
        key="calibration_after_proposal",
        operation=f"Trang hiệu chỉnh của {province.name}, lần xem đầu sau đề xuất của một chi bộ",
        median=ms(ours.median),
        p95=ms(ours.p95),
        target=f"p95 < {TARGETS['calibration_p95']:.0f} ms",
        status=PASS if ok else FAIL,
        note=(
            f"{len(cells)} chi bộ luân phiên; các nhóm của chi bộ bị đánh dấu cần tính lại ở mọi "
            "cấp trên, lần xem sau đếm lại các nhóm đó từ kết quả xếp loại"
        ),
        values={"median_ms": ours.median, "p95_ms": ours.p95, "runs": len(cells)},
    )


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def _child_env(server_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": server_url,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "COSODANG_DEMO": env.get("COSODANG_DEMO", "1"),
            "DEBUG": "0",
        }
    )
    return env


def compute_row(server_url: str, members: int, full: bool) -> Row:
    """Run `compute` as a child process through _rusage.py; return its row."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "compute.json"
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "_rusage.py"),
                str(out),
                "--",
                sys.executable,
                str(Path(__file__).resolve()),
                "--compute",
            ],
            env=_child_env(server_url),
            cwd=ROOT,
            check=True,
        )
        usage = json.loads(out.read_text(encoding="utf-8"))
    if usage["returncode"] != 0:
        return Row(
            "compute",
            "Đề xuất + quyết định (tỷ lệ, trần người đứng đầu) cho mọi đảng viên",
            status=FAIL,
            note=usage["stderr"][-500:],
        )
    result = json.loads(usage["stdout"].strip().splitlines()[-1])
    mb = usage["maxrss_kb"] / 1024
    seconds = result["total_s"]
    ok = seconds < TARGETS["compute_s"] and mb < TARGETS["compute_mb"]
    d = result["decision"]
    note = (
        f"đề xuất {n(result['proposed'])} người và quyết định trong một lượt, mỗi hồ sơ ghi một "
        f"lần ({n(d['collectives'])} tập thể, {n(d['units'])} đơn vị "
        f"quyết định, {n(d['capped_by_collective'])} người đứng đầu hạ theo tập thể, "
        f"{n(d['capped_by_quota'])} hạ do tỷ lệ, {n(d['waiting_heads'])} chờ tập thể); "
        f"tiến trình riêng: {usage['wall_s']:.1f} s kể cả khởi động Django, RSS đỉnh {mb:.0f} MB"
    )
    return Row(
        key="compute",
        operation=f"Đề xuất + quyết định (tỷ lệ, trần người đứng đầu) cho {n(members)} đảng viên",
        median=f"{seconds:.1f} s",
        target=(
            f"< {TARGETS['compute_s']:.0f} s, < {TARGETS['compute_mb'] / 1024:.0f} GB"
            + ("" if full else " (cỡ nhỏ: tham khảo)")
        ),
        status=PASS if ok else FAIL,
        note=note,
        values={
            "total_s": seconds,
            "maxrss_mb": mb,
            "process_wall_s": usage["wall_s"],
            **{f"decision_{k}": v for k, v in d.items() if isinstance(v, int)},
        },
    )


def run(
    server_url: str | None = None,
    *,
    runs: int = 20,
    reseed: bool = False,
    log: Callable[[str], None] = log,
) -> list[Row]:
    """Seed (once), time the computation and the calibration page; return the rows.

    Call after Django is set up on the benchmark database (bench/run.py does so).
    """
    from django.db import connection

    from cosodang.members.models import Member

    server_url = server_url or os.environ["DATABASE_URL"]
    members = Member.objects.count()
    log(f"Đánh giá, xếp loại: kỳ mẫu năm {YEAR} cho {n(members)} đảng viên …")
    period, seconds = seed(reseed)
    log(
        f"  {'tạo' if seconds else 'dùng lại'} kỳ mẫu{f' trong {seconds:.0f} s' if seconds else ''}"
    )
    reset(period)
    connection.close()  # the child process takes the locks; keep no idle transaction here
    log("  đề xuất và quyết định cho mọi đảng viên (tiến trình riêng) …")
    rows = [compute_row(server_url, members, members >= FULL_SIZE)]
    # After a million updates, as autovacuum would: fresh statistics and visibility map, so the
    # calibration's grouped scan is index-only (timed pages never run on a bloated table).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) evaluations_rating")
    log(f"  trang hiệu chỉnh của tỉnh lớn nhất, {runs} lần …")
    rows += calibration_rows(period, max(runs, 20))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db",
        default=os.environ.get("BENCH_EVALUATIONS_DB", "cosodang_bench"),
        help="database built by bench/run.py (default $BENCH_EVALUATIONS_DB or cosodang_bench)",
    )
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--compute", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--levels-only",
        action="store_true",
        help="with --compute: time the pass without the calibration summary",
    )
    parser.add_argument(
        "--calibration-only", action="store_true", help="time only the calibration page"
    )
    args = parser.parse_args(argv)
    if args.compute:  # the child process of compute_row
        import django

        django.setup()
        print(json.dumps(compute(levels_only=args.levels_only)), flush=True)
        return 0
    from bench import database
    from bench.run import setup_django

    server = database.server_from_env(args.db)
    if not database.database_exists(server, server.dbname):
        log(f"Chưa có {server.dbname}: chạy bench/run.py trước (make bench).")
        return 2
    setup_django(server)
    from io import StringIO

    from django.core.management import call_command

    # Only this app's migrations (and what they depend on): bench/run.py migrates the rest.
    call_command("migrate", "evaluations", verbosity=0, stdout=StringIO())
    if args.calibration_only:
        period = bench_period()
        if period is None:
            log("Chưa có kỳ mẫu: chạy không có --calibration-only trước.")
            return 2
        rows = calibration_rows(period, max(args.runs, 20))
    else:
        rows = run(server.url(), runs=args.runs, reseed=args.reseed)
    log("")
    log(table(rows))
    return 1 if any(r.status == FAIL for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
