"""Reads of the organisation tree, always starting from the actor's visible scope."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Substr

from cosodang.core.access import Action, get_for, scope_paths, visible_to
from cosodang.core.vn import fold

from . import rules
from .models import PartyOrg
from .rules import path_successor

SEGMENT_LEN = 7  # six base-36 characters and a dot


@dataclass
class Counts:
    """Official and probationary members of an organisation (subtree)."""

    official: int = 0
    probationary: int = 0

    @property
    def total(self) -> int:
        return self.official + self.probationary


@dataclass(frozen=True)
class OrgRow:
    """A sub-organisation read as a plain row: what the org page shows of it."""

    pk: int
    name: str
    org_type: str
    path: str
    approval_ref: str
    effective_to: date | None

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.effective_to is None

    @property
    def type_label(self) -> str:
        return rules.ORG_TYPE_LABELS[rules.OrgType(self.org_type)]


@dataclass
class OrgNode:
    """An organisation with its counts and structure warnings, for the tree and org page."""

    org: PartyOrg | OrgRow
    counts: Counts
    direct: Counts
    committee_size: int = 0
    has_children: bool = False
    warnings: list[rules.StructureWarning] = field(default_factory=list)
    members: int = 0  # members sitting directly in the organisation, of any status


def get_org(actor: Any, pk: int, action: Action = Action.VIEW_ORG) -> PartyOrg:
    """Return an organisation the actor may see, or 404."""
    return get_for(actor, PartyOrg.objects.select_related("parent", "merged_into"), action, pk=pk)


def list_roots(actor: Any) -> QuerySet[PartyOrg]:
    """Return the top organisations of the actor's visible forest."""
    paths = scope_paths(actor, Action.VIEW_ORG)
    if paths is None:
        return PartyOrg.objects.filter(parent__isnull=True)
    visible = visible_to(actor, PartyOrg.objects.all(), Action.VIEW_ORG)
    if paths:
        return visible.filter(path__in=paths)
    return visible  # a plain member: their own cell only


def _counter_model() -> Any:
    from cosodang.members.models import OrgMemberCount

    return OrgMemberCount


def _subtree_counts(paths: list[str]) -> dict[str, Counts]:
    """Sum the member counters under each of `paths` (any lengths)."""
    out: dict[str, Counts] = {}
    by_length: dict[int, list[str]] = defaultdict(list)
    for p in paths:
        by_length[len(p)].append(p)
    for same_length in by_length.values():
        out.update(_subtree_counts_of_length(same_length))
    return out


def _subtree_counts_of_length(paths: list[str]) -> dict[str, Counts]:
    """Sum the counters under each of `paths` (all the same length) in one grouped query."""
    length = len(paths[0])
    under = Q()
    for p in paths:
        under |= Q(org_path__startswith=p)
    rows = (
        _counter_model()
        .objects.filter(under)
        .annotate(head=Substr("org_path", 1, length))
        .values("head")
        .annotate(official=Sum("official"), probationary=Sum("probationary"))
        .order_by()
    )
    return {
        row["head"]: Counts(official=row["official"], probationary=row["probationary"])
        for row in rows
    }


def _direct_counts(org_ids: list[int]) -> dict[int, tuple[Counts, int]]:
    rows = (
        _counter_model()
        .objects.filter(org_id__in=org_ids)
        .values_list("org_id", "official", "probationary", "total")
    )
    return {pk: (Counts(official=o, probationary=p), total) for pk, o, p, total in rows}


def _committee_sizes(org_ids: list[int]) -> dict[int, int]:
    from cosodang.members.models import Position
    from cosodang.members.rules import COMMITTEE_POSTS

    rows = (
        Position.objects.filter(
            org_id__in=org_ids, end__isnull=True, party_post__in=[p.value for p in COMMITTEE_POSTS]
        )
        .values("org_id")
        .annotate(n=Count("member_id", distinct=True))
        .order_by()
    )
    return {r["org_id"]: r["n"] for r in rows}


