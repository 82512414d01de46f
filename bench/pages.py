"""Page timings: our pages through Django's test Client, and the bare SQL floor of each.

Server time is the time around `client.get(...)` in this process: URL routing, middleware
(session, user, grants), the view's queries and template rendering; no network, no browser.
The floor is the SQL a hand-written page over the base tables would need for the same rows
(counts included), run on the same connection through the raw psycopg cursor and timed the
same way. Pages that read the member counters instead also get their own statements timed
(`own_sql`), printed for reference.
"""

from __future__ import annotations

import functools
import gc
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from math import ceil
from typing import Any
from urllib.parse import urlencode

from bench.report import n

# Realistic searches of the whole tree (common Vietnamese names, typed without diacritics).
SEARCHES: tuple[str, ...] = (
    "nguyen thi ha",
    "tran van hung",
    "le thi lan",
    "pham minh tuan",
    "hoang van nam",
    "vu thi huong",
    "do duc thang",
    "bui thi trang",
)
PROFILE_SAMPLE = 200
WARMUP = 3


@dataclass
class Timing:
    """Milliseconds of R runs of one operation."""

    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        """Nearest-rank 95th percentile (the 29th of 30 runs)."""
        ordered = sorted(self.samples)
        return ordered[max(0, ceil(0.95 * len(ordered)) - 1)]


def time_runs(fn: Callable[[int], Any], runs: int, warmup: int = WARMUP) -> Timing:
    """Call fn(i) `warmup` times untimed, then `runs` times timed.

    Rotating operations warm up over their whole rotation (every URL once), so each timed
    run measures the application in steady state, not a first visit to a cold page.
    """
    for i in range(warmup):
        fn(i)
    gc.collect()  # start each operation from the same heap, not the previous one's garbage
    timing = Timing()
    for i in range(runs):
        started = time.perf_counter()
        fn(i)
        timing.samples.append((time.perf_counter() - started) * 1000)
    return timing


@dataclass
class Province:
    """A province and the committee staff persona whose grant is on it."""

    staff: Any
    org: Any
    members: int
    children: int


@dataclass
class World:
    """Who and what the page timings use."""

    big: Province  # the largest province (Hà Nội in the demo): list, profiles, org page
    mid: Province | None  # a mid-sized province (Nghệ An): org page
    superuser: Any
    profile_ids: list[int]

    @property
    def staff(self) -> Any:
        return self.big.staff

    @property
    def province(self) -> Any:
        return self.big.org


def _province(username: str) -> Province | None:
    from cosodang.accounts.models import User
    from cosodang.core.access import Action, scope_paths
    from cosodang.members.models import Member
    from cosodang.orgs.models import PartyOrg

    staff = User.objects.filter(username=username).first()
    paths = scope_paths(staff, Action.VIEW_MEMBER) if staff else None
    if not paths:
        return None
    org = PartyOrg.objects.get(path=paths[0])
    return Province(
        staff=staff,
        org=org,
        members=Member.objects.filter(org_path__startswith=org.path).count(),
        children=PartyOrg.objects.filter(parent=org).count(),
    )


def load_world(big: str = "canbo.hanoi", mid: str = "canbo.nghean") -> World:
    from cosodang.accounts.models import User
    from cosodang.members.models import Member

    province = _province(big)
    if province is None:
        raise RuntimeError(f"No demo persona {big} with a grant: was the database seeded?")
    ids = list(
        Member.objects.filter(org_path__startswith=province.org.path)
        .order_by("id")
        .values_list("id", flat=True)
    )
    return World(
        big=province,
        mid=_province(mid),
        superuser=User.objects.filter(is_superuser=True, is_active=True).order_by("id").first(),
        profile_ids=random.Random(2026).sample(ids, min(PROFILE_SAMPLE, len(ids))),
    )


