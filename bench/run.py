#!/usr/bin/env python
"""Benchmark cosodang on a large PostgreSQL database (`make bench`).

    bench/run.py [--members N] [--runs R] [--db NAME] [--rebuild] [--quick]

Builds the database once (`seed_demo --members N`, default 1,000,000, then VACUUM ANALYZE)
and reuses it while it holds exactly that demo; then times, in this process with Django's
test Client and a logged-in demo persona, the member list of a province, a name search of
the whole tree (and the same search in Django admin), a member profile and a province's
organisation page, each against the bare SQL returning the same rows; then the ratings of
issue 4 (`bench/evaluations.py`: proposed levels with every cap for all members, and a
province's calibration page); then times `export_members` and `import_members` as processes
on a throw-away copy of the database.
Prints a table with the targets and writes it to bench/results.json.

The server is read from BENCH_DATABASE_URL or a postgres:// DATABASE_URL (host, port, user;
the database name is --db), else PGHOST/PGPORT/PGUSER, else postgres@127.0.0.1:5432.

Exit status: 0 when it ran; 1 when a target failed at full size (1,000,000 members or more,
without --quick); 2 when the database cannot be used. Smaller runs (CI) are informative.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import database  # noqa: E402
from bench import evaluations as evaluations_bench  # noqa: E402
from bench.report import FAIL, INFO, PASS, SKIP, Row, ms, n, table, write_json  # noqa: E402

FULL_SIZE = 1_000_000
IO_ROWS = 100_000  # rows exported and imported at full size
TARGETS = {  # the targets; never loosened here
    "list_p95": 50.0,
    "list_ratio": 3.0,
    "search_p95": 50.0,
    "profile_p95": 30.0,
    "org_p95": 50.0,
    "import_s": 90.0,
    "export_s": 30.0,
    "import_mb": 1024.0,
    "seed_s": 300.0,
}


def log(message: str) -> None:
    print(message, flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=FULL_SIZE, help="members (1,000,000)")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per page (30)")
    parser.add_argument("--db", default=database.DEFAULT_DB, help="database name")
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the database")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="export/import members/10 rows instead of 100,000 (for small CI runs)",
    )
    parser.add_argument("--keep-scratch", action="store_true", help="keep the import copy")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.members < 100:
        parser.error("--runs ≥ 1, --members ≥ 100")
    return args


def setup_django(server: database.Server) -> None:
    os.environ["DATABASE_URL"] = server.url()
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("COSODANG_DEMO", "1")  # demo logins, no TOTP step, no SSL redirect
    os.environ["DEBUG"] = "0"  # DEBUG would also keep every query in memory
    # Persistent connections, as a production app server runs them.
    os.environ["CONN_MAX_AGE"] = "3600"
    hosts = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
    os.environ["ALLOWED_HOSTS"] = ",".join([*hosts, "testserver"])
    import django

    django.setup()


def prepare(server: database.Server, members: int, rebuild: bool) -> float | None:
    """Create, migrate and seed the database if needed; return the seed's seconds if built."""
    from io import StringIO

    from django.core.management import call_command
    from django.db import connections

    def migrate() -> None:
        call_command("migrate", verbosity=0, stdout=StringIO())
        database.ensure_pg_indexes()

    if rebuild and database.database_exists(server, server.dbname):
        log(f"Xóa cơ sở dữ liệu {server.dbname} (--rebuild)")
        database.drop_database(server, server.dbname)
    if not database.database_exists(server, server.dbname):
        database.create_database(server, server.dbname)
    migrate()
    seeded = database.seeded_members()
    if seeded == members:
        log(f"Dùng lại {server.dbname}: {n(members)} đảng viên mẫu")
        database.vacuum_analyze()
        return None
    if database.holds_data():
        if seeded is None:
            raise SystemExit(
                f"{server.dbname} có dữ liệu không phải do bench tạo: chọn --db khác "
                "(hoặc --rebuild nếu chắc chắn muốn xóa)."
            )
        log(f"{server.dbname} đang có {n(seeded)} đảng viên mẫu: tạo lại với {n(members)}")
        connections.close_all()
        database.drop_database(server, server.dbname)
        database.create_database(server, server.dbname)
        migrate()
    log(f"seed_demo --members {n(members)} …")
    seconds = database.seed(members)
    log(f"  xong trong {seconds:.0f} s; VACUUM ANALYZE …")
    database.vacuum_analyze()
    return seconds


