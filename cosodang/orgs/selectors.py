"""Reads of the organisation tree, always starting from the actor's visible scope."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Substr

from cosodang.core.access import Action, get_for, scope_paths, visible_to
from cosodang.core.vn import fold

from . import rules
from .models import PartyOrg

SEGMENT_LEN = 7  # six base-36 characters and a dot


@dataclass
class Counts:
    """Official and probationary members of an organisation (subtree)."""

    official: int = 0
    probationary: int = 0

    @property
    def total(self) -> int:
        return self.official + self.probationary


@dataclass
class OrgNode:
    """An organisation with its counts and structure warnings, for the tree and org page."""

    org: PartyOrg
    counts: Counts
    direct: Counts
    committee_size: int = 0
    has_children: bool = False
    warnings: list[rules.StructureWarning] = field(default_factory=list)


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


def _counted_statuses() -> list[str]:
    from cosodang.members.models import OFFICIAL_STATUSES
    from cosodang.members.rules import MemberStatus

    return [*OFFICIAL_STATUSES, MemberStatus.PROBATIONARY]


def _add(counts: Counts, status: str, n: int) -> None:
    from cosodang.members.rules import MemberStatus

    if status == MemberStatus.PROBATIONARY:
        counts.probationary += n
    else:
        counts.official += n


def _subtree_counts(paths: list[str]) -> dict[str, Counts]:
    """Count members under each of `paths` (any lengths)."""
    out: dict[str, Counts] = {}
    by_length: dict[int, list[str]] = defaultdict(list)
    for p in paths:
        by_length[len(p)].append(p)
    for same_length in by_length.values():
        out.update(_subtree_counts_of_length(same_length))
    return out


def _subtree_counts_of_length(paths: list[str]) -> dict[str, Counts]:
    """Count members under each of `paths` (all the same length) in one grouped query."""
    length = len(paths[0])
    under = Q()
    for p in paths:
        under |= Q(org_path__startswith=p)
    rows = (
        _member_model()
        .objects.filter(under, status__in=_counted_statuses())
        .annotate(head=Substr("org_path", 1, length))
        .values("head", "status")
        .annotate(n=Count("*"))
        .order_by()
    )
    out: dict[str, Counts] = defaultdict(Counts)
    for row in rows:
        _add(out[row["head"]], row["status"], row["n"])
    return out


def _member_model() -> Any:
    from cosodang.members.models import Member

    return Member


def _direct_counts(org_ids: list[int]) -> dict[int, Counts]:
    rows = (
        _member_model()
        .objects.filter(org_id__in=org_ids, status__in=_counted_statuses())
        .values("org_id", "status")
        .annotate(n=Count("*"))
        .order_by()
    )
    out: dict[int, Counts] = defaultdict(Counts)
    for row in rows:
        _add(out[row["org_id"]], row["status"], row["n"])
    return out


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


def _facts(orgs: list[PartyOrg]) -> dict[int, _Facts]:
    """Count members (subtree and direct) and committees, and find open sub-organisations."""
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
            direct=direct.get(o.pk, Counts()),
            committee_size=committees.get(o.pk, 0),
            has_children=o.pk in with_children,
        )
        for o in orgs
    }


def _successor(path: str) -> str:
    """Return the first string after every string that starts with `path`."""
    return path[:-1] + chr(ord(path[-1]) + 1)


def _subtree_ranges(
    paths: list[str],
) -> tuple[list[tuple[str, str]], dict[str, tuple[list[int], list[str]]]]:
    """Split each subtree into ranges of paths, reusing the subtrees of requested sub-paths.

    The subtree of `path` is the range [path, successor). When requested paths lie inside
    it (an organisation and its children), that range is cut around them: the
    organisation's count is the sum of its children's counts and of the gaps between them
    (its own members, and anything under a child not asked for), so a province's members
    are read once, not twice. Returns the ranges to count and, per path, the indexes of its
    gap ranges and the requested paths right below it.
    """
    ranges: list[tuple[str, str]] = []
    parts: dict[str, tuple[list[int], list[str]]] = {}
    ordered = sorted(set(paths))
    for i, path in enumerate(ordered):
        inner: list[str] = []  # requested paths right below `path` (not nested in each other)
        for other in ordered[i + 1 :]:
            if not other.startswith(path):
                break
            if not inner or not other.startswith(inner[-1]):
                inner.append(other)
        gaps: list[int] = []
        low = path
        for child in inner:
            ranges.append((low, child))
            gaps.append(len(ranges) - 1)
            low = _successor(child)
        ranges.append((low, _successor(path)))
        gaps.append(len(ranges) - 1)
        parts[path] = (gaps, inner)
    return ranges, parts


def _facts_pg(orgs: list[PartyOrg]) -> dict[int, _Facts]:
    """The same facts in two statements of a few index probes per organisation.

    A province page shows the province and each of its hundreds of sub-organisations.
    Counting their subtrees as one OR of path prefixes grouped by prefix took over a second
    at 1,000,000 members (a bitmap heap scan, hashing every row, JIT compilation). Here each
    range of paths is counted in place by an index-only scan of the
    (org_path varchar_pattern_ops, status) index, whose operators are `~>=~`/`~<~`.
    """
    from cosodang.members.models import Position
    from cosodang.members.rules import COMMITTEE_POSTS, MemberStatus

    quote = connection.ops.quote_name
    member = quote(_member_model()._meta.db_table)
    position = quote(Position._meta.db_table)
    org = quote(PartyOrg._meta.db_table)
    probationary = str(MemberStatus.PROBATIONARY)
    statuses = [str(s) for s in _counted_statuses()]
    count_ranges = f"""
        SELECT c.probationary, c.total
        FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS r(low, high, i)
        CROSS JOIN LATERAL (
            SELECT count(*) FILTER (WHERE m.status = %s) AS probationary, count(*) AS total
            FROM {member} m
            WHERE m.org_path ~>=~ r.low AND m.org_path ~<~ r.high AND m.status = ANY(%s)
        ) c
        ORDER BY r.i
    """
    per_org = f"""
        SELECT p.id, dir.probationary, dir.total, com.n,
               EXISTS (SELECT 1 FROM {org} ch
                       WHERE ch.parent_id = p.id AND ch.effective_to IS NULL)
        FROM unnest(%s::bigint[]) AS p(id)
        CROSS JOIN LATERAL (
            SELECT count(*) FILTER (WHERE m.status = %s) AS probationary, count(*) AS total
            FROM {member} m WHERE m.org_id = p.id AND m.status = ANY(%s)
        ) dir
        CROSS JOIN LATERAL (
            SELECT count(DISTINCT x.member_id) AS n FROM {position} x
            WHERE x.org_id = p.id AND x."end" IS NULL AND x.party_post = ANY(%s)
        ) com
    """
    ranges, parts = _subtree_ranges([o.path for o in orgs])
    with transaction.atomic(), connection.cursor() as cursor:
        # The planner cannot know the size of a parametrised range, assumes 0.5 % of the
        # table for each, and past a few hundred ranges the cost crosses jit_above_cost:
        # compiling then takes longer than counting (6 ms of 20 for a province).
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            count_ranges,
            [[lo for lo, _ in ranges], [hi for _, hi in ranges], probationary, statuses],
        )
        counted = cursor.fetchall()
        cursor.execute(
            per_org,
            [
                [o.pk for o in orgs],
                probationary,
                statuses,
                [p.value for p in COMMITTEE_POSTS],
            ],
        )
        rows = cursor.fetchall()
    totals: dict[str, tuple[int, int]] = {}
    for path in sorted(parts, reverse=True):  # a sub-path sorts after its path: total it first
        gaps, inner = parts[path]
        pieces = [counted[k] for k in gaps] + [totals[child] for child in inner]
        totals[path] = (sum(p for p, _ in pieces), sum(t for _, t in pieces))
    by_pk = {o.pk: o for o in orgs}
    out: dict[int, _Facts] = {}
    for pk, dir_prob, dir_total, committee, has_children in rows:
        sub_prob, sub_total = totals[by_pk[pk].path]
        out[pk] = _Facts(
            counts=Counts(official=sub_total - sub_prob, probationary=sub_prob),
            direct=Counts(official=dir_total - dir_prob, probationary=dir_prob),
            committee_size=committee,
            has_children=has_children,
        )
    return out


def build_nodes(orgs: list[PartyOrg]) -> list[OrgNode]:
    """Attach subtree counts, direct counts, committee size and warnings to organisations."""
    if not orgs:
        return []
    facts = _facts(orgs)
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
    nodes = build_nodes([org, *_children(actor, org, include_closed=True)])
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
