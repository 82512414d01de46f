"""The paths written for scale answer exactly like the plain queries they replace.

Runs with the rest of the suite (SQLite locally, PostgreSQL in CI), where the PostgreSQL-only
paths are the ones that matter: the trigram-piece name search, the one-pass search page, the
capped count and the range counts of the organisation page.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cosodang.core.testing import World, make_member, make_org
from cosodang.core.vn import fold
from cosodang.members import selectors
from cosodang.members import views as member_views
from cosodang.members.models import ACTIVE_STATUSES, Member
from cosodang.members.rules import MemberStatus
from cosodang.orgs import selectors as org_selectors
from cosodang.orgs.rules import OrgType

pytestmark = pytest.mark.django_db

NAMES = (
    "Nguyễn Thị Hà",
    "Nguyễn Thị Hải",
    "Trần Nguyễn Thị Hà",
    "Nguyễn Văn A",
    "Vũ Thị Hương",
    "Võ Văn Hà",
    "H'Hen Niê",
    "Lê Hà",
    "Hà Văn Lê",
    "Đặng Văn Thử 12",
    "Phạm_Văn%Nam",
)
QUERIES = (
    "nguyen thi ha",
    "Nguyễn Thị",
    "thi h",
    "yen thi ha",
    "ha",
    "a",
    "le ha",
    "van a",
    "vu thi huong",
    "h'hen",
    "  nguyen   thi  ",
    "thu 1",
    "_van%",
    "khong co ai",
)


@pytest.fixture
def people(world: World) -> list[Member]:
    cell = make_org("Chi bộ tìm kiếm", OrgType.CELL, world.branch_a)
    return [make_member(cell, name) for name in NAMES]


@pytest.mark.parametrize("q", QUERIES)
def test_name_search_finds_exactly_the_members_whose_folded_name_contains_the_text(
    world: World, people: list[Member], q: str
) -> None:
    found = selectors.list_members(world.admin, selectors.MemberFilters(q=q))
    expected = Member.objects.filter(name_folded__contains=fold(q)).order_by("sort_key", "id")
    assert list(found.values_list("pk", flat=True)) == list(expected.values_list("pk", flat=True))


@pytest.mark.parametrize("q", [fold(q) for q in QUERIES if fold(q)])
def test_every_name_piece_is_a_substring_of_the_text(q: str) -> None:
    assert all(piece in q for piece in selectors.name_pieces(q))


def _page(client: Client, **params: Any) -> Any:
    response = client.get(reverse("members:list"), params)
    assert response.status_code == 200
    return response.context["page_obj"]


@pytest.fixture
def admin_client(world: World, client: Client) -> Client:
    client.force_login(world.admin)
    return client


def test_search_pages_hold_the_rows_of_the_plain_sorted_list_in_order(
    world: World, admin_client: Client
) -> None:
    cell = make_org("Chi bộ nhiều người", OrgType.CELL, world.branch_a)
    for i in range(120):
        make_member(cell, f"Nguyễn Thị Hà {i:03d}")
    expected = list(
        Member.objects.filter(name_folded__contains="nguyen thi ha")
        .order_by("sort_key", "id")
        .values_list("pk", flat=True)
    )
    seen: list[int] = []
    for number in (1, 2, 3):
        page = _page(admin_client, q="nguyen thi ha", page=number)
        seen += [m.pk for m in page.object_list]
        assert page.paginator.count == len(expected)
        assert page.paginator.num_pages == 3
    assert seen == expected


def test_a_page_past_the_end_shows_the_last_page_like_djangos_paginator(
    world: World, admin_client: Client
) -> None:
    page = _page(admin_client, q="thu", page=99)
    assert page.number == page.paginator.num_pages
    assert _page(admin_client, q="thu", page="x").number == 1


def test_a_count_past_the_cap_says_more_than_and_the_next_page_stays_reachable(
    world: World, admin_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "LIST_COUNT_CAP", 3)
    monkeypatch.setattr(member_views, "PAGE_SIZE", 2)
    assert Member.objects.count() > 3
    page = _page(admin_client)
    assert str(page.paginator.count) == "hơn 3"
    assert page.has_next()
    assert len(page.object_list) == 2
    html = admin_client.get(reverse("members:list")).content.decode()
    assert "hơn 3 kết quả" in html and "Trang 1/hơn 1" in html
    further = _page(admin_client, page=3)  # counting goes on as far as the page asked for
    assert further.number == 3


def test_a_search_count_past_the_cap_still_pages_in_vietnamese_order(
    world: World, admin_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 2)
    monkeypatch.setattr(member_views, "PAGE_SIZE", 2)
    cell = make_org("Chi bộ cắt", OrgType.CELL, world.branch_a)
    for name in ("Lê Văn Bình", "Lê Văn An", "Lê Văn Cường", "Lê Văn Dũng"):
        make_member(cell, name)
    expected = [
        m.pk
        for m in Member.objects.filter(name_folded__contains="le van").order_by("sort_key", "id")
    ]
    first, second = _page(admin_client, q="le van"), _page(admin_client, q="le van", page=2)
    assert str(first.paginator.count) == "hơn 2"
    assert [m.pk for m in first.object_list] + [m.pk for m in second.object_list] == expected


def test_more_than_prints_as_text_even_through_floatformat() -> None:
    from django.template import Context, Template

    value = selectors.MoreThan(100_000)
    rendered = Template('{{ v }}|{{ v|floatformat:"g" }}').render(Context({"v": value}))
    assert rendered == "hơn 100.000|hơn 100.000"
    assert value > 100_000


def _plain_counts(org: Any) -> tuple[int, int]:
    under = Member.objects.filter(org_path__startswith=org.path, status__in=ACTIVE_STATUSES)
    probationary = under.filter(status=MemberStatus.PROBATIONARY).count()
    return under.count() - probationary, probationary


def test_org_nodes_count_each_subtree_like_a_plain_prefix_count(world: World) -> None:
    extra = make_org("Đảng bộ bộ phận", OrgType.SUB_BRANCH, world.branch_a)
    make_member(extra, "Trần Văn Một")
    make_member(extra, "Trần Văn Hai", status="probationary")
    make_member(world.branch_a, "Trần Văn Ba")
    make_member(world.province_a, "Trần Văn Bốn")
    orgs = [world.root, world.province_a, world.branch_a, extra, world.cell_a, world.cell_b]
    for node in org_selectors.build_nodes(orgs):
        counts = (node.counts.official, node.counts.probationary)
        assert counts == _plain_counts(node.org), node.org.name


def test_org_page_counts_the_org_and_each_child_like_plain_prefix_counts(
    world: World, client: Client
) -> None:
    make_member(world.province_a, "Trần Văn Năm")
    client.force_login(world.staff_a)
    response = client.get(reverse("orgs:detail", args=[world.province_a.pk]))
    node, children = response.context["node"], response.context["children"]
    assert (node.counts.official, node.counts.probationary) == _plain_counts(world.province_a)
    for child in children:
        assert (child.counts.official, child.counts.probationary) == _plain_counts(child.org)