@dataclass
class _Facts:
    """What build_nodes needs to know about one organisation."""

    counts: Counts = field(default_factory=Counts)
    direct: Counts = field(default_factory=Counts)
    committee_size: int = 0
    has_children: bool = False
    members: int = 0


def _facts(orgs: list[PartyOrg]) -> dict[int, _Facts]:
    """Read member counts (subtree and direct) and committees, find open sub-organisations.

    Member counts come from the per-organisation counters (members.OrgMemberCount, kept
    by every write that adds, moves or changes the status of members): a subtree's count
    is the sum of the counters of the organisations under its path.
    """
    if connection.vendor == "postgresql":
        return _facts_pg(orgs)
    ids = [o.pk for o in orgs]
    subtree = _subtree_counts(list(dict.fromkeys(o.path for o in orgs)))
    direct = _direct_counts(ids)
    committees = _committee_sizes(ids)
    open_child = PartyOrg.objects.filter(parent=OuterRef("pk"), effective_to__isnull=True)
    with_children = set(
        PartyOrg.objects.alias(has_open_child=Exists(open_child))
        .filter(pk__in=ids, has_open_child=True)
        .order_by()
        .values_list("pk", flat=True)
    )
    return {
        o.pk: _Facts(
            counts=subtree.get(o.path, Counts()),
            direct=direct.get(o.pk, (Counts(), 0))[0],
            committee_size=committees.get(o.pk, 0),
            has_children=o.pk in with_children,
            members=direct.get(o.pk, (Counts(), 0))[1],
        )
        for o in orgs
    }


@dataclass(frozen=True)
class _Range:
    """A range of paths [low, successor(low)) whose counter rows are summed per head."""

    low: str
    head_length: int  # rows are summed per the first `head_length` characters of their path


def _count_ranges(paths: list[str]) -> list[_Range]:
    """Plan the ranges of counter rows that give the subtree sums of `paths`.

    Organisations listed with siblings (a page's sub-organisations, a tree level) are
    summed together by one range over their parent's subtree, grouped by the path one
    level below the parent: one row per sub-organisation, plus the parent's own members.
    A requested parent is then the sum of its range. Any other path is a range of its own.
    """
    requested = set(paths)
    siblings: dict[str, int] = defaultdict(int)
    for p in requested:
        siblings[p[:-SEGMENT_LEN]] += 1
    parents = {q for q, n in siblings.items() if q and (n > 1 or q in requested)}
    ranges = [_Range(q, len(q) + SEGMENT_LEN) for q in sorted(parents)]
    ranges += [
        _Range(p, len(p))
        for p in sorted(requested)
        if p not in parents and p[:-SEGMENT_LEN] not in parents
    ]
    return ranges


def _subtree_sums(
    paths: list[str], sums: dict[tuple[str, str], tuple[int, int]]
) -> dict[str, tuple[int, int]]:
    """Return {path: (official, probationary)} from the per-(range, head) sums."""
    by_range: dict[str, tuple[int, int]] = {}
    for (low, _head), (official, probationary) in sums.items():
        o, p = by_range.get(low, (0, 0))
        by_range[low] = (o + official, p + probationary)
    out: dict[str, tuple[int, int]] = {}
    for path in paths:
        if path in by_range:  # a range of its own, or the parent of a group: all of it
            out[path] = by_range[path]
        else:  # one head in its parent's range (none: no counted member below it)
            out[path] = sums.get((path[:-SEGMENT_LEN], path), (0, 0))
    return out


