"""Reads of the member registry, always starting from the actor's visible scope."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from cosodang.core.access import Action, get_for, visible_to
from cosodang.core.vn import fold
from cosodang.orgs.models import PartyOrg

from . import rules
from .models import Member, OrgMembership, PartyAgeGap, Position

_DIGITS = re.compile(r"^\d{3,12}$")

LIST_FIELDS = (
    "id",
    "full_name",
    "sex",
    "birth_date",
    "status",
    "rank",
    "police_position",
    "decision_date",
    "official_date",
    "org_id",
    "org__name",
    "org__code",
    "sort_key",
)


@dataclass(frozen=True)
class MemberFilters:
    """Filters of the member list; the same ones feed the page, the API and exports."""

    q: str = ""
    org: PartyOrg | None = None
    status: str = ""


def search_clause(q: str) -> Q:
    """Build the filter for a search box: ID/card digits, or a name without diacritics."""
    text = q.strip()
    if not text:
        return Q()
    compact = text.replace(" ", "")
    if _DIGITS.match(compact):
        if len(compact) == 12:
            return Q(national_id=compact) | Q(card_number=compact)
        return Q(national_id__startswith=compact) | Q(card_number__startswith=compact)
    return Q(name_folded__contains=fold(text))


def list_members(actor: Any, filters: MemberFilters) -> QuerySet[Member]:
    """Return the members the actor may see, filtered and sorted the Vietnamese way."""
    qs = visible_to(actor, Member.objects.all(), Action.VIEW_MEMBER)
    if filters.org is not None:
        qs = qs.filter(org_path__startswith=filters.org.path)
    if filters.status:
        qs = qs.filter(status=filters.status)
    qs = qs.filter(search_clause(filters.q))
    return qs.select_related("org").only(*LIST_FIELDS).order_by("sort_key", "id")


def get_member(actor: Any, pk: int, action: Action = Action.VIEW_MEMBER) -> Member:
    """Return a member with their history, or 404 when missing or not visible."""
    qs = Member.objects.select_related("org").prefetch_related(
        Prefetch("org_history", queryset=OrgMembership.objects.select_related("org")),
        Prefetch("positions", queryset=Position.objects.select_related("org")),
        "rewards",
        "disciplines",
        "gaps",
    )
    return get_for(actor, qs, action, pk=pk)


@dataclass(frozen=True)
class PartyFacts:
    """Derived Party data shown on a profile."""

    party_age: rules.PartyAge
    expected_official: date | None
    next_badge: rules.BadgeDue | None


def party_facts(member: Member, on: date | None = None) -> PartyFacts:
    """Compute Party age (gaps excluded) and the next badge for a loaded member."""
    today = on or timezone.localdate()
    gaps = [rules.Gap(g.start, g.end) for g in member.gaps.all()]
    start = member.party_age_start
    return PartyFacts(
        party_age=rules.party_age(start, gaps, today),
        expected_official=(
            rules.expected_official_date(member.ceremony_date) if member.ceremony_date else None
        ),
        next_badge=rules.next_badge(start, gaps, today),
    )


def list_officers(actor: Any, org: PartyOrg) -> list[Position]:
    """Return the current Party posts held in `org` (secretary, deputy, committee)."""
    qs = Position.objects.filter(org=org, end__isnull=True).exclude(party_post="")
    visible_ids = visible_to(actor, Member.objects.all(), Action.VIEW_MEMBER).values("pk")
    return list(
        qs.filter(member_id__in=visible_ids)
        .select_related("member")
        .order_by("party_post", "member__sort_key")
    )


def list_gaps(member: Member) -> list[PartyAgeGap]:
    """Return the member's non-counted intervals, oldest first."""
    return list(member.gaps.all())
