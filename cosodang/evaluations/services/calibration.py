"""The calibration summary (CalibrationGroup): written by the bulk passes, kept by the others.

One row per (period, organisation, position group) with the count, exact quartiles, score sum
and level counts, so the calibration page reads a few rows instead of a province's ratings
(docs/decisions.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models, transaction

from cosodang.evaluations import rules_ratings
from cosodang.evaluations.models import (
    CalibrationGroup,
    Period,
    Rating,
)
from cosodang.orgs.models import PartyOrg
from cosodang.orgs.rules import path_successor

# --------------------------------------------------------------------------------------------
# The calibration summary (CalibrationGroup): written by the bulk passes, kept by the others
# --------------------------------------------------------------------------------------------

SUMMARY_FIELDS = tuple(
    f.name
    for f in CalibrationGroup._meta.concrete_fields
    if f.name not in ("id", "period", "org", "org_path", "position_group", "stale")
)


class _Summary:
    """The calibration summary of a bulk pass's scope, tallied from the rows it streams.

    ``add`` counts one rating under its deciding unit (a tuple key: cheap per row); ``fold``
    turns the units' counts into group tallies and adds each to the unit and to every
    organisation above it up to the pass's root. ``write`` replaces the period's rows of the
    scope and marks the rows of the organisations above the root stale (their subtree changed).
    """

    def __init__(self, period: Period, org: PartyOrg) -> None:
        self.period, self.root = period, org.path
        self.pending: dict[str, dict[tuple[Any, ...], int]] = defaultdict(dict)
        self.tallies: dict[str, dict[str, rules_ratings.GroupTally]] = defaultdict(dict)

    def add(self, unit: str, group: str, score: Any, proposed: str, current: str) -> None:
        counts = self.pending[unit]
        key = (group, score, proposed, current)
        counts[key] = counts.get(key, 0) + 1

    def fold(self) -> None:
        root = len(self.root)
        for unit, counts in self.pending.items():
            own: dict[str, rules_ratings.GroupTally] = defaultdict(rules_ratings.GroupTally)
            for (group, score, proposed, current), n in counts.items():
                own[group].add(score, proposed, current, n)
            targets = [p for p in rules_ratings.ancestor_paths(unit) if len(p) >= root]
            for path in targets:
                tallies = self.tallies[path]
                for group, tally in own.items():
                    mine = tallies.get(group)
                    if mine is None:
                        mine = tallies[group] = rules_ratings.GroupTally()
                    mine.merge(tally)
        self.pending.clear()

    def write(self) -> int:
        """Replace the scope's summary rows; return how many were written."""
        self.fold()
        paths = list(self.tallies)
        ids: dict[str, int] = {}
        for i in range(0, len(paths), 5000):
            ids.update(
                PartyOrg.objects.filter(path__in=paths[i : i + 5000]).values_list("path", "id")
            )
        rows = []
        for path, groups in self.tallies.items():
            for group, tally in groups.items():
                values = rules_ratings.summary_values(tally)
                rows.append((ids[path], path, group, *(values[name] for name in SUMMARY_FIELDS)))
        CalibrationGroup.objects.filter(period=self.period, org_path__startswith=self.root).delete()
        _insert_summary(self.period, rows)
        above = [p for p in rules_ratings.ancestor_paths(self.root) if p != self.root]
        if above:
            CalibrationGroup.objects.filter(period=self.period, org_path__in=above).update(
                stale=True
            )
        self.tallies.clear()
        return len(rows)


def _insert_summary(period: Period, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert summary rows (org id, path, group, *SUMMARY_FIELDS): COPY on PostgreSQL."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        CalibrationGroup.objects.bulk_create(
            [
                CalibrationGroup(
                    period=period,
                    org_id=org_id,
                    org_path=path,
                    position_group=group,
                    **dict(zip(SUMMARY_FIELDS, values, strict=True)),
                )
                for org_id, path, group, *values in rows
            ],
            batch_size=500,
        )
        return
    meta = CalibrationGroup._meta
    columns = ["period_id", "org_id", "org_path", "position_group", *SUMMARY_FIELDS, "stale"]
    names = ", ".join(f'"{c}"' for c in columns)  # the columns are the attnames here
    sql = f'COPY "{meta.db_table}" ({names}) FROM STDIN'
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row((period.pk, *row, False))


def _scope_tallies(
    period: Period, path: str, groups: Iterable[str] | None = None
) -> dict[str, rules_ratings.GroupTally]:
    """Tally the ratings of a subtree by position group from the rating rows (one query)."""
    if connection.vendor == "postgresql":
        return _scope_tallies_pg(period, path, groups)
    qs = Rating.objects.filter(period=period, org_path__startswith=path)
    if groups is not None:
        qs = qs.filter(position_group__in=list(groups))
    tallies: dict[str, rules_ratings.GroupTally] = defaultdict(rules_ratings.GroupTally)
    for group, score, proposed, level, n in (
        qs.values_list("position_group", "score", "proposed_level", "level")
        .annotate(n=models.Count("id"))
        .order_by()
    ):
        tallies[group].add(score, proposed, level or proposed, n)
    return dict(tallies)