def _facts_pg(orgs: list[PartyOrg]) -> dict[int, _Facts]:
    """The same facts in one statement.

    Subtree sums read the counters' (org_path varchar_pattern_ops, official,
    probationary) index in index-only range scans (`~>=~`/`~<~` are its operators): a
    province page is one range of about 4,600 counter rows grouped by sub-organisation.
    Direct counts, committee sizes and "has open children" are per-organisation probes.
    """
    from cosodang.members.models import Position
    from cosodang.members.rules import COMMITTEE_POSTS

    quote = connection.ops.quote_name
    counter = quote(_counter_model()._meta.db_table)
    position = quote(Position._meta.db_table)
    org = quote(PartyOrg._meta.db_table)
    # One round trip, two kinds of rows: the sums per (range, head), then one row per
    # organisation. Each per-organisation part is an aggregate, so the planner probes the
    # indexes per id: as a plain LEFT JOIN it once hashed the whole counter table (20 ms).
    facts = f"""
        WITH sums AS (
            SELECT r.low, substr(c.org_path, 1, r.n) AS head,
                   sum(c.official) AS official, sum(c.probationary) AS probationary
            FROM unnest(%s::text[], %s::text[], %s::int[]) AS r(low, high, n)
            JOIN {counter} c ON c.org_path ~>=~ r.low AND c.org_path ~<~ r.high
            GROUP BY r.low, head
        )
        SELECT NULL::bigint, low, head, official, probationary,
               NULL::bigint, NULL::bigint, NULL::boolean
        FROM sums
        UNION ALL
        SELECT p.id, NULL, NULL, d.official, d.probationary, d.total, com.n,
               EXISTS (SELECT 1 FROM {org} ch
                       WHERE ch.parent_id = p.id AND ch.effective_to IS NULL)
        FROM unnest(%s::bigint[]) AS p(id)
        CROSS JOIN LATERAL (
            SELECT coalesce(sum(c.official), 0) AS official,
                   coalesce(sum(c.probationary), 0) AS probationary,
                   coalesce(sum(c.total), 0) AS total
            FROM {counter} c WHERE c.org_id = p.id
        ) d
        CROSS JOIN LATERAL (
            SELECT count(DISTINCT x.member_id) AS n FROM {position} x
            WHERE x.org_id = p.id AND x."end" IS NULL AND x.party_post = ANY(%s)
        ) com
    """
    paths = [o.path for o in orgs]
    ranges = _count_ranges(paths)
    with connection.cursor() as cursor:
        cursor.execute(
            facts,
            [
                [r.low for r in ranges],
                [path_successor(r.low) for r in ranges],
                [r.head_length for r in ranges],
                [o.pk for o in orgs],
                [p.value for p in COMMITTEE_POSTS],
            ],
        )
        rows = cursor.fetchall()
    sums = {(low, head): (o, p) for pk, low, head, o, p, *_ in rows if pk is None}
    totals = _subtree_sums(paths, sums)
    by_pk = {o.pk: o for o in orgs}
    out: dict[int, _Facts] = {}
    for pk, _, _, dir_official, dir_prob, members, committee, has_children in rows:
        if pk is None:
            continue
        sub_official, sub_prob = totals[by_pk[pk].path]
        out[pk] = _Facts(
            counts=Counts(official=sub_official, probationary=sub_prob),
            direct=Counts(official=dir_official, probationary=dir_prob),
            committee_size=committee,
            has_children=has_children,
            members=members,
        )
    return out


def build_nodes(orgs: list[PartyOrg]) -> list[OrgNode]:
    """Attach subtree counts, direct counts, committee size and warnings to organisations."""
    if not orgs:
        return []
    return _nodes(orgs, _facts(orgs))


def _nodes(orgs: Sequence[PartyOrg | OrgRow], facts: dict[int, _Facts]) -> list[OrgNode]:
    nodes = []
    for o in orgs:
        f = facts[o.pk]
        counts = f.counts
        node = OrgNode(
            org=o,
            counts=counts,
            direct=f.direct,
            committee_size=f.committee_size,
            has_children=f.has_children,
            members=f.members,
        )
        if o.is_active:
            node.warnings = rules.structure_warnings(
                org_type=rules.OrgType(o.org_type),
                official_count=counts.official,
                member_count=counts.total,
                committee_size=node.committee_size,
                approval_ref=o.approval_ref,
            )
        nodes.append(node)
    return nodes


