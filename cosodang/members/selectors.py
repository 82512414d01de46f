"""Reads of the member registry, always starting from the actor's visible scope."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import F, Lookup, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from cosodang.core.access import Action, can, get_for, visible_to
from cosodang.core.vn import fold
from cosodang.orgs.models import PartyOrg
from cosodang.orgs.rules import path_successor

from . import rules
from .models import Member, OrgMemberCount, OrgMembership, PartyAgeGap, Position

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
    folded = fold(text)
    if connection.vendor != "postgresql":
        return Q(name_folded__contains=folded)
    return _trigram_name_clause(folded)


def _trigram_name_clause(folded: str) -> Q:
    """Match names containing `folded`, letting the trigram index read few posting lists.

    `name_folded LIKE '%nguyen thi ha%'` makes the GIN index intersect every trigram of the
    text, and the trigrams of common names ("ngu", " th", "thi"…) each list hundreds of
    thousands of members: 20-50 ms at 1,000,000 members. One three-letter piece of each
    word narrows the candidates as well for 3-10x less index work; the exact test is
    STRPOS, which the index cannot serve, so it only rechecks those candidates. Every piece
    is a substring of the text, so the rows are exactly those of the LIKE.
    """
    clause = Q(GreaterThan(StrIndex("name_folded", Value(folded)), 0))
    for piece in name_pieces(folded):
        clause &= Q(name_folded__contains=piece)
    return clause


def name_pieces(folded: str) -> list[str]:
    """Return one short substring of `folded` per word, each yielding one or two trigrams."""
    words = folded.split(" ")
    pieces: list[str] = []
    for i, word in enumerate(words):
        if len(word) >= 3:
            piece = word[:3]
        elif i + 1 < len(words):  # a short word followed by a space in the text: "vu "
            piece = word + " "
        elif i > 0:  # a short last word after a space: " ha"
            piece = " " + word
        else:
            continue  # one or two letters alone: no trigram to look up
        if piece not in pieces:
            pieces.append(piece)
    return pieces


def name_search(filters: MemberFilters) -> bool:
    """Tell whether the filters search by name (not by ID or card digits)."""
    text = filters.q.strip()
    return bool(text) and not _DIGITS.match(text.replace(" ", ""))


class _PathRange(Lookup):
    """`org_path` starts with the prefix, as the byte range [prefix, successor) (PostgreSQL).

    LIKE 'prefix%' finds the same range in the (org_path varchar_pattern_ops) index but then
    re-tests LIKE on every entry: counting a province's 78,000 members took 11 ms that way
    and 4 ms as a range. `~>=~`/`~<~` are the byte-wise operators of that index.
    """

    lookup_name = "path_range"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        prefix = getattr(self.rhs, "value", self.rhs)
        return f"({lhs} ~>=~ %s AND {lhs} ~<~ %s)", (*lhs_params, prefix, path_successor(prefix))


def in_subtree(path: str) -> Q:
    """Match members whose organisation is `path` or below it."""
    if connection.vendor == "postgresql" and path:
        return Q(_PathRange(F("org_path"), path))
    return Q(org_path__startswith=path)


def list_members(actor: Any, filters: MemberFilters) -> QuerySet[Member]:
    """Return the members the actor may see, filtered and sorted the Vietnamese way."""
    if filters.org is not None and can(actor, Action.VIEW_MEMBER, filters.org):
        # The actor's grants cover the whole subtree: the scope clauses would only repeat
        # the subtree filter (and halve the planner's row estimate).
        qs = Member.objects.filter(in_subtree(filters.org.path))
    else:
        qs = visible_to(actor, Member.objects.all(), Action.VIEW_MEMBER)
        if filters.org is not None:
            qs = qs.filter(in_subtree(filters.org.path))
    if filters.status:
        qs = qs.filter(status=filters.status)
    qs = qs.filter(search_clause(filters.q))
    return qs.select_related("org").only(*LIST_FIELDS).order_by("sort_key", "id")


# --- pages of the member list ------------------------------------------------------------------

# Counting stops here: a province's list (under 100,000) shows its exact size, the national
# list says "hơn 100.000" instead of counting a million index entries on every page view.
LIST_COUNT_CAP = 100_000
# A name search is counted in the same pass that finds its page (see MemberPaginator).
SEARCH_COUNT_CAP = 10_000


class MoreThan(int):
    """A count known only to exceed `bound`: the int bound + 1 that prints "hơn bound".

    Templates print it as text ("hơn 100.000 kết quả", "Trang 1/hơn 2.000"); it floats
    as NaN so that number filters such as floatformat fall back to that text too instead
    of printing a made-up exact number.
    """

    bound: int

    def __new__(cls, bound: int) -> MoreThan:
        value = super().__new__(cls, bound + 1)
        value.bound = bound
        return value

    def __str__(self) -> str:
        return f"hơn {self.bound:,}".replace(",", ".")

    def __float__(self) -> float:
        return float("nan")


class MemberPaginator(Paginator):
    """Paginate a member list, counting at most `cap` rows (more is shown as "hơn …").

    On PostgreSQL a name search (`one_pass`) finds its total and the ids of the page in one
    trigram-index pass over the matches (a MATERIALIZED CTE), then loads those 50 rows by
    primary key. Otherwise the planner could walk the sort index and filter millions of rows
    for a rare name, and the count would repeat the whole search.
    """

    def __init__(
        self,
        queryset: QuerySet[Member],
        per_page: int,
        *,
        cap: int,
        one_pass: bool,
        total: int | None = None,
    ):
        super().__init__(queryset, per_page)
        self.queryset = queryset
        self.cap = cap
        self.one_pass = one_pass and connection.vendor == "postgresql"
        self.total = total  # the exact count when known beforehand (member counters)

    def get_page(self, number: Any) -> Page:
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            wanted: int | None = int(number)
        except (TypeError, ValueError):
            wanted = None
        reach = max(wanted or 1, 1)
        limit = max(self.cap, reach * self.per_page) + 1
        ids: list[int] | None = None
        if self.total is not None:
            total = self.total
            limit = total + 1
        elif self.one_pass:
            total, ids = self._hits(limit, reach)
        else:
            total = self.queryset.order_by().values("pk")[:limit].count()
        if total >= limit:  # more rows than we counted: the page exists, the end is unknown
            self.__dict__["count"] = MoreThan(limit - 1)
            self.__dict__["num_pages"] = MoreThan((limit - 1) // self.per_page)
            return self._page(reach, None)  # `ids` came from an arbitrary `limit` matches
        self.__dict__["count"] = total
        if wanted is None:
            number = 1
        elif 1 <= wanted <= self.num_pages:
            number = wanted
        else:
            number = self.num_pages  # like Paginator.get_page: out of range → last page
        return self._page(number, ids if number == reach else None)

    def _hits(self, limit: int, number: int) -> tuple[int, list[int]]:
        inner = self.queryset.order_by().values_list("pk", "sort_key")[:limit]
        sql, params = inner.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH hits (id, sort_key) AS MATERIALIZED ({sql}) "
                "SELECT (SELECT count(*) FROM hits), "
                "ARRAY(SELECT id FROM hits ORDER BY sort_key, id LIMIT %s OFFSET %s)",
                [*params, self.per_page, (number - 1) * self.per_page],
            )
            total, ids = cursor.fetchone()
        return total, list(ids)

    def _page(self, number: int, ids: list[int] | None) -> Page:
        if ids is None:
            bottom = (number - 1) * self.per_page
            rows = list(self.queryset[bottom : bottom + self.per_page])
        elif ids:
            # The ids passed every filter already; fetch the 50 rows by primary key only.
            by_id = Member.objects.select_related("org").only(*LIST_FIELDS).in_bulk(ids)
            rows = [by_id[pk] for pk in ids]
        else:
            rows = []
        return Page(rows, number, self)


def count_subtree(path: str) -> int:
    """Return how many members (of any status) sit in the organisation `path` or below it.

    The sum of the per-organisation counters (members.counters keeps them exact): for a
    province about 4,600 index entries instead of its 78,000 members.
    """
    rows = OrgMemberCount.objects.filter(in_subtree(path)).aggregate(n=Sum("total"))
    return rows["n"] or 0


def _known_count(actor: Any, filters: MemberFilters) -> int | None:
    """Return the list's exact count when the counters hold it: a whole visible subtree."""
    org = filters.org
    if org is None or filters.q.strip() or filters.status:
        return None
    if not can(actor, Action.VIEW_MEMBER, org):
        return None  # the actor sees part of the subtree only: count the rows
    return count_subtree(org.path)


def paginate_members(
    queryset: QuerySet[Member],
    filters: MemberFilters,
    number: Any,
    per_page: int,
    *,
    actor: Any = None,
) -> Page:
    """Return one page of `list_members(actor, filters)` with a count cheap at any size.

    With `actor`, the list of a whole subtree the actor may see is counted from the member
    counters (exact, never capped); other lists count at most a cap of rows.
    """
    search = name_search(filters)
    paginator = MemberPaginator(
        queryset,
        per_page,
        cap=SEARCH_COUNT_CAP if search else LIST_COUNT_CAP,
        one_pass=search,
        total=None if actor is None else _known_count(actor, filters),
    )
    return paginator.get_page(number)


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