def _scope_tallies_pg(
    period: Period, path: str, groups: Iterable[str] | None
) -> dict[str, rules_ratings.GroupTally]:
    """The same tallies grouped twice in one scan (PostgreSQL's GROUPING SETS).

    Grouping by (group, score, proposed, level) at once returns a row per combination (15,000
    for a province's five groups, most of the Python time of a recount); the distinct scores
    and the level pairs apart are a fraction of that. The subtree is a byte range of the
    calibration index (period, org_path, position_group).
    """
    table = Rating._meta.db_table
    where = "period_id = %s AND org_path ~>=~ %s AND org_path ~<~ %s"
    params: list[Any] = [period.pk, path, path_successor(path)]
    if groups is not None:
        where += " AND position_group = ANY(%s)"
        params.append(list(groups))
    sql = (
        f"SELECT position_group, GROUPING(score) = 0, score, proposed_level, level, count(*) "
        f"FROM {table} WHERE {where} "
        "GROUP BY GROUPING SETS ((position_group, score), (position_group, proposed_level, level))"
    )
    tallies: dict[str, rules_ratings.GroupTally] = defaultdict(rules_ratings.GroupTally)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for group, by_score, score, proposed, level, n in cursor.fetchall():
            tally = tallies[group]
            if by_score:
                if score is not None:
                    tally.scores[score] = tally.scores.get(score, 0) + n
            else:
                tally.add(None, proposed, level or proposed, n)
    return dict(tallies)


def summary_from_ratings(
    period: Period, path: str, groups: Iterable[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Return the summary values of a subtree computed afresh (group → stored columns)."""
    return {
        group: rules_ratings.summary_values(tally)
        for group, tally in _scope_tallies(period, path, groups).items()
    }


@transaction.atomic
def refresh_calibration(period: Period, org: PartyOrg) -> list[dict[str, Any]]:
    """Recompute the stale summary rows of an organisation from the ratings; return its rows.

    The stale rows are locked first, so a write that changes a rating of these groups after
    the recount waits and then marks or moves them again (nothing is lost).
    """
    stale = list(
        CalibrationGroup.objects.select_for_update()
        .filter(period=period, org=org, stale=True)
        .order_by("id")
    )
    if stale:
        fresh = summary_from_ratings(period, org.path, [r.position_group for r in stale])
        gone = []
        for row in stale:
            values = fresh.get(row.position_group)
            if values is None:
                gone.append(row.pk)
                continue
            for name, value in values.items():
                setattr(row, name, value)
            row.stale = False
        CalibrationGroup.objects.filter(pk__in=gone).delete()
        CalibrationGroup.objects.bulk_update(
            [r for r in stale if r.pk not in gone], [*SUMMARY_FIELDS, "stale"]
        )
    return [dict(r) for r in CalibrationGroup.objects.filter(period=period, org=org).values()]


def mark_calibration_stale(period: Period, path: str, groups: Iterable[str]) -> None:
    """Mark the summary rows of these groups stale in every organisation above `path`.

    An organisation that has summary rows but none for a group gets a stale row for it (a
    proposal may bring a group into its scope); one without rows is computed live anyway.
    """
    groups = sorted(set(groups))
    if not groups:
        return
    ancestors = rules_ratings.ancestor_paths(path)
    have = set(
        CalibrationGroup.objects.filter(period=period, org_path__in=ancestors).values_list(
            "org_path", "org_id", "position_group"
        )
    )
    if not have:
        return
    orgs = {(p, o) for p, o, _ in have}
    CalibrationGroup.objects.filter(
        period=period, org_path__in=[p for p, _ in orgs], position_group__in=groups
    ).update(stale=True)
    CalibrationGroup.objects.bulk_create(
        [
            CalibrationGroup(period=period, org_id=o, org_path=p, position_group=g, stale=True)
            for p, o in sorted(orgs)
            for g in groups
            if (p, o, g) not in have
        ],
        ignore_conflicts=True,
    )


def _move_current_level(rating: Rating, before: str, after: str) -> None:
    """Move one rating's current level in its ancestors' summary rows (exact, in place)."""
    if before == after:
        return
    rows = CalibrationGroup.objects.filter(
        period_id=rating.period_id,
        org_path__in=rules_ratings.ancestor_paths(rating.org_path),
        position_group=rating.position_group,
        stale=False,  # a stale row is recounted on read (and may hold zeros)
    )
    ids = list(rows.select_for_update().order_by("id").values_list("id", flat=True))
    if not ids:
        return
    changes: dict[str, Any] = {}
    if before:
        name = f"level_{before.lower()}"
        changes[name] = models.F(name) - 1
    if after:
        name = f"level_{after.lower()}"
        changes[name] = models.F(name) + 1
    CalibrationGroup.objects.filter(pk__in=ids).update(**changes)


def mark_moved_stale(*, old_prefix: str, new_prefix: str, **kwargs: Any) -> None:
    """A subtree moved (orgs.signals.subtree_moved): its ratings left the summaries of the old
    superiors and joined the new ones'; mark those rows stale in every period concerned.

    The subtree's own rows were rewritten with its path and still hold; the page recounts a
    stale row from the ratings when it reads it.
    """
    groups: dict[int, set[str]] = defaultdict(set)
    ratings = Rating.objects.filter(org_path__startswith=new_prefix).order_by()
    for period_id, group in ratings.values_list("period_id", "position_group").distinct():
        groups[period_id].add(group)
    for period in Period.objects.filter(pk__in=groups):
        for path in (old_prefix, new_prefix):
            mark_calibration_stale(period, path, groups[period.pk])