def machine_facts(server: database.Server) -> dict[str, str]:
    facts = database.server_facts(server)
    try:
        mem_kb = int(
            next(
                line.split()[1]
                for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")
            )
        )
        ram = f"{mem_kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        ram = "?"
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        nproc = str(os.cpu_count())
    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": nproc.strip(),
        "cpu": cpu,
        "ram": ram,
        "python": platform.python_version(),
        "postgresql": facts.get("server_version", ""),
        "pg_settings": ", ".join(
            f"{k}={v}" for k, v in sorted(facts.items()) if k not in ("version", "server_version")
        ),
        "database": server.dbname,
        "database_size": database.database_size(server),
    }


def page_rows(runs: int, full: bool) -> list[Row]:
    from bench import pages

    world = pages.load_world()
    results = {r.key: r for r in pages.run_pages(world, runs, log)}
    rows: list[Row] = []

    def row(key: str, target_p95: float, ratio_max: float | None = None) -> Row:
        r = results[key]
        ratio = r.ours.median / r.floor.median if r.floor else None
        # On a small database the floor is a fraction of a millisecond and the ratio says only
        # how much a Django request costs: shown, not judged.
        judged_ratio = ratio_max if full else None
        ok = r.ours.p95 < target_p95 and (judged_ratio is None or (ratio or 0) <= judged_ratio)
        target = f"p95 < {target_p95:.0f} ms" + (f", ≤ {ratio_max:.0f}× SQL" if ratio_max else "")
        if ratio_max and not full:
            target += " (cỡ nhỏ: tỷ lệ để tham khảo)"
        note = r.note
        if r.own_sql:
            note += (
                f"; SQL của chính trang (đọc bộ đếm thay cho đếm đảng viên): "
                f"{ms(r.own_sql.median)}, trang = {r.ours.median / r.own_sql.median:.1f}× "
                "(tham khảo, không phải trần của mục tiêu; phần còn lại là việc mỗi yêu cầu: "
                "phiên, người dùng, quyền, mẫu trang)"
            )
        return Row(
            key=key,
            operation=r.operation,
            median=ms(r.ours.median),
            p95=ms(r.ours.p95),
            floor=ms(r.floor.median) if r.floor else "",
            floor_ratio=f"{ratio:.1f}×" if ratio else "",
            vs_admin=f"{r.admin.median / r.ours.median:.0f}×" if r.admin else "",
            target=target,
            status=PASS if ok else FAIL,
            note=note,
            values={
                "median_ms": r.ours.median,
                "p95_ms": r.ours.p95,
                **(
                    {"floor_median_ms": r.floor.median, "floor_p95_ms": r.floor.p95}
                    if r.floor
                    else {}
                ),
                **(
                    {"admin_median_ms": r.admin.median, "admin_p95_ms": r.admin.p95}
                    if r.admin
                    else {}
                ),
                **(
                    {"own_sql_median_ms": r.own_sql.median, "own_sql_p95_ms": r.own_sql.p95}
                    if r.own_sql
                    else {}
                ),
            },
        )

    rows.append(row("list", TARGETS["list_p95"], TARGETS["list_ratio"]))
    rows.append(row("search", TARGETS["search_p95"]))
    admin = results["admin_search"]
    rows.append(
        Row(
            key="admin_search",
            operation=admin.operation,
            median=ms(admin.ours.median),
            p95=ms(admin.ours.p95),
            target="(để so sánh)",
            status=INFO,
            note=admin.note,
            values={"median_ms": admin.ours.median, "p95_ms": admin.ours.p95},
        )
    )
    rows.append(row("profile", TARGETS["profile_p95"]))
    for key in results:
        if key.startswith("org"):
            rows.append(row(key, TARGETS["org_p95"]))
    return rows