def client_for(user: Any) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def getter(client: Any, urls: Sequence[str], expect: str = "") -> Callable[[int], Any]:
    """Return fn(i) that GETs urls[i % len] and fails loudly on anything but a 200."""

    def get(i: int) -> Any:
        url = urls[i % len(urls)]
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} → {response.status_code}")
        if expect and expect.encode() not in response.content:
            raise RuntimeError(f"GET {url}: «{expect}» not on the page")
        return response

    return get


def _same(statements: list[tuple[str, Sequence[Any]]], i: int) -> list[tuple[str, Sequence[Any]]]:
    return statements


def raw_cursor() -> Any:
    """Return a psycopg cursor on the very connection Django uses (same session settings)."""
    from django.db import connection

    connection.ensure_connection()
    return connection.connection.cursor()


def sql_runner(
    statements: Callable[[int], list[tuple[str, Sequence[Any]]]],
) -> Callable[[int], Any]:
    """Return fn(i) that runs the i-th list of (sql, params) and fetches every row."""

    def run(i: int) -> Any:
        rows = []
        with raw_cursor() as cur:
            for query, params in statements(i):
                cur.execute(query, params)
                rows.append(cur.fetchall())
        return rows

    return run


# --- the floors: what the same rows cost in bare SQL -----------------------------------------

LIST_COLUMNS = (
    "m.id, m.full_name, m.sex, m.birth_date, m.status, m.rank, m.police_position, "
    "m.decision_date, m.official_date, m.org_id, m.sort_key, o.name, o.code"
)


def list_floor(prefix: str) -> list[tuple[str, Sequence[Any]]]:
    """The 50 first members of a subtree in Vietnamese order, and how many there are."""
    rows = (
        f"SELECT {LIST_COLUMNS} FROM members_member m "
        "JOIN orgs_partyorg o ON o.id = m.org_id "
        "WHERE m.org_path LIKE %s ORDER BY m.sort_key, m.id LIMIT 50"
    )
    count = "SELECT count(*) FROM members_member WHERE org_path LIKE %s"
    return [(rows, [prefix + "%"]), (count, [prefix + "%"])]


def list_own_sql(prefix: str) -> list[tuple[str, Sequence[Any]]]:
    """The list page's own two statements: the 50 rows (a path range) and the counter sum.

    Not the floor (the counters are this application's own structure, kept by its writes),
    printed beside it so the reader sees what the page spends outside its SQL.
    """
    from cosodang.orgs.rules import path_successor

    upper = path_successor(prefix)
    rows = (
        f"SELECT {LIST_COLUMNS} FROM members_member m "
        "JOIN orgs_partyorg o ON o.id = m.org_id "
        "WHERE m.org_path ~>=~ %s AND m.org_path ~<~ %s ORDER BY m.sort_key, m.id LIMIT 50"
    )
    count = (
        "SELECT sum(total) FROM members_orgmembercount WHERE org_path ~>=~ %s AND org_path ~<~ %s"
    )
    return [(rows, [prefix, upper]), (count, [prefix, upper])]


def search_floor(folded: str) -> list[tuple[str, Sequence[Any]]]:
    """Name matches of the whole tree: count and the 50 first ids in one trigram pass, rows.

    A hand-written equivalent of the page: the plain `LIKE '%…%' ORDER BY sort_key LIMIT 50`
    plus a `count(*)` is no floor, the planner walks the sort index for it (0.5 s).
    """
    from cosodang.members.selectors import name_pieces

    pieces = name_pieces(folded)
    where = " AND ".join(["strpos(name_folded, %s) > 0"] + ["name_folded LIKE %s"] * len(pieces))
    hits = (
        f"WITH hits AS MATERIALIZED (SELECT id, sort_key FROM members_member WHERE {where} "
        "LIMIT 10001) SELECT (SELECT count(*) FROM hits), "
        "ARRAY(SELECT id FROM hits ORDER BY sort_key, id LIMIT 50)"
    )
    params = [folded, *(f"%{p}%" for p in pieces)]
    return [(hits, params)]


