"""Reads of the organisation tree, always starting from the actor's visible scope."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
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


def _subtree_counts(paths: list[str]) -> dict[str, Counts]:
    """Count members under each of `paths` (all the same length) in one grouped query."""
    from cosodang.members.models import OFFICIAL_STATUSES
    from cosodang.members.rules import MemberStatus

    length = len(paths[0])
    under = Q()
    for p in paths:
        under |= Q(org_path__startswith=p)
    rows = (
        _member_model()
        .objects.filter(under, status__in=[*OFFICIAL_STATUSES, MemberStatus.PROBATIONARY])
        .annotate(head=Substr("org_path", 1, length))
        .values("head", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    out: dict[str, Counts] = defaultdict(Counts)
    for row in rows:
        c = out[row["head"]]
        if row["status"] == MemberStatus.PROBATIONARY:
            c.probationary += row["n"]
        else:
            c.official += row["n"]
    return out


def _member_model() -> Any:
    from cosodang.members.models import Member

    return Member


def _direct_counts(org_ids: list[int]) -> dict[int, Counts]:
    from cosodang.members.models import OFFICIAL_STATUSES
    from cosodang.members.rules import MemberStatus

    rows = (
        _member_model()
        .objects.filter(
            org_id__in=org_ids, status__in=[*OFFICIAL_STATUSES, MemberStatus.PROBATIONARY]
        )
        .values("org_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    out: dict[int, Counts] = defaultdict(Counts)
    for row in rows:
        if row["status"] == MemberStatus.PROBATIONARY:
            out[row["org_id"]].probationary += row["n"]
        else:
            out[row["org_id"]].official += row["n"]
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


def build_nodes(orgs: list[PartyOrg]) -> list[OrgNode]:
    """Attach subtree counts, direct counts, committee size and warnings to organisations."""
    if not orgs:
        return []
    ids = [o.pk for o in orgs]
    by_length: dict[int, list[str]] = defaultdict(list)
    for o in orgs:
        by_length[len(o.path)].append(o.path)
    subtree: dict[str, Counts] = {}
    for paths in by_length.values():
        subtree.update(_subtree_counts(paths))
    direct = _direct_counts(ids)
    committees = _committee_sizes(ids)
    with_children = set(
        PartyOrg.objects.filter(parent_id__in=ids, effective_to__isnull=True)
        .values_list("parent_id", flat=True)
        .distinct()
    )
    nodes = []
    for o in orgs:
        counts = subtree.get(o.path, Counts())
        node = OrgNode(
            org=o,
            counts=counts,
            direct=direct.get(o.pk, Counts()),
            committee_size=committees.get(o.pk, 0),
            has_children=o.pk in with_children,
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


def list_children(actor: Any, org: PartyOrg, *, include_closed: bool = False) -> list[OrgNode]:
    """Return the sub-organisations of `org` the actor may see, with counts."""
    qs = visible_to(actor, PartyOrg.objects.filter(parent=org), Action.VIEW_ORG)
    if not include_closed:
        qs = qs.filter(effective_to__isnull=True)
    return build_nodes(list(qs.order_by("name")))


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