def _children(actor: Any, org: PartyOrg, include_closed: bool) -> list[PartyOrg]:
    qs = visible_to(actor, PartyOrg.objects.filter(parent=org), Action.VIEW_ORG)
    if not include_closed:
        qs = qs.filter(effective_to__isnull=True)
    return list(qs.order_by("name"))


def list_children(actor: Any, org: PartyOrg, *, include_closed: bool = False) -> list[OrgNode]:
    """Return the sub-organisations of `org` the actor may see, with counts."""
    return build_nodes(_children(actor, org, include_closed))


def get_org_node(actor: Any, org: PartyOrg) -> tuple[OrgNode, list[OrgNode]]:
    """Return `org` and all its visible sub-organisations (closed too) with their counts."""
    if connection.vendor == "postgresql":
        return _org_node_pg(actor, org)
    nodes = build_nodes([org, *_children(actor, org, include_closed=True)])
    return nodes[0], nodes[1:]


_ROW_FIELDS = ("id", "name", "org_type", "path", "approval_ref", "effective_to")


def _org_node_pg(actor: Any, org: PartyOrg) -> tuple[OrgNode, list[OrgNode]]:
    """The org page's facts in one statement: the sub-organisations as plain rows with theirs.

    The visible sub-organisations (the same queryset as `_children`, compiled into the
    statement) and the organisation itself each get their direct counts, committee size
    and "has open children" probes; the subtree sums come from one range of the counters
    over the organisation's path, grouped by the path one level below it (as `_facts_pg`
    plans for an organisation listed with its sub-organisations).
    """
    from cosodang.members.models import Position
    from cosodang.members.rules import COMMITTEE_POSTS

    kids_qs = visible_to(actor, PartyOrg.objects.filter(parent=org), Action.VIEW_ORG)
    try:
        kids_sql, kids_params = kids_qs.order_by().values_list(*_ROW_FIELDS).query.sql_with_params()
    except EmptyResultSet:
        nodes = build_nodes([org])
        return nodes[0], []
    quote = connection.ops.quote_name
    counter = quote(_counter_model()._meta.db_table)
    position = quote(Position._meta.db_table)
    table = quote(PartyOrg._meta.db_table)
    statement = f"""
        WITH kids AS (
            SELECT k.*, row_number() OVER (ORDER BY k.name) AS ord
            FROM ({kids_sql}) AS k({", ".join(_ROW_FIELDS)})
        ),
        items AS (
            SELECT id, ord, name, org_type, path, approval_ref, effective_to FROM kids
            UNION ALL
            SELECT %s::bigint, 0, NULL, NULL, NULL, NULL, NULL
        )
        SELECT NULL::bigint, NULL::bigint, head, NULL, NULL, NULL, NULL,
               official, probationary, NULL::bigint, NULL::bigint, NULL::boolean
        FROM (
            SELECT substr(c.org_path, 1, %s) AS head,
                   sum(c.official) AS official, sum(c.probationary) AS probationary
            FROM {counter} c WHERE c.org_path ~>=~ %s AND c.org_path ~<~ %s
            GROUP BY head
        ) AS sums
        UNION ALL
        SELECT i.id, i.ord, i.path, i.name, i.org_type, i.approval_ref, i.effective_to,
               d.official, d.probationary, d.total, com.n,
               EXISTS (SELECT 1 FROM {table} ch
                       WHERE ch.parent_id = i.id AND ch.effective_to IS NULL)
        FROM items i
        CROSS JOIN LATERAL (
            SELECT coalesce(sum(c.official), 0) AS official,
                   coalesce(sum(c.probationary), 0) AS probationary,
                   coalesce(sum(c.total), 0) AS total
            FROM {counter} c WHERE c.org_id = i.id
        ) d
        CROSS JOIN LATERAL (
            SELECT count(DISTINCT x.member_id) AS n FROM {position} x
            WHERE x.org_id = i.id AND x."end" IS NULL AND x.party_post = ANY(%s)
        ) com
    """
    params = [
        *kids_params,
        org.pk,
        len(org.path) + SEGMENT_LEN,
        org.path,
        path_successor(org.path),
        [p.value for p in COMMITTEE_POSTS],
    ]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    sums: dict[str, tuple[int, int]] = {}
    items = []
    for row in rows:
        if row[0] is None:
            sums[row[2]] = (row[7], row[8])
        else:
            items.append(row)
    items.sort(key=lambda r: r[1])
    total = (sum(o for o, _ in sums.values()), sum(p for _, p in sums.values()))
    kids: list[OrgRow] = []
    facts: dict[int, _Facts] = {}
    for pk, ord_, path, name, org_type, approval_ref, effective_to, *rest in items:
        official, probationary, members, committee, has_children = rest[:5]
        sub = total if ord_ == 0 else sums.get(path, (0, 0))
        facts[pk] = _Facts(
            counts=Counts(official=sub[0], probationary=sub[1]),
            direct=Counts(official=official, probationary=probationary),
            committee_size=committee,
            has_children=has_children,
            members=members,
        )
        if ord_:
            kids.append(OrgRow(pk, name, org_type, path, approval_ref, effective_to))
    nodes = _nodes([org, *kids], facts)
    return nodes[0], nodes[1:]