def search_floor_rows(ids: list[int]) -> tuple[str, Sequence[Any]]:
    return (
        f"SELECT {LIST_COLUMNS} FROM members_member m JOIN orgs_partyorg o ON o.id = m.org_id "
        "WHERE m.id = ANY(%s)",
        [ids],
    )


def profile_floor(pk: int) -> list[tuple[str, Sequence[Any]]]:
    """A member with their organisation, and each history table of the profile."""
    return [
        (
            "SELECT m.*, o.* FROM members_member m JOIN orgs_partyorg o ON o.id = m.org_id "
            "WHERE m.id = %s",
            [pk],
        ),
        (
            "SELECT h.*, o.name FROM members_orgmembership h JOIN orgs_partyorg o "
            "ON o.id = h.org_id WHERE h.member_id = %s ORDER BY h.start DESC, h.id DESC",
            [pk],
        ),
        (
            "SELECT p.*, o.name FROM members_position p LEFT JOIN orgs_partyorg o "
            "ON o.id = p.org_id WHERE p.member_id = %s ORDER BY p.start DESC, p.id DESC",
            [pk],
        ),
        ("SELECT * FROM members_reward WHERE member_id = %s ORDER BY date DESC, id DESC", [pk]),
        ("SELECT * FROM members_discipline WHERE member_id = %s ORDER BY date DESC, id DESC", [pk]),
        ("SELECT * FROM members_partyagegap WHERE member_id = %s ORDER BY start", [pk]),
    ]


def org_floor(org: Any) -> list[tuple[str, Sequence[Any]]]:
    """A province's sub-organisations, then official/probationary counts of each and of it.

    Bare SQL over the member table, as a page without the counters would count: the
    subtree's members grouped by the path one level down (the province is the sum).
    """
    return [
        (
            "SELECT id, code, name, org_type, path, effective_to FROM orgs_partyorg "
            "WHERE parent_id = %s ORDER BY name",
            [org.pk],
        ),
        (
            "SELECT substr(org_path, 1, %s) AS head, "
            "count(*) FILTER (WHERE status IN ('official', 'exempted')), "
            "count(*) FILTER (WHERE status = 'probationary') "
            "FROM members_member WHERE org_path LIKE %s GROUP BY head",
            [len(org.path) + 7, org.path + "%"],
        ),
    ]


def org_own_sql(org: Any) -> list[tuple[str, Sequence[Any]]]:
    """The same numbers as the page reads them: the member counters under the province.

    One index-only range of the per-organisation counters (members.OrgMemberCount), summed
    per sub-organisation. Not the floor (the counters are kept by this application's writes).
    """
    from cosodang.orgs.rules import path_successor

    return [
        org_floor(org)[0],
        (
            "SELECT substr(org_path, 1, %s) AS head, sum(official), sum(probationary) "
            "FROM members_orgmembercount WHERE org_path ~>=~ %s AND org_path ~<~ %s "
            "GROUP BY head",
            [len(org.path) + 7, org.path, path_successor(org.path)],
        ),
    ]


# --- the operations ----------------------------------------------------------------------------


@dataclass
class PageResult:
    """One page operation's timings."""

    key: str
    operation: str
    ours: Timing
    floor: Timing | None = None
    admin: Timing | None = None
    own_sql: Timing | None = None  # the page's own statements, when they differ from the floor
    note: str = ""


def url_list(base: str, params: list[dict[str, Any]]) -> list[str]:
    return [f"{base}?{urlencode(p)}" if p else base for p in params]