def command_rows(server: database.Server, rows_wanted: int, keep: bool) -> list[Row]:
    from django.db import connections

    from bench import commands

    have = commands.available()
    if not any(have.values()):
        return [
            Row(
                "export",
                "Xuất 100.000 dòng (export_members)",
                status=SKIP,
                note=commands.NOT_YET,
                target=f"< {TARGETS['export_s']:.0f} s",
            ),
            Row(
                "import_update",
                "Nhập lại tệp vừa xuất, chế độ update",
                status=SKIP,
                note=commands.NOT_YET,
                target=f"< {TARGETS['import_s']:.0f} s",
            ),
            Row(
                "import_new",
                "Nhập 100.000 người mới",
                status=SKIP,
                note=commands.NOT_YET,
                target=f"< {TARGETS['import_s']:.0f} s",
            ),
            Row(
                "import_memory",
                "Bộ nhớ đỉnh của tiến trình nhập",
                status=SKIP,
                note=commands.NOT_YET,
                target=f"< {TARGETS['import_mb'] / 1024:.0f} GB",
            ),
        ]
    scratch = f"{server.dbname}_scratch"
    log(f"Sao {server.dbname} → {scratch} cho phần nhập/xuất …")
    connections.close_all()  # a template database must have no other connection
    database.drop_database(server, scratch)
    started = time.perf_counter()
    database.create_database(server, scratch, template=server.dbname)
    log(f"  xong trong {time.perf_counter() - started:.0f} s")
    try:
        with tempfile.TemporaryDirectory(prefix="cosodang-bench-") as tmp:
            res = commands.run_commands(
                database.with_db(server, scratch).url(), rows_wanted, Path(tmp), log
            )
    finally:
        if not keep:
            connections.close_all()
            database.drop_database(server, scratch)
    return io_rows(res, rows_wanted)


