"""Tests for the organisation pages: tree, org page, create/rename/move/merge/dissolve forms."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cosodang.accounts.models import Role, RoleGrant
from cosodang.core.models import AuditEvent
from cosodang.core.testing import World, make_member, make_org, make_user
from cosodang.members.models import Member
from cosodang.orgs.models import OrgEvent, OrgEventKind, PartyOrg
from cosodang.orgs.rules import OrgType

pytestmark = pytest.mark.django_db

DAY = "15/01/2026"
MIN_OFFICIAL_RULE = "Điều lệ Đảng, Điều 21 và 24"


@pytest.fixture
def staff(world: World, client: Client) -> Client:
    client.force_login(world.staff_a)
    return client


@pytest.fixture
def small_cell(world: World) -> PartyOrg:
    """A cell of branch A with two official members and one probationary member."""
    cell = make_org("Chi bộ Đội 2", OrgType.CELL, world.branch_a, code="HN-PC02-D2")
    make_member(cell, "Đỗ Văn Em")
    make_member(cell, "Vũ Thị Giang", sex="F")
    make_member(cell, "Lý Thị Mai", sex="F", status="probationary")
    return cell


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def writes() -> tuple[int, int, int]:
    """Count the rows organisation forms write."""
    return PartyOrg.objects.count(), OrgEvent.objects.count(), AuditEvent.objects.count()


# --- tree ------------------------------------------------------------------------------------


def test_tree_shows_a_cell_with_fewer_than_3_official_members_as_a_warning(
    world: World, small_cell: PartyOrg
) -> None:
    secretary = make_user("bi_thu_doi_2", role=Role.SECRETARY, org=small_cell)
    html = client_of(secretary).get(reverse("orgs:tree")).content.decode()
    assert "Tổ chức đảng có dưới 3 đảng viên chính thức (hiện có 2)" in html


def test_tree_names_the_rule_behind_a_structure_warning(world: World, small_cell: PartyOrg) -> None:
    secretary = make_user("bi_thu_doi_2", role=Role.SECRETARY, org=small_cell)
    html = client_of(secretary).get(reverse("orgs:tree")).content.decode()
    assert MIN_OFFICIAL_RULE in html


def test_tree_children_partial_shows_the_warning_of_a_small_cell(
    world: World, staff: Client, small_cell: PartyOrg
) -> None:
    response = staff.get(reverse("orgs:children", args=[world.branch_a.pk]))
    warned = {n.org.pk: [w.code for w in n.warnings] for n in response.context["nodes"]}
    assert warned == {world.cell_a.pk: [], small_cell.pk: ["min_official"]}
    assert MIN_OFFICIAL_RULE in response.content.decode()


def test_tree_children_partial_is_not_a_full_page(world: World, staff: Client) -> None:
    html = staff.get(reverse("orgs:children", args=[world.branch_a.pk])).content.decode()
    assert "<html" not in html
    assert world.cell_a.name in html


def test_tree_shows_no_warning_for_a_cell_with_4_official_members(world: World) -> None:
    response = client_of(world.secretary_a).get(reverse("orgs:tree"))
    assert [n.warnings for n in response.context["nodes"]] == [[]]


def test_tree_counts_official_and_probationary_members_of_a_subtree(
    world: World, staff: Client, small_cell: PartyOrg
) -> None:
    node = staff.get(reverse("orgs:tree")).context["nodes"][0]
    assert (node.org.pk, node.counts.official, node.counts.probationary) == (
        world.province_a.pk,
        6,
        1,
    )


def test_tree_search_finds_an_org_without_diacritics(world: World, staff: Client) -> None:
    response = staff.get(reverse("orgs:tree"), {"q": "canh sat hinh su"})
    assert [o.pk for o in response.context["found"]] == [world.branch_a.pk]


def test_tree_search_finds_an_org_by_code(world: World, staff: Client) -> None:
    response = staff.get(reverse("orgs:tree"), {"q": "hn-pc02-d1"})
    assert [o.pk for o in response.context["found"]] == [world.cell_a.pk]


# --- org page --------------------------------------------------------------------------------


def test_org_page_shows_official_and_probationary_counts(world: World, staff: Client) -> None:
    make_member(world.cell_a, "Lý Thị Mai", sex="F", status="probationary")
    html = staff.get(reverse("orgs:detail", args=[world.cell_a.pk])).content.decode()
    assert '<div class="num" id="count-official">4</div>' in html
    assert '<div class="num" id="count-probationary">1</div>' in html


def test_org_page_counts_the_whole_subtree(
    world: World, staff: Client, small_cell: PartyOrg
) -> None:
    node = staff.get(reverse("orgs:detail", args=[world.province_a.pk])).context["node"]
    assert (node.counts.official, node.counts.probationary, node.counts.total) == (6, 1, 7)


def test_org_page_does_not_count_former_members(world: World, staff: Client) -> None:
    make_member(world.cell_a, "Đinh Văn Hùng", status="transferred_out")
    node = staff.get(reverse("orgs:detail", args=[world.cell_a.pk])).context["node"]
    assert (node.counts.official, node.counts.probationary) == (4, 0)


def test_org_page_warns_when_probationary_members_leave_fewer_than_3_official(
    world: World, staff: Client, small_cell: PartyOrg
) -> None:
    html = staff.get(reverse("orgs:detail", args=[small_cell.pk])).content.decode()
    assert "dưới 3 đảng viên chính thức" in html
    assert f"Căn cứ: {MIN_OFFICIAL_RULE}" in html


def test_org_page_lists_the_members_of_the_cell(world: World, staff: Client) -> None:
    response = staff.get(reverse("orgs:detail", args=[world.cell_a.pk]))
    assert [m.full_name for m in response.context["members"]] == [
        "Trần Văn Bình",
        "Lê Minh Cường",
        "Nguyễn Thị Hà",
        "Hoàng Thị Lan",
    ]


def test_org_page_of_own_cell_hides_the_member_list_from_a_plain_member(world: World) -> None:
    response = client_of(world.plain_member_a).get(reverse("orgs:detail", args=[world.cell_a.pk]))
    assert (response.context["can_view_members"], response.context["members"]) == (False, [])


def test_org_page_shows_management_buttons_to_staff_only(world: World, staff: Client) -> None:
    url = reverse("orgs:detail", args=[world.cell_a.pk])
    rename = reverse("orgs:rename", args=[world.cell_a.pk])
    assert rename in staff.get(url).content.decode()
    assert rename not in client_of(world.secretary_a).get(url).content.decode()


def test_org_page_breadcrumbs_stop_at_the_users_scope(world: World) -> None:
    response = client_of(world.secretary_a).get(reverse("orgs:detail", args=[world.cell_a.pk]))
    assert response.context["crumbs"] == []


# --- query counts ----------------------------------------------------------------------------


def branch_with_cells(world: World, n: int) -> PartyOrg:
    """Return a grassroots branch of A with `n` cells of two members each."""
    branch = make_org(f"Đảng bộ {n} chi bộ", OrgType.GRASSROOTS_BRANCH, world.province_a)
    for i in range(n):
        cell = make_org(f"Chi bộ {n}-{i}", OrgType.CELL, branch)
        make_member(cell)
        make_member(cell, status="probationary")
    return branch


def test_org_page_query_count_does_not_grow_with_children_and_members(
    world: World, staff: Client
) -> None:
    few, many = branch_with_cells(world, 3), branch_with_cells(world, 12)
    assert count_queries(staff, reverse("orgs:detail", args=[few.pk])) == count_queries(
        staff, reverse("orgs:detail", args=[many.pk])
    )


def test_org_page_of_a_cell_query_count_does_not_grow_with_members(
    world: World, staff: Client
) -> None:
    url = reverse("orgs:detail", args=[world.cell_a.pk])
    before = count_queries(staff, url)
    for i in range(12):
        make_member(world.cell_a, f"Đặng Văn Thử {i}")
    assert count_queries(staff, url) == before


def test_org_page_of_an_org_without_members_of_its_own_does_not_read_the_member_list(
    world: World, staff: Client
) -> None:
    with CaptureQueriesContext(connection) as ctx:
        response = staff.get(reverse("orgs:detail", args=[world.province_a.pk]))
    assert response.context["members"] == []
    assert not [q for q in ctx.captured_queries if q["sql"].startswith('SELECT "members_member"')]


def test_org_page_lists_members_of_any_status_sitting_in_the_org(
    world: World, staff: Client
) -> None:
    cell = make_org("Chi bộ chỉ còn người đã chuyển đi", OrgType.CELL, world.branch_a)
    gone = make_member(cell, "Lý Văn Chuyển", status="transferred_out")
    response = staff.get(reverse("orgs:detail", args=[cell.pk]))
    assert (response.context["node"].counts.total, response.context["node"].members) == (0, 1)
    assert [m.pk for m in response.context["members"]] == [gone.pk]


def test_org_page_query_count_is_bounded(world: World, staff: Client) -> None:
    branch = branch_with_cells(world, 12)
    assert count_queries(staff, reverse("orgs:detail", args=[branch.pk])) <= 25


def test_tree_children_query_count_does_not_grow_with_children(world: World, staff: Client) -> None:
    few, many = branch_with_cells(world, 3), branch_with_cells(world, 12)
    assert count_queries(staff, reverse("orgs:children", args=[few.pk])) == count_queries(
        staff, reverse("orgs:children", args=[many.pk])
    )


def tree_queries_for_grants_on(orgs: list[PartyOrg], username: str) -> int:
    user = make_user(username)
    RoleGrant.objects.bulk_create([RoleGrant(user=user, org=o, role=Role.STAFF) for o in orgs])
    return count_queries(client_of(user), reverse("orgs:tree"))


def test_tree_query_count_does_not_grow_with_the_number_of_roots(world: World) -> None:
    few, many = branch_with_cells(world, 3), branch_with_cells(world, 12)
    assert tree_queries_for_grants_on(list(few.children.all()), "ba") == tree_queries_for_grants_on(
        list(many.children.all()), "muoi_hai"
    )


def test_tree_query_count_does_not_grow_with_roots_in_different_branches(world: World) -> None:
    cells = [branch_with_cells(world, 1).children.get() for _ in range(12)]
    assert tree_queries_for_grants_on(cells[:3], "ba") == tree_queries_for_grants_on(
        cells, "muoi_hai"
    )


def test_tree_query_count_is_bounded(world: World, staff: Client) -> None:
    branch_with_cells(world, 12)
    assert count_queries(staff, reverse("orgs:tree")) <= 12


# --- create ----------------------------------------------------------------------------------


def create(client: Client, parent: PartyOrg, **data: str) -> Any:
    body = {
        "code": "HN-PC02-D2",
        "name": "Chi bộ Đội 2",
        "org_type": "cell",
        "effective_from": DAY,
        **data,
    }
    return client.post(reverse("orgs:create", args=[parent.pk]), body)


def test_staff_creates_a_sub_organisation_with_a_dd_mm_yyyy_date(
    world: World, staff: Client
) -> None:
    create(staff, world.branch_a)
    org = PartyOrg.objects.get(code="HN-PC02-D2")
    assert (org.parent_id, org.effective_from) == (world.branch_a.pk, date(2026, 1, 15))


def test_create_redirects_to_the_new_org(world: World, staff: Client) -> None:
    response = create(staff, world.branch_a)
    org = PartyOrg.objects.get(code="HN-PC02-D2")
    assert response["Location"] == reverse("orgs:detail", args=[org.pk])


def test_create_under_a_wrong_parent_shows_the_rule(world: World, staff: Client) -> None:
    response = create(staff, world.province_a)
    text = " ".join(response.context["form"].non_field_errors())
    assert "không thể trực thuộc" in text
    assert "Điều lệ Đảng, Điều 10 và 21" in text


def test_create_under_a_wrong_parent_shows_no_english_field_name(
    world: World, staff: Client
) -> None:
    response = create(staff, world.province_a)
    assert "parent:" not in response.content.decode()


def test_create_with_a_bad_date_shows_a_vietnamese_error(world: World, staff: Client) -> None:
    response = create(staff, world.branch_a, effective_from="2026/01/15")
    assert response.context["form"].errors["effective_from"] == ["Ngày không hợp lệ (dd/mm/yyyy)."]


def test_create_with_a_bad_date_writes_nothing(world: World, staff: Client) -> None:
    before = writes()
    create(staff, world.branch_a, effective_from="31/02/2026")
    assert writes() == before


# --- rename ----------------------------------------------------------------------------------


def rename(client: Client, org: PartyOrg, **data: str) -> Any:
    body = {"name": "Chi bộ Đội Trinh sát", "effective": DAY, "decision_ref": "45-QĐ", **data}
    return client.post(reverse("orgs:rename", args=[org.pk]), body)


def test_staff_renames_an_org_from_a_dd_mm_yyyy_date(world: World, staff: Client) -> None:
    rename(staff, world.cell_a)
    event = OrgEvent.objects.get(org=world.cell_a, kind=OrgEventKind.RENAMED)
    assert (event.new_value, event.date) == ("Chi bộ Đội Trinh sát", date(2026, 1, 15))


def test_rename_form_starts_with_the_current_name(world: World, staff: Client) -> None:
    response = staff.get(reverse("orgs:rename", args=[world.cell_a.pk]))
    assert response.context["form"]["name"].value() == "Chi bộ Đội 1"


def test_renamed_org_page_shows_the_history(world: World, staff: Client) -> None:
    rename(staff, world.cell_a)
    html = staff.get(reverse("orgs:detail", args=[world.cell_a.pk])).content.decode()
    assert "15/01/2026 — Đổi tên: Chi bộ Đội 1 → Chi bộ Đội Trinh sát" in html


@pytest.mark.parametrize("bad", ["2026-15-01", "32/01/2026", "15.01.2026", "hôm nay"])
def test_rename_with_a_bad_date_shows_a_vietnamese_error(
    world: World, staff: Client, bad: str
) -> None:
    response = rename(staff, world.cell_a, effective=bad)
    assert response.context["form"].errors["effective"] == ["Ngày không hợp lệ (dd/mm/yyyy)."]


def test_rename_with_a_bad_date_writes_nothing(world: World, staff: Client) -> None:
    before = writes()
    rename(staff, world.cell_a, effective="32/01/2026")
    world.cell_a.refresh_from_db()
    assert (world.cell_a.name, writes()) == ("Chi bộ Đội 1", before)


# --- move ------------------------------------------------------------------------------------


def test_staff_moves_an_org_under_another_superior_by_code(world: World, staff: Client) -> None:
    other = make_org(
        "Đảng bộ Phòng Cảnh sát kinh tế",
        OrgType.GRASSROOTS_BRANCH,
        world.province_a,
        code="HN-PC03",
    )
    response = staff.post(
        reverse("orgs:move", args=[world.cell_a.pk]), {"target_code": "HN-PC03", "effective": DAY}
    )
    cell = PartyOrg.objects.get(pk=world.cell_a.pk)
    assert response["Location"] == reverse("orgs:detail", args=[cell.pk])
    assert (cell.parent_id, cell.path.startswith(other.path)) == (other.pk, True)


def test_move_into_own_subtree_shows_the_error_on_the_code(world: World, staff: Client) -> None:
    response = staff.post(
        reverse("orgs:move", args=[world.branch_a.pk]),
        {"target_code": world.cell_a.code, "effective": DAY},
    )
    assert "cây con" in " ".join(response.context["form"].errors["target_code"])


def test_move_to_an_unknown_code_shows_a_vietnamese_error(world: World, staff: Client) -> None:
    response = staff.post(
        reverse("orgs:move", args=[world.cell_a.pk]), {"target_code": "KHONG-CO", "effective": DAY}
    )
    assert response.context["form"].errors["target_code"] == [
        "Không tìm thấy tổ chức có mã này trong phạm vi quản lý."
    ]


def test_move_with_a_bad_date_writes_nothing(world: World, staff: Client) -> None:
    make_org(
        "Đảng bộ Phòng Cảnh sát kinh tế",
        OrgType.GRASSROOTS_BRANCH,
        world.province_a,
        code="HN-PC03",
    )
    before = (writes(), world.cell_a.path)
    staff.post(
        reverse("orgs:move", args=[world.cell_a.pk]),
        {"target_code": "HN-PC03", "effective": "15/13/2026"},
    )
    assert (writes(), PartyOrg.objects.get(pk=world.cell_a.pk).path) == before


# --- merge -----------------------------------------------------------------------------------


def test_staff_merges_an_org_into_another_by_code(
    world: World, staff: Client, small_cell: PartyOrg
) -> None:
    response = staff.post(
        reverse("orgs:merge", args=[small_cell.pk]),
        {"target_code": world.cell_a.code, "effective": DAY},
    )
    small_cell.refresh_from_db()
    assert response["Location"] == reverse("orgs:detail", args=[world.cell_a.pk])
    assert (small_cell.merged_into_id, small_cell.effective_to) == (
        world.cell_a.pk,
        date(2026, 1, 15),
    )


def test_merge_through_the_form_moves_the_members(
    world: World, staff: Client, small_cell: PartyOrg
) -> None:
    staff.post(
        reverse("orgs:merge", args=[small_cell.pk]),
        {"target_code": world.cell_a.code, "effective": DAY},
    )
    assert Member.objects.filter(org=world.cell_a).count() == 7


def test_merged_org_page_says_where_it_went(
    world: World, staff: Client, small_cell: PartyOrg
) -> None:
    staff.post(
        reverse("orgs:merge", args=[small_cell.pk]),
        {"target_code": world.cell_a.code, "effective": DAY},
    )
    html = staff.get(reverse("orgs:detail", args=[small_cell.pk])).content.decode()
    assert f"Đã sáp nhập vào {world.cell_a.name} ngày 15/01/2026" in html


def test_merge_with_a_bad_date_writes_nothing(
    world: World, staff: Client, small_cell: PartyOrg
) -> None:
    before = writes()
    staff.post(
        reverse("orgs:merge", args=[small_cell.pk]),
        {"target_code": world.cell_a.code, "effective": "2026-01-32"},
    )
    small_cell.refresh_from_db()
    assert (small_cell.effective_to, writes()) == (None, before)


# --- dissolve --------------------------------------------------------------------------------


def test_staff_dissolves_an_empty_org(world: World, staff: Client) -> None:
    empty = make_org("Chi bộ trống", OrgType.CELL, world.branch_a)
    staff.post(reverse("orgs:dissolve", args=[empty.pk]), {"effective": DAY, "confirm": "on"})
    empty.refresh_from_db()
    assert empty.effective_to == date(2026, 1, 15)


def test_dissolve_without_confirmation_writes_nothing(world: World, staff: Client) -> None:
    empty = make_org("Chi bộ trống", OrgType.CELL, world.branch_a)
    before = writes()
    response = staff.post(reverse("orgs:dissolve", args=[empty.pk]), {"effective": DAY})
    assert "confirm" in response.context["form"].errors
    assert writes() == before


def test_dissolve_of_a_cell_with_members_shows_why_in_vietnamese(
    world: World, staff: Client
) -> None:
    response = staff.post(
        reverse("orgs:dissolve", args=[world.cell_a.pk]), {"effective": DAY, "confirm": "on"}
    )
    assert "Còn đảng viên đang sinh hoạt" in " ".join(response.context["form"].non_field_errors())


def test_dissolve_with_a_bad_date_writes_nothing(world: World, staff: Client) -> None:
    empty = make_org("Chi bộ trống", OrgType.CELL, world.branch_a)
    before = writes()
    response = staff.post(
        reverse("orgs:dissolve", args=[empty.pk]), {"effective": "29/02/2026", "confirm": "on"}
    )
    assert response.context["form"].errors["effective"] == ["Ngày không hợp lệ (dd/mm/yyyy)."]
    assert writes() == before


def test_dissolved_org_page_hides_the_management_buttons(world: World, staff: Client) -> None:
    empty = make_org("Chi bộ trống", OrgType.CELL, world.branch_a)
    staff.post(reverse("orgs:dissolve", args=[empty.pk]), {"effective": DAY, "confirm": "on"})
    html = staff.get(reverse("orgs:detail", args=[empty.pk])).content.decode()
    assert "Đã giải thể ngày 15/01/2026" in html
    assert reverse("orgs:rename", args=[empty.pk]) not in html


def test_org_node_in_one_statement_matches_the_nodes_built_from_models(world: World) -> None:
    from cosodang.orgs import selectors

    branch = branch_with_cells(world, 3)
    closed = make_org("Chi bộ đã giải thể", OrgType.CELL, branch)
    PartyOrg.objects.filter(pk=closed.pk).update(effective_to=date(2025, 1, 1))
    make_member(branch)
    for actor in (world.admin, world.staff_a, world.secretary_a, world.staff_b):
        for org in (world.root, world.province_a, branch, world.cell_a):
            node, kids = selectors.get_org_node(actor, org)
            expected = selectors.build_nodes(
                [org, *selectors._children(actor, org, include_closed=True)]
            )
            got = [node, *kids]
            assert [(n.org.pk, n.org.name, n.org.is_active, n.org.type_label) for n in got] == [
                (n.org.pk, n.org.name, n.org.is_active, n.org.type_label) for n in expected
            ]
            assert [
                (n.counts, n.direct, n.committee_size, n.has_children, n.members, n.warnings)
                for n in got
            ] == [
                (n.counts, n.direct, n.committee_size, n.has_children, n.members, n.warnings)
                for n in expected
            ]
