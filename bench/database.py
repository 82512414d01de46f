"""The benchmark database: find the server, create, build or reuse, clone, vacuum.

The database is built once with `seed_demo --members N` and reused while its marker (the
seed's audit event and the member count) says it holds exactly N demo members. Everything
that writes (imports, the export's audit event) runs on a throw-away clone, so reruns of the
page timings always see the same data.
"""

from __future__ import annotations

import importlib
import os
import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import psycopg
from psycopg import sql

DEFAULT_DB = "cosodang_bench"


@dataclass(frozen=True)
class Server:
    """Where the PostgreSQL server is and whom to connect as."""

    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    password: str = ""
    dbname: str = DEFAULT_DB

    def url(self, dbname: str | None = None) -> str:
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        return f"postgres://{auth}@{self.host}:{self.port}/{dbname or self.dbname}"

    def connect(self, dbname: str = "postgres") -> psycopg.Connection[Any]:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password or None,
            dbname=dbname,
            autocommit=True,
        )


def server_from_env(dbname: str) -> Server:
    """Take host, port and user from BENCH_DATABASE_URL or a PostgreSQL DATABASE_URL."""
    for name in ("BENCH_DATABASE_URL", "DATABASE_URL"):
        url = os.environ.get(name, "")
        if url.startswith(("postgres://", "postgresql://")):
            parts = urlsplit(url)
            return Server(
                host=parts.hostname or "127.0.0.1",
                port=parts.port or 5432,
                user=unquote(parts.username or "postgres"),
                password=unquote(parts.password or ""),
                dbname=dbname,
            )
    return Server(
        host=os.environ.get("PGHOST", "127.0.0.1"),
        port=int(os.environ.get("PGPORT", "5432")),
        user=os.environ.get("PGUSER", "postgres"),
        dbname=dbname,
    )


def database_exists(server: Server, name: str) -> bool:
    with server.connect() as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


def create_database(server: Server, name: str, template: str | None = None) -> None:
    """Create `name` (as a file copy of `template` when given: fast for a big database)."""
    with server.connect() as conn:
        if template:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        else:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(server: Server, name: str) -> None:
    with server.connect() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def server_facts(server: Server) -> dict[str, str]:
    """Return the PostgreSQL version and the settings that matter for these timings."""
    names = [
        "server_version",
        "shared_buffers",
        "work_mem",
        "effective_cache_size",
        "random_page_cost",
        "max_parallel_workers_per_gather",
        "jit",
    ]
    with server.connect() as conn:
        rows = conn.execute(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s)", [names]
        ).fetchall()
        version = conn.execute("SELECT version()").fetchone()
    facts = dict(rows)
    facts["version"] = version[0] if version else ""
    return facts


# ---------------------------------------------------------------------------------------------
# Inside Django (after django.setup())
# ---------------------------------------------------------------------------------------------


def seeded_members() -> int | None:
    """Return N if the database holds exactly one `seed_demo --members N` and N members."""
    from cosodang.core.models import AuditEvent
    from cosodang.members.models import Member

    seeds = list(AuditEvent.objects.filter(action="demo.seed_demo").values_list("diff", flat=True))
    if len(seeds) != 1:
        return None
    n = seeds[0].get("members")
    if not isinstance(n, int) or Member.objects.count() != n:
        return None
    return n


def holds_data() -> bool:
    from cosodang.members import demo

    return demo.database_has_data()


def ensure_pg_indexes() -> None:
    """Apply the PostgreSQL index statements of members 0002 (all idempotent).

    A reused benchmark database was migrated once; this keeps it in step when those
    statements change, without a new migration for a database nothing has deployed.
    """
    from django.db import connection

    module = importlib.import_module("cosodang.members.migrations.0002_postgres_search_indexes")
    with connection.cursor() as cursor:
        for statement in module.FORWARD:
            cursor.execute(statement)


def seed(members: int) -> float:
    """Run `seed_demo --members N`; return the seconds it took."""
    from io import StringIO

    from django.core.management import call_command

    started = time.perf_counter()
    call_command("seed_demo", members=members, stdout=StringIO())
    return time.perf_counter() - started


def vacuum_analyze() -> float:
    """VACUUM (ANALYZE) the database: fresh statistics and visibility map (index-only scans)."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    return time.perf_counter() - started


def database_size(server: Server) -> str:
    with server.connect(server.dbname) as conn:
        row = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()
    return row[0] if row else "?"


def with_db(server: Server, name: str) -> Server:
    return replace(server, dbname=name)