def io_rows(res, rows_wanted: int) -> list[Row]:  # type: ignore[no-untyped-def]
    from bench.commands import NOT_YET

    def scaled(run, target_s: float, per: int) -> tuple[str, str]:  # type: ignore[no-untyped-def]
        """Judge the time for `per` rows (linear in rows when the file is not exactly `per`)."""
        if not run.ok or not run.rows:
            return FAIL, ""
        seconds = run.wall_s * per / run.rows
        return (PASS if seconds < target_s else FAIL), f"{seconds:.1f} s / {n(per)} dòng"

    rows: list[Row] = []
    where = f"{res.subtree[1]} ({n(res.subtree[2])} đảng viên)" if res.subtree else ""
    per = rows_wanted
    target_note = f"{n(per)}"
    for key, label, run, target in (
        ("export", f"Xuất {target_note} dòng (export_members)", res.export, TARGETS["export_s"]),
        (
            "import_update",
            "Nhập lại tệp vừa xuất, --mode update",
            res.import_update,
            TARGETS["import_s"],
        ),
        (
            "import_new",
            f"Nhập {target_note} người mới (vào chi bộ trống)",
            res.import_fresh,
            TARGETS["import_s"],
        ),
    ):
        if run is None:
            missing = "export_members" if key == "export" else "import_members"
            note = NOT_YET if missing in res.missing else "không chạy (bước trước lỗi)"
            rows.append(Row(key, label, status=SKIP, note=note, target=f"< {target:.0f} s"))
            continue
        status, normalised = scaled(run, target, per)
        rows.append(
            Row(
                key,
                label,
                median=f"{run.wall_s:.1f} s",
                target=f"< {target:.0f} s / {n(per)} dòng",
                status=status,
                note="; ".join(
                    x
                    for x in (
                        f"{n(run.rows)} dòng" + (f" → {normalised}" if run.rows != per else ""),
                        where if key == "export" else "",
                        f"{n(round(run.rows / run.wall_s))} dòng/s"
                        if run.ok and run.wall_s
                        else "",
                        run.note,
                    )
                    if x
                ),
                values={"wall_s": run.wall_s, "rows": run.rows, "maxrss_mb": run.maxrss_mb},
            )
        )
    imports = [r for r in (res.import_update, res.import_fresh) if r is not None]
    if imports:
        peak = max(r.maxrss_mb for r in imports)
        rows.append(
            Row(
                "import_memory",
                "Bộ nhớ đỉnh của tiến trình nhập (RSS)",
                median=f"{peak:.0f} MB",
                target=f"< {TARGETS['import_mb'] / 1024:.0f} GB",
                status=PASS if peak < TARGETS["import_mb"] and all(r.ok for r in imports) else FAIL,
                note="ru_maxrss của tiến trình import_members (lớn nhất của hai lần nhập)",
                values={"maxrss_mb": peak},
            )
        )
    else:
        rows.append(
            Row(
                "import_memory",
                "Bộ nhớ đỉnh của tiến trình nhập",
                status=SKIP,
                note=NOT_YET,
                target=f"< {TARGETS['import_mb'] / 1024:.0f} GB",
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    server = database.server_from_env(args.db)
    try:
        database.server_facts(server)
    except Exception as exc:  # any connection problem ends the run cleanly
        log(f"Không kết nối được PostgreSQL {server.host}:{server.port}: {exc}")
        return 2
    setup_django(server)
    full = args.members >= FULL_SIZE and not args.quick
    seed_seconds = prepare(server, args.members, args.rebuild)
    machine = machine_facts(server)
    machine["load_before"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    log(
        f"Máy: {machine['cores']} nhân ({machine['cpu']}), RAM {machine['ram']}; "
        f"PostgreSQL {machine['postgresql']}; {n(args.members)} đảng viên, {args.runs} lần đo"
    )
    rows: list[Row] = []
    if seed_seconds is not None:
        rows.append(
            Row(
                "seed",
                f"seed_demo --members {n(args.members)}",
                median=f"{seed_seconds:.0f} s",
                target=f"< {TARGETS['seed_s']:.0f} s",
                status=PASS if seed_seconds < TARGETS["seed_s"] else FAIL,
                values={"seconds": seed_seconds},
            )
        )
    rows += page_rows(args.runs, full)
    rows += evaluations_bench.run(server.url(), runs=args.runs)
    rows_wanted = max(1, args.members * IO_ROWS // FULL_SIZE) if args.quick else IO_ROWS
    rows += command_rows(server, rows_wanted, args.keep_scratch)

    machine["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    log("")
    log(
        f"cosodang bench — {n(args.members)} đảng viên, {args.runs} lần đo/trang, "
        f"{machine['cores']} nhân, RAM {machine['ram']}, PostgreSQL {machine['postgresql']}, "
        f"{machine['date']}"
    )
    log(
        f"Tải máy (loadavg 1/5/15 phút): trước {machine['load_before']}, "
        f"sau {machine['load_after']}"
    )
    if float(machine["load_before"].split()[0]) > 0.5 * (os.cpu_count() or 1):
        log("Cảnh báo: máy đang bận việc khác khi bắt đầu đo; các con số có thể cao hơn thực tế.")
    if not full:
        log("(Cỡ nhỏ hoặc --quick: mục tiêu đặt cho 1.000.000 đảng viên, ở đây chỉ để tham khảo.)")
    log(table(rows))
    out = ROOT / "bench" / "results.json"
    write_json(
        out,
        {**machine, "members": args.members, "runs": args.runs, "quick": args.quick, "full": full},
        rows,
    )
    log(f"\nĐã ghi {out.relative_to(ROOT)}")
    failed = [r.operation for r in rows if r.status == FAIL]
    return 1 if full and failed else 0


if __name__ == "__main__":
    sys.exit(main())