@dataclass(frozen=True)
class OrgFilters:
    """Filters of the organisation list (API and pages)."""

    q: str = ""
    parent: int | None = None
    org_type: str = ""
    include_closed: bool = False


def list_orgs(actor: Any, filters: OrgFilters) -> QuerySet[PartyOrg]:
    """Return the organisations the actor may see, filtered, in tree order."""
    qs = visible_to(actor, PartyOrg.objects.all(), Action.VIEW_ORG)
    if not filters.include_closed:
        qs = qs.filter(effective_to__isnull=True)
    if filters.parent is not None:
        qs = qs.filter(parent_id=filters.parent)
    if filters.org_type:
        qs = qs.filter(org_type=filters.org_type)
    text = filters.q.strip()
    if text:
        qs = qs.filter(Q(name_folded__contains=fold(text)) | Q(code__icontains=text))
    return qs.order_by("path")


def search_orgs(actor: Any, q: str, limit: int = 20) -> list[PartyOrg]:
    """Find organisations by name (accents ignored) or code."""
    folded = fold(q)
    qs = visible_to(actor, PartyOrg.objects.all(), Action.VIEW_ORG)
    return list(
        qs.filter(Q(name_folded__contains=folded) | Q(code__iexact=q.strip())).order_by(
            "depth", "name"
        )[:limit]
    )


def _ancestor_paths(org: PartyOrg) -> list[str]:
    return [org.path[:i] for i in range(SEGMENT_LEN, len(org.path), SEGMENT_LEN)]


def ancestors(org: PartyOrg) -> list[PartyOrg]:
    """Return the chain of superiors of `org`, top first (one query)."""
    return list(PartyOrg.objects.filter(path__in=_ancestor_paths(org)).order_by("depth"))


def visible_ancestors(actor: Any, org: PartyOrg) -> list[PartyOrg]:
    """Return the superiors of `org` the actor may see, top first (for breadcrumbs)."""
    qs = visible_to(actor, PartyOrg.objects.filter(path__in=_ancestor_paths(org)), Action.VIEW_ORG)
    return list(qs.order_by("depth"))


def list_assignable_orgs(actor: Any, action: Action) -> QuerySet[PartyOrg]:
    """Return active organisations where the actor may do `action` (for pick lists)."""
    return visible_to(actor, PartyOrg.objects.filter(effective_to__isnull=True), action).order_by(
        "path"
    )
