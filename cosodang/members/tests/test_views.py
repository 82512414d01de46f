"""Tests for the member pages: search, Vietnamese sorting, profile, edit form, history forms."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cosodang.core.models import AuditEvent
from cosodang.core.testing import World, make_member, make_org, member_form_data
from cosodang.members import services
from cosodang.members.models import Member, OrgMembership
from cosodang.orgs.rules import OrgType

pytestmark = pytest.mark.django_db

DAY = "15/01/2026"


@pytest.fixture
def staff(world: World, client: Client) -> Client:
    client.force_login(world.staff_a)
    return client


def listed(client: Client, **params: Any) -> list[str]:
    """Return the names on the member list page for the given query parameters."""
    response = client.get(reverse("members:list"), params)
    return [m.full_name for m in response.context["page_obj"].object_list]


def count_queries(client: Client, url: str, **params: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# --- search ----------------------------------------------------------------------------------


def test_search_without_diacritics_finds_nguyen_thi_ha(staff: Client) -> None:
    assert listed(staff, q="nguyen thi ha") == ["Nguyễn Thị Hà"]


def test_search_ignores_case_and_extra_spaces(staff: Client) -> None:
    assert listed(staff, q="  NGUYEN   Thi HA ") == ["Nguyễn Thị Hà"]


def test_search_with_diacritics_finds_the_same_member(staff: Client) -> None:
    assert listed(staff, q="Nguyễn Thị Hà") == ["Nguyễn Thị Hà"]


def test_search_by_part_of_a_name_finds_every_match(staff: Client) -> None:
    assert listed(staff, q="thi") == ["Nguyễn Thị Hà", "Hoàng Thị Lan"]


def test_search_by_12_digit_national_id_finds_the_member(world: World, staff: Client) -> None:
    assert listed(staff, q=world.member_a.national_id) == ["Nguyễn Thị Hà"]


def test_search_by_card_number_finds_the_member(world: World, staff: Client) -> None:
    assert listed(staff, q=world.member_a.card_number) == ["Nguyễn Thị Hà"]


def test_search_by_the_first_digits_of_a_national_id_finds_the_member(
    world: World, staff: Client
) -> None:
    assert "Nguyễn Thị Hà" in listed(staff, q=world.member_a.national_id[:9])


def test_search_by_a_national_id_outside_the_scope_finds_nothing(
    world: World, staff: Client
) -> None:
    assert listed(staff, q=world.member_b.national_id) == []


def test_search_with_no_match_says_so_in_vietnamese(staff: Client) -> None:
    response = staff.get(reverse("members:list"), {"q": "khong co ai"})
    assert "Không tìm thấy đảng viên nào" in response.content.decode()


def test_status_filter_keeps_only_that_status(world: World, staff: Client) -> None:
    make_member(world.cell_a, "Lý Thị Mai", sex="F", status="probationary")
    assert listed(staff, status="probationary") == ["Lý Thị Mai"]


# --- sorting ---------------------------------------------------------------------------------


def test_list_is_sorted_by_given_name_the_vietnamese_way(staff: Client) -> None:
    assert listed(staff) == ["Trần Văn Bình", "Lê Minh Cường", "Nguyễn Thị Hà", "Hoàng Thị Lan"]


def test_list_sorts_d_before_dj_and_a_before_a_breve(world: World, staff: Client) -> None:
    cell = make_org("Chi bộ Đội 3", OrgType.CELL, world.branch_a)
    for name in ("Lê Văn Đức", "Lê Văn Dũng", "Lê Văn Ân", "Lê Văn Ăn", "Lê Văn An"):
        make_member(cell, name)
    assert listed(staff, org=cell.pk) == [
        "Lê Văn An",
        "Lê Văn Ăn",
        "Lê Văn Ân",
        "Lê Văn Dũng",
        "Lê Văn Đức",
    ]


def test_same_given_name_is_sorted_by_middle_then_family_name(world: World, staff: Client) -> None:
    cell = make_org("Chi bộ Đội 3", OrgType.CELL, world.branch_a)
    for name in ("Vũ Văn An", "Bùi Thị An", "Bùi Văn An"):
        make_member(cell, name)
    assert listed(staff, org=cell.pk) == ["Bùi Thị An", "Bùi Văn An", "Vũ Văn An"]


# --- query counts ----------------------------------------------------------------------------


def _cell_with_members(world: World, n: int) -> int:
    cell = make_org(f"Chi bộ {n} người", OrgType.CELL, world.branch_a)
    for i in range(n):
        make_member(cell, f"Đặng Văn Thử {i}", rank="dai_uy", police_position="Cán bộ")
    return cell.pk


def test_member_list_query_count_does_not_grow_with_rows(world: World, staff: Client) -> None:
    small, large = _cell_with_members(world, 10), _cell_with_members(world, 40)
    url = reverse("members:list")
    assert count_queries(staff, url, org=small) == count_queries(staff, url, org=large)


def test_member_search_query_count_does_not_grow_with_rows(world: World, staff: Client) -> None:
    _cell_with_members(world, 10)
    url = reverse("members:list")
    few = count_queries(staff, url, q="dang van thu 1")
    _cell_with_members(world, 40)
    assert count_queries(staff, url, q="dang van thu 1") == few


def page_of(client: Client, **params: Any) -> Any:
    response = client.get(reverse("members:list"), params)
    assert response.status_code == 200
    return response.context["page_obj"]


def test_a_subtree_list_counts_every_member_of_any_status(world: World, staff: Client) -> None:
    make_member(world.cell_a, "Lý Văn Đi", status="transferred_out", status_date=date(2025, 1, 1))
    expected = Member.objects.filter(org_path__startswith=world.province_a.path).count()
    assert page_of(staff, org=world.province_a.pk).paginator.count == expected == 5


def test_a_subtree_list_count_comes_from_the_counters_and_is_never_capped(
    world: World, staff: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cosodang.members import selectors

    monkeypatch.setattr(selectors, "LIST_COUNT_CAP", 2)
    page = page_of(staff, org=world.province_a.pk)
    assert (page.paginator.count, str(page.paginator.count)) == (4, "4")


def test_a_filtered_subtree_list_counts_its_rows(world: World, staff: Client) -> None:
    make_member(world.cell_a, "Lý Văn Mới", status="probationary")
    page = page_of(staff, org=world.province_a.pk, status="probationary")
    assert page.paginator.count == 1
    assert page_of(staff, org=world.province_a.pk, q="ly van").paginator.count == 1


def test_the_subtree_count_pages_like_the_rows(world: World, staff: Client) -> None:
    from cosodang.members import views

    cell = _cell_with_members(world, 7)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(views, "PAGE_SIZE", 3)
        pages = [page_of(staff, org=cell, page=n) for n in (1, 2, 3, 9)]
    assert [p.number for p in pages] == [1, 2, 3, 3]
    assert [len(p.object_list) for p in pages] == [3, 3, 1, 1]
    assert pages[0].paginator.num_pages == 3


def _history(world: World, member: Member, n: int) -> None:
    for i in range(n):
        services.add_reward(
            actor=world.staff_a, member=member, date=date(2015 + i, 1, 1), title=f"Giấy khen {i}"
        )
        services.add_discipline(
            actor=world.staff_a, member=member, date=date(2015 + i, 2, 1), form="khien_trach"
        )
        services.add_position(
            actor=world.staff_a,
            member=member,
            kind="police",
            title=f"Chức vụ {i}",
            start=date(2015 + i, 3, 1),
            org=world.cell_a,
        )
        services.add_gap(
            actor=world.staff_a,
            member=member,
            start=date(2015 + i, 4, 1),
            end=date(2015 + i, 5, 1),
            reason="other",
        )


def test_profile_query_count_does_not_grow_with_history_rows(world: World, staff: Client) -> None:
    short, long = (
        make_member(world.cell_a, "Đặng Văn Một"),
        make_member(world.cell_a, "Đặng Văn Hai"),
    )
    _history(world, short, 1)
    _history(world, long, 6)
    assert count_queries(staff, reverse("members:detail", args=[short.pk])) == count_queries(
        staff, reverse("members:detail", args=[long.pk])
    )


def test_profile_query_count_is_bounded(world: World, staff: Client) -> None:
    _history(world, world.member_a, 3)
    assert count_queries(staff, reverse("members:detail", args=[world.member_a.pk])) <= 15


# --- profile ---------------------------------------------------------------------------------


def test_profile_shows_the_party_age(world: World, staff: Client) -> None:
    response = staff.get(reverse("members:detail", args=[world.member_a.pk]))
    age = response.context["facts"].party_age
    assert age.years >= 15
    assert "Tuổi đảng" in response.content.decode()
    assert str(age) in response.content.decode()


def test_profile_party_age_excludes_a_gap(world: World, staff: Client) -> None:
    url = reverse("members:detail", args=[world.member_a.pk])
    before = staff.get(url).context["facts"].party_age
    services.add_gap(
        actor=world.staff_a,
        member=world.member_a,
        start=date(2012, 1, 1),
        end=date(2014, 1, 1),
        reason="lost_contact",
    )
    after = staff.get(url).context["facts"].party_age
    assert before.years - after.years == 2


@pytest.mark.parametrize(
    "tab, title",
    [
        ("tab-identity", "Lý lịch"),
        ("tab-party", "Thông tin Đảng"),
        ("tab-orgs", "Quá trình sinh hoạt"),
        ("tab-position", "Chức vụ"),
        ("tab-reward", "Khen thưởng"),
        ("tab-discipline", "Kỷ luật"),
        ("tab-gap", "Thời gian không tính tuổi đảng"),
    ],
)
def test_profile_shows_each_history_tab(world: World, staff: Client, tab: str, title: str) -> None:
    html = staff.get(reverse("members:detail", args=[world.member_a.pk])).content.decode()
    assert f'id="{tab}"' in html
    assert title in html


def test_profile_lists_the_org_history(world: World, staff: Client) -> None:
    html = staff.get(reverse("members:detail", args=[world.member_a.pk])).content.decode()
    assert "10/03/2010" in html  # start of the membership in cell A (the ceremony)


def test_profile_shows_identifiers_in_full_to_staff(world: World, staff: Client) -> None:
    html = staff.get(reverse("members:detail", args=[world.member_a.pk])).content.decode()
    assert world.member_a.national_id in html


def test_own_profile_of_a_plain_member_masks_the_identifiers(world: World, client: Client) -> None:
    own = world.plain_member_a.member
    client.force_login(world.plain_member_a)
    html = client.get(reverse("members:detail", args=[own.pk])).content.decode()
    assert own.national_id not in html
    assert own.card_number not in html


def test_plain_member_sees_no_edit_button_on_their_profile(world: World, client: Client) -> None:
    client.force_login(world.plain_member_a)
    response = client.get(reverse("members:detail", args=[world.plain_member_a.member.pk]))
    assert response.context["can_edit"] is False
    assert 'id="edit-member"' not in response.content.decode()


@pytest.mark.parametrize("kind", ["position", "reward", "discipline", "gap"])
def test_profile_shows_each_add_history_form_to_editors_as_a_fresh_form_renders(
    world: World, staff: Client, kind: str
) -> None:
    from django.template.loader import render_to_string

    from cosodang.members.forms import HISTORY_FORMS

    html = staff.get(reverse("members:detail", args=[world.member_a.pk])).content.decode()
    action = reverse("members:add_history", args=[world.member_a.pk, kind])
    fields = render_to_string("core/_form_fields.html", {"form": HISTORY_FORMS[kind]()})
    assert f'action="{action}"' in html
    assert fields in html


def test_plain_member_gets_no_add_history_form(world: World, client: Client) -> None:
    own = world.plain_member_a.member
    client.force_login(world.plain_member_a)
    html = client.get(reverse("members:detail", args=[own.pk])).content.decode()
    action = reverse("members:add_history", args=[own.pk, "position"])
    assert action not in html and 'name="party_post"' not in html


# --- edit form -------------------------------------------------------------------------------


def edit(client: Client, member: Member, **changes: Any) -> Any:
    return client.post(
        reverse("members:edit", args=[member.pk]), member_form_data(member, **changes)
    )


def test_edit_form_saves_a_change(world: World, staff: Client) -> None:
    response = edit(staff, world.member_a, police_position="Đội phó", rank="thieu_ta")
    member = Member.objects.get(pk=world.member_a.pk)
    assert response.status_code == 302
    assert (member.police_position, member.rank) == ("Đội phó", "thieu_ta")


def test_edit_form_redirects_to_the_profile(world: World, staff: Client) -> None:
    response = edit(staff, world.member_a, police_position="Đội phó")
    assert response["Location"] == reverse("members:detail", args=[world.member_a.pk])


def test_edit_form_reads_dd_mm_yyyy_dates(world: World, staff: Client) -> None:
    edit(staff, world.member_a, birth_date="02/09/1985")
    assert Member.objects.get(pk=world.member_a.pk).birth_date == date(1985, 9, 2)


def test_edit_form_shows_dates_as_dd_mm_yyyy(world: World, staff: Client) -> None:
    html = staff.get(reverse("members:edit", args=[world.member_a.pk])).content.decode()
    assert 'value="01/05/1985"' in html


def test_edit_form_refuses_a_13_digit_national_id_in_vietnamese(
    world: World, staff: Client
) -> None:
    response = edit(staff, world.member_a, national_id="0010000000011")
    errors = response.context["form"].errors["national_id"]
    assert response.status_code == 200
    assert any("tối đa 12" in e for e in errors)


def test_edit_form_refuses_a_national_id_with_letters_in_vietnamese(
    world: World, staff: Client
) -> None:
    response = edit(staff, world.member_a, national_id="00100000001A")
    assert response.context["form"].errors["national_id"] == ["Phải gồm đúng 12 chữ số."]


def test_edit_form_refuses_a_malformed_date_in_vietnamese(world: World, staff: Client) -> None:
    response = edit(staff, world.member_a, birth_date="31/02/1985")
    assert response.context["form"].errors["birth_date"] == ["Ngày không hợp lệ (dd/mm/yyyy)."]


def test_edit_form_shows_the_charter_rule_for_a_wrong_official_date(
    world: World, staff: Client
) -> None:
    response = edit(staff, world.member_a, official_date="11/03/2011")
    assert "Điều lệ Đảng" in " ".join(response.context["form"].errors["official_date"])


def test_edit_form_shows_a_summary_banner_on_errors(world: World, staff: Client) -> None:
    response = edit(staff, world.member_a, birth_date="31/02/1985")
    assert "Chưa lưu" in response.content.decode()


@pytest.mark.parametrize(
    "changes",
    [
        {"national_id": "0010000000011"},
        {"birth_date": "31/02/1985"},
        {"birth_date": "1985-13-01"},
        {"official_date": "11/03/2011"},
    ],
    ids=["13-digit id", "31 February", "month 13", "wrong official date"],
)
def test_edit_form_with_bad_input_saves_nothing(
    world: World, staff: Client, changes: dict[str, str]
) -> None:
    before = list(Member.objects.filter(pk=world.member_a.pk).values())
    events = AuditEvent.objects.count()
    edit(staff, world.member_a, police_position="Đội phó", **changes)
    assert list(Member.objects.filter(pk=world.member_a.pk).values()) == before
    assert AuditEvent.objects.count() == events


def test_edit_form_moves_a_member_to_another_cell(world: World, staff: Client) -> None:
    cell = make_org("Chi bộ Đội 2", OrgType.CELL, world.branch_a)
    edit(staff, world.member_a, org=cell.pk)
    assert OrgMembership.objects.filter(member=world.member_a, org=cell, end=None).exists()


def test_edit_form_offers_only_cells_in_scope(world: World, staff: Client) -> None:
    response = staff.get(reverse("members:edit", args=[world.member_a.pk]))
    offered = set(response.context["form"].fields["org"].queryset.values_list("pk", flat=True))
    assert offered == {world.cell_a.pk}


def test_create_form_adds_a_member(world: World, staff: Client) -> None:
    data = member_form_data(
        world.member_a,
        full_name="Phan Văn Khải",
        sex="M",
        national_id="001090000777",
        card_number="790000000777",
    )
    response = staff.post(reverse("members:create"), data)
    member = Member.objects.get(full_name="Phan Văn Khải")
    assert response["Location"] == reverse("members:detail", args=[member.pk])


def test_create_form_refuses_a_duplicate_national_id(world: World, staff: Client) -> None:
    data = member_form_data(world.member_a, full_name="Phan Văn Khải", card_number="")
    before = Member.objects.count()
    response = staff.post(reverse("members:create"), data)
    assert "national_id" in response.context["form"].errors
    assert Member.objects.count() == before


# --- htmx ------------------------------------------------------------------------------------


def test_htmx_search_returns_only_the_results_partial(staff: Client) -> None:
    response = staff.get(
        reverse("members:list"),
        {"q": "nguyen thi ha"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="results",
    )
    html = response.content.decode()
    assert 'id="member-table"' in html
    assert "Nguyễn Thị Hà" in html
    assert "<html" not in html
    assert 'role="search"' not in html


def test_htmx_request_for_another_target_gets_the_full_page(staff: Client) -> None:
    response = staff.get(reverse("members:list"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="main")
    assert "<html" in response.content.decode()


def test_plain_request_gets_the_full_page(staff: Client) -> None:
    html = staff.get(reverse("members:list")).content.decode()
    assert "<html" in html
    assert 'id="results"' in html


# --- history forms on the profile ------------------------------------------------------------


def add_history(client: Client, member: Member, kind: str, data: dict[str, str]) -> Any:
    return client.post(reverse("members:add_history", args=[member.pk, kind]), data)


def test_adding_a_position_through_the_profile_form_works(world: World, staff: Client) -> None:
    add_history(
        staff,
        world.member_a,
        "position",
        {"kind": "party", "party_post": "pho_bi_thu", "start": DAY},
    )
    position = world.member_a.positions.get()
    assert (position.party_post, position.start, position.org_id) == (
        "pho_bi_thu",
        date(2026, 1, 15),
        world.cell_a.pk,
    )


def test_adding_a_reward_through_the_profile_form_works(world: World, staff: Client) -> None:
    add_history(
        staff,
        world.member_a,
        "reward",
        {"date": DAY, "title": "Giấy khen", "decision_ref": "12-QĐ"},
    )
    assert list(world.member_a.rewards.values_list("title", "date")) == [
        ("Giấy khen", date(2026, 1, 15))
    ]


def test_adding_a_discipline_through_the_profile_form_works(world: World, staff: Client) -> None:
    add_history(
        staff, world.member_a, "discipline", {"date": DAY, "form": "canh_cao", "reason": "Vi phạm"}
    )
    assert list(world.member_a.disciplines.values_list("form", flat=True)) == ["canh_cao"]


def test_adding_a_gap_through_the_profile_form_works(world: World, staff: Client) -> None:
    add_history(
        staff,
        world.member_a,
        "gap",
        {"start": "01/01/2012", "end": "01/01/2013", "reason": "lost_contact"},
    )
    assert list(world.member_a.gaps.values_list("start", "end")) == [
        (date(2012, 1, 1), date(2013, 1, 1))
    ]


def test_adding_history_redirects_to_its_tab(world: World, staff: Client) -> None:
    response = add_history(staff, world.member_a, "reward", {"date": DAY, "title": "Giấy khen"})
    assert response["Location"] == (
        reverse("members:detail", args=[world.member_a.pk]) + "#tab-reward"
    )


def test_added_reward_appears_on_the_profile(world: World, staff: Client) -> None:
    add_history(staff, world.member_a, "reward", {"date": DAY, "title": "Bằng khen Bộ"})
    html = staff.get(reverse("members:detail", args=[world.member_a.pk])).content.decode()
    assert "Bằng khen Bộ" in html


def test_refused_history_row_shows_the_rule_as_a_message(world: World, staff: Client) -> None:
    probationary = make_member(world.cell_a, "Lý Thị Mai", sex="F", status="probationary")
    response = add_history(staff, probationary, "discipline", {"date": DAY, "form": "khai_tru"})
    shown = [str(m) for m in response.wsgi_request._messages]
    assert any("Điều 35" in m for m in shown)
    assert not probationary.disciplines.exists()


def test_history_form_with_a_bad_date_adds_nothing(world: World, staff: Client) -> None:
    response = add_history(
        staff, world.member_a, "reward", {"date": "32/01/2026", "title": "Giấy khen"}
    )
    shown = [str(m) for m in response.wsgi_request._messages]
    assert any("Ngày không hợp lệ" in m for m in shown)
    assert not world.member_a.rewards.exists()


def test_unknown_history_kind_is_404(world: World, staff: Client) -> None:
    response = add_history(staff, world.member_a, "medal", {"date": DAY})
    assert response.status_code == 404


def test_member_list_response_varies_on_the_htmx_headers(staff: Client) -> None:
    response = staff.get(reverse("members:list"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert "HX-Request" in response.get("Vary", "")
