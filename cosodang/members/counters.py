"""Per-organisation member counters (OrgMemberCount): how they are kept exact and rebuilt.

An organisation page shows the official and probationary members of the organisation and of
each sub-organisation. Counting them at read time means reading every member of a province
(78,000 index entries for Hà Nội at 1,000,000 members, more for a central organisation).
Instead each organisation has one row with the members sitting directly in it (official,
probationary, and all of them whatever their status), and a subtree is the sum of those rows
over a range of paths (orgs.selectors; the member list's count, members.selectors).

Every write that adds members, changes a member's status or moves members to another
organisation collects its changes in a `Tally` and calls `Tally.save()` inside its own
transaction: one statement adds the summed changes of each organisation to its row
(`official = official + n`, an upsert, so a row appears on first use). The callers are
members.services (create, update), the importer (importing.batches), the demo seed
(members.demo) and orgs.services (merge; a move rewrites the rows' paths). `recount()`
(`manage.py recount_members`) rebuilds the rows from the member table and reports what
differed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Count

from cosodang.core import audit
from cosodang.orgs.models import PartyOrg

from .models import OFFICIAL_STATUSES, Member, OrgMemberCount
from .rules import MemberStatus

OFFICIAL, PROBATIONARY, TOTAL = 0, 1, 2
COLUMNS = ("official", "probationary", "total")
# The counter a status adds to besides `total` (members of every status, as the member list
# shows them); the statuses not in the roll (transferred out, deceased…) add to none.
COUNTER_OF: dict[str, int] = {
    **{str(s): OFFICIAL for s in OFFICIAL_STATUSES},
    str(MemberStatus.PROBATIONARY): PROBATIONARY,
}
UPSERT_ROWS = 1000  # organisations per statement

Counts = tuple[int, int, int]  # official, probationary, total


class Tally:
    """Changes to the per-organisation counters, summed per organisation until saved."""

    def __init__(self) -> None:
        self.deltas: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])

    def add(self, org_id: int, status: str, n: int = 1) -> None:
        """Count `n` members of `status` in `org_id` (a negative `n` takes them away)."""
        if not n:
            return
        delta = self.deltas[org_id]
        delta[TOTAL] += n
        counter = COUNTER_OF.get(str(status))
        if counter is not None:
            delta[counter] += n

    def remove(self, org_id: int, status: str, n: int = 1) -> None:
        self.add(org_id, status, -n)

    def change(self, before: tuple[int, str], after: tuple[int, str]) -> None:
        """Count a member who was (org_id, status) `before` and is `after` now."""
        if before != after:
            self.remove(*before)
            self.add(*after)

    def changes(self) -> list[tuple[int, int, int, int]]:
        """Return (org_id, official, probationary, total) of each organisation that changes."""
        return [(pk, d[0], d[1], d[2]) for pk, d in sorted(self.deltas.items()) if any(d)]

    def counts(self) -> dict[int, Counts]:
        return {pk: (d[0], d[1], d[2]) for pk, d in self.deltas.items()}

    def save(self) -> None:
        """Add the changes to the counters (call inside the writing transaction)."""
        apply_changes(self.changes())
        self.deltas.clear()


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def apply_changes(changes: list[tuple[int, int, int, int]], *, copy_paths: bool = False) -> None:
    """Add (org_id, official, probationary, total) changes to the counters.

    A missing row is created with its organisation's path; an existing row's path is kept
    (orgs.services rewrites it when the subtree moves) unless `copy_paths` (repair).
    """
    if not changes:
        return
    counts, orgs = _table(OrgMemberCount), _table(PartyOrg)
    add = ", ".join(f"{c} = {counts}.{c} + excluded.{c}" for c in COLUMNS)
    paths = ", org_path = excluded.org_path" if copy_paths else ""
    with connection.cursor() as cursor:
        for start in range(0, len(changes), UPSERT_ROWS):
            part = changes[start : start + UPSERT_ROWS]
            values = ", ".join(["(%s, %s, %s, %s)"] * len(part))
            # `WHERE true`: SQLite needs it to tell ON CONFLICT from a join constraint.
            # Rows in id order, so two writers touching the same rows lock them alike.
            cursor.execute(
                f"WITH d (org_id, official, probationary, total) AS (VALUES {values}) "
                f"INSERT INTO {counts} (org_id, org_path, official, probationary, total) "
                "SELECT d.org_id, o.path, d.official, d.probationary, d.total "
                f"FROM d JOIN {orgs} o ON o.id = d.org_id WHERE true ORDER BY d.org_id "
                f"ON CONFLICT (org_id) DO UPDATE SET {add}{paths}",
                [x for row in part for x in row],
            )


def count_statuses(rows: Iterable[tuple[int, str, int]]) -> Tally:
    """Return a Tally adding up (org_id, status, n) rows."""
    tally = Tally()
    for org_id, status, n in rows:
        tally.add(org_id, status, n)
    return tally


# --- rebuilding -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """An organisation whose stored counters differed from its members."""

    org_id: int
    code: str
    name: str
    stored: Counts  # official, probationary, total
    actual: Counts
    path_differs: bool = False


def _actual_counts() -> dict[int, Counts]:
    rows = Member.objects.values_list("org_id", "status").annotate(n=Count("*")).order_by()
    return count_statuses(rows).counts()


def recount(*, fix: bool = True, actor: Any = None) -> list[Difference]:
    """Compare every organisation's counters with its members; rewrite those that differ.

    Runs in one transaction. On PostgreSQL the counter table is first locked against
    writers (they wait a second or so, then add their own changes on top), so the members
    counted and the counters compared belong to the same moment.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {_table(OrgMemberCount)} IN SHARE ROW EXCLUSIVE MODE")
        actual = _actual_counts()
        stored = {c.org_id: c for c in OrgMemberCount.objects.only("org_id", "org_path", *COLUMNS)}
        ids = set(actual) | set(stored)
        orgs = {
            o.pk: o for o in PartyOrg.objects.filter(pk__in=ids).only("id", "code", "name", "path")
        }
        differences = []
        for pk in sorted(ids):
            row = stored.get(pk)
            have = (row.official, row.probationary, row.total) if row else (0, 0, 0)
            want = actual.get(pk, (0, 0, 0))
            org = orgs[pk]
            path_differs = row is not None and row.org_path != org.path
            if have != want or path_differs:
                differences.append(
                    Difference(pk, org.code, org.name, have, want, path_differs=path_differs)
                )
        if fix and differences:
            # The differences, added like any other change: rows appear, paths are copied.
            apply_changes(
                [
                    (
                        d.org_id,
                        d.actual[0] - d.stored[0],
                        d.actual[1] - d.stored[1],
                        d.actual[2] - d.stored[2],
                    )
                    for d in differences
                ],
                copy_paths=True,
            )
            audit.record(
                actor=actor,
                action="members.recount_members",
                object_type="members.OrgMemberCount",
                object_repr="Số đảng viên của các tổ chức",
                changes={
                    "organisations": len(differences),
                    "fixed": [
                        {"org": d.code, "stored": list(d.stored), "actual": list(d.actual)}
                        for d in differences[:100]
                    ],
                },
            )
    return differences