def run_pages(world: World, runs: int, log: Callable[[str], None]) -> list[PageResult]:
    """Time the page operations (and their floors, and the admin search)."""
    from django.urls import reverse

    from cosodang.core.vn import fold

    results: list[PageResult] = []
    big, root = world.big, client_for(world.superuser)
    staff = client_for(big.staff)
    member_list = reverse("members:list")

    log(f"(a) danh sách đảng viên {big.org.name} ({n(big.members)} đảng viên)")
    urls = url_list(member_list, [{"org": big.org.pk}])
    ours = time_runs(getter(staff, urls, "member-table"), runs)
    floor = time_runs(sql_runner(lambda i: list_floor(big.org.path)), runs)
    own_sql = time_runs(sql_runner(lambda i: list_own_sql(big.org.path)), runs)
    results.append(
        PageResult(
            "list",
            f"Danh sách đảng viên {big.org.name}, 50 dòng, sắp xếp tiếng Việt",
            ours,
            floor,
            own_sql=own_sql,
            note=f"{n(big.members)} đảng viên trong cây; trang đếm đúng số (≤ 100.000)",
        )
    )

    log("(b) tìm theo tên, không dấu, toàn bộ cây")
    search_urls = url_list(member_list, [{"q": q} for q in SEARCHES])
    ours = time_runs(getter(root, search_urls), runs, warmup=len(search_urls))

    def search_sql(i: int) -> Any:
        with raw_cursor() as cur:
            ((query, params),) = search_floor(fold(SEARCHES[i % len(SEARCHES)]))
            cur.execute(query, params)
            _, ids = cur.fetchone()
            cur.execute(*search_floor_rows(list(ids)))
            return cur.fetchall()

    floor = time_runs(search_sql, runs, warmup=len(SEARCHES))
    search = PageResult(
        "search",
        "Tìm theo tên không dấu trên toàn bộ cây",
        ours,
        floor,
        note=f"{len(SEARCHES)} họ tên luân phiên: " + ", ".join(f"«{q}»" for q in SEARCHES),
    )
    results.append(search)

    log(f"(c) hồ sơ đảng viên ({len(world.profile_ids)} hồ sơ luân phiên)")
    profile_urls = [reverse("members:detail", args=[pk]) for pk in world.profile_ids]
    ours = time_runs(getter(staff, profile_urls), runs, warmup=len(profile_urls))
    ids = world.profile_ids
    floor = time_runs(sql_runner(lambda i: profile_floor(ids[i % len(ids)])), runs, warmup=len(ids))
    results.append(
        PageResult("profile", "Hồ sơ đảng viên", ours, floor, note=f"{len(ids)} hồ sơ luân phiên")
    )

    for key, province in (("org", big), ("org_mid", world.mid)):
        if province is None:
            continue
        log(f"(d) trang tổ chức {province.org.name} với số đảng viên")
        client = staff if province is big else client_for(province.staff)
        url = [reverse("orgs:detail", args=[province.org.pk])]
        ours = time_runs(getter(client, url, "count-official"), runs)
        statements = org_floor(province.org)
        floor = time_runs(sql_runner(functools.partial(_same, statements)), runs)
        own = org_own_sql(province.org)
        own_sql = time_runs(sql_runner(functools.partial(_same, own)), runs)
        results.append(
            PageResult(
                key,
                f"Trang tổ chức {province.org.name} (chính thức / dự bị)",
                ours,
                floor,
                own_sql=own_sql,
                note=f"{n(province.members)} đảng viên, {province.children} tổ chức trực thuộc",
            )
        )

    # Last: its sequential scans load both cores for a minute and would slow what follows.
    log("(e) cùng các tìm kiếm qua trang quản trị Django (/quan-tri/)")
    admin_urls = url_list(reverse("admin:members_member_changelist"), [{"q": q} for q in SEARCHES])
    search.admin = time_runs(getter(root, admin_urls), runs, warmup=len(admin_urls))
    results.insert(
        results.index(search) + 1,
        PageResult(
            "admin_search",
            "Cùng các tìm kiếm qua Django admin (changelist ?q=)",
            search.admin,
            note="search_fields mặc định (full_name, name_folded, CCCD, số thẻ); để so sánh",
        ),
    )
    return results
