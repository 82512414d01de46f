"""Tests for writes to the organisation tree: create, rename, move, merge, dissolve."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from cosodang.core.models import AuditEvent
from cosodang.core.testing import World, make_member, make_org
from cosodang.members.models import Member, OrgMembership
from cosodang.orgs import services
from cosodang.orgs.models import OrgEvent, OrgEventKind, PartyOrg
from cosodang.orgs.rules import OrgType

pytestmark = pytest.mark.django_db

DAY = date(2026, 1, 15)


def messages_of(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    """Return every message of a ValidationError as one string."""
    return " ".join(exc.value.messages)


# --- create ----------------------------------------------------------------------------------


def test_create_puts_the_new_org_under_its_parent_path(world: World) -> None:
    org = services.create_org(
        actor=world.staff_a,
        code="HN-PC02-D2",
        name="Chi bộ Đội 2",
        org_type=OrgType.CELL,
        parent=world.branch_a,
        effective_from=DAY,
    )
    assert org.path.startswith(world.branch_a.path)
    assert org.depth == world.branch_a.depth + 1


def test_create_records_a_founding_event(world: World) -> None:
    org = services.create_org(
        actor=world.staff_a,
        code="HN-PC02-D2",
        name="Chi bộ Đội 2",
        org_type=OrgType.CELL,
        parent=world.branch_a,
        effective_from=DAY,
        decision_ref="12-QĐ/ĐU",
    )
    event = org.events.get()
    assert (event.kind, event.date, event.decision_ref) == (OrgEventKind.CREATED, DAY, "12-QĐ/ĐU")


def test_create_under_a_wrong_parent_type_is_refused_naming_the_rule(world: World) -> None:
    # A "chi bộ trực thuộc" sits under a grassroots branch, never directly under a province.
    with pytest.raises(ValidationError) as exc:
        services.create_org(
            actor=world.staff_a,
            code="HN-X",
            name="Chi bộ lạc chỗ",
            org_type=OrgType.CELL,
            parent=world.province_a,
            effective_from=DAY,
        )
    text = messages_of(exc)
    assert "Chi bộ trực thuộc không thể trực thuộc Đảng bộ cấp tỉnh" in text
    assert "Điều lệ Đảng, Điều 10 và 21" in text


def test_create_under_a_wrong_parent_type_is_reported_on_the_parent_field(
    world: World,
) -> None:
    with pytest.raises(ValidationError) as exc:
        services.create_org(
            actor=world.staff_a,
            code="HN-X",
            name="Chi bộ lạc chỗ",
            org_type=OrgType.CELL,
            parent=world.province_a,
            effective_from=DAY,
        )
    assert "parent" in exc.value.message_dict


def test_create_under_a_wrong_parent_type_saves_nothing(world: World) -> None:
    before = (PartyOrg.objects.count(), OrgEvent.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError):
        services.create_org(
            actor=world.staff_a,
            code="HN-X",
            name="Chi bộ lạc chỗ",
            org_type=OrgType.CELL,
            parent=world.province_a,
            effective_from=DAY,
        )
    after = (PartyOrg.objects.count(), OrgEvent.objects.count(), AuditEvent.objects.count())
    assert after == before


def test_create_under_a_dissolved_parent_is_refused(world: World) -> None:
    branch = make_org("Đảng bộ đã giải thể", OrgType.GRASSROOTS_BRANCH, world.province_a)
    services.dissolve_org(actor=world.staff_a, org=branch, effective=DAY)
    branch.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.create_org(
            actor=world.staff_a,
            code="HN-Y",
            name="Chi bộ mới",
            org_type=OrgType.CELL,
            parent=branch,
            effective_from=DAY,
        )
    assert "đã giải thể" in messages_of(exc)


def test_create_with_a_duplicate_code_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.create_org(
            actor=world.staff_a,
            code=world.cell_a.code,
            name="Chi bộ trùng mã",
            org_type=OrgType.CELL,
            parent=world.branch_a,
            effective_from=DAY,
        )
    assert "code" in exc.value.message_dict


# --- rename ----------------------------------------------------------------------------------


def test_rename_changes_the_name_and_its_folded_form(world: World) -> None:
    services.rename_org(
        actor=world.staff_a, org=world.cell_a, name="Chi bộ Đội Trinh sát", effective=DAY
    )
    world.cell_a.refresh_from_db()
    assert (world.cell_a.name, world.cell_a.name_folded) == (
        "Chi bộ Đội Trinh sát",
        "chi bo doi trinh sat",
    )


def test_rename_keeps_an_org_event_with_the_old_and_new_name(world: World) -> None:
    services.rename_org(
        actor=world.staff_a,
        org=world.cell_a,
        name="Chi bộ Đội Trinh sát",
        effective=DAY,
        decision_ref="45-QĐ/ĐU",
    )
    event = world.cell_a.events.get(kind=OrgEventKind.RENAMED)
    assert (event.old_value, event.new_value, event.date, event.decision_ref) == (
        "Chi bộ Đội 1",
        "Chi bộ Đội Trinh sát",
        DAY,
        "45-QĐ/ĐU",
    )


def test_rename_to_a_blank_name_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.rename_org(actor=world.staff_a, org=world.cell_a, name="   ", effective=DAY)
    assert "name" in exc.value.message_dict


# --- move ------------------------------------------------------------------------------------


def test_move_rewrites_the_path_of_the_moved_org(world: World) -> None:
    services.move_org(
        actor=world.staff_a, org=world.branch_a, new_parent=world.province_b, effective=DAY
    )
    world.branch_a.refresh_from_db()
    assert world.branch_a.path.startswith(world.province_b.path)
    assert world.branch_a.parent_id == world.province_b.pk


def test_move_rewrites_the_paths_of_the_whole_subtree(world: World) -> None:
    group = make_org("Tổ đảng 1", OrgType.GROUP, world.cell_a)
    services.move_org(
        actor=world.staff_a, org=world.branch_a, new_parent=world.province_b, effective=DAY
    )
    branch = PartyOrg.objects.get(pk=world.branch_a.pk)
    cell = PartyOrg.objects.get(pk=world.cell_a.pk)
    group.refresh_from_db()
    assert cell.path == branch.path + world.cell_a.path[len(world.branch_a.path) :]
    assert group.path.startswith(cell.path)
    assert not PartyOrg.objects.filter(path__startswith=world.branch_a.path).exists()


def test_move_updates_the_depth_of_the_subtree(world: World) -> None:
    branch_c = make_org(
        "Đảng bộ Phòng Cảnh sát kinh tế", OrgType.GRASSROOTS_BRANCH, world.province_b
    )
    # A grassroots branch directly under the central root moves one level up.
    services.move_org(actor=world.admin, org=world.branch_a, new_parent=world.root, effective=DAY)
    cell = PartyOrg.objects.get(pk=world.cell_a.pk)
    assert cell.depth == world.root.depth + 2
    assert branch_c.depth == world.province_b.depth + 1


def test_move_rewrites_the_org_path_of_members_in_the_subtree(world: World) -> None:
    services.move_org(
        actor=world.staff_a, org=world.branch_a, new_parent=world.province_b, effective=DAY
    )
    cell = PartyOrg.objects.get(pk=world.cell_a.pk)
    paths = set(Member.objects.filter(org=cell).values_list("org_path", flat=True))
    assert paths == {cell.path}


def test_move_leaves_members_outside_the_subtree_alone(world: World) -> None:
    before = Member.objects.get(pk=world.member_b.pk).org_path
    services.move_org(
        actor=world.staff_a, org=world.branch_a, new_parent=world.province_b, effective=DAY
    )
    assert Member.objects.get(pk=world.member_b.pk).org_path == before


def test_move_records_the_old_and_new_superior(world: World) -> None:
    services.move_org(
        actor=world.staff_a, org=world.branch_a, new_parent=world.province_b, effective=DAY
    )
    event = world.branch_a.events.get(kind=OrgEventKind.MOVED)
    assert (event.old_value, event.new_value) == (world.province_a.name, world.province_b.name)


def test_moving_an_org_into_its_own_subtree_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.move_org(
            actor=world.staff_a, org=world.branch_a, new_parent=world.cell_a, effective=DAY
        )
    assert "cây con" in messages_of(exc)


def test_moving_an_org_into_its_own_subtree_changes_no_path(world: World) -> None:
    before = dict(PartyOrg.objects.values_list("pk", "path"))
    with pytest.raises(ValidationError):
        services.move_org(
            actor=world.staff_a, org=world.branch_a, new_parent=world.cell_a, effective=DAY
        )
    assert dict(PartyOrg.objects.values_list("pk", "path")) == before


def test_moving_an_org_under_a_wrong_parent_type_is_refused(world: World) -> None:
    # A cell cannot sit directly under a province.
    with pytest.raises(ValidationError) as exc:
        services.move_org(
            actor=world.staff_a, org=world.cell_a, new_parent=world.province_b, effective=DAY
        )
    assert "Điều lệ Đảng, Điều 10 và 21" in messages_of(exc)


# --- merge -----------------------------------------------------------------------------------


@pytest.fixture
def source(world: World) -> PartyOrg:
    """A second cell of branch A with two members and a Party group, to merge into cell A."""
    cell = make_org("Chi bộ Đội 2", OrgType.CELL, world.branch_a)
    make_member(cell, "Đỗ Văn Em")
    make_member(cell, "Vũ Thị Giang", sex="F")
    make_org("Tổ đảng Đội 2", OrgType.GROUP, cell)
    return cell


def test_merge_moves_the_members_to_the_target(world: World, source: PartyOrg) -> None:
    moved = set(Member.objects.filter(org=source).values_list("pk", flat=True))
    services.merge_orgs(actor=world.staff_a, source=source, target=world.cell_a, effective=DAY)
    members = Member.objects.filter(pk__in=moved)
    assert {(m.org_id, m.org_path) for m in members} == {(world.cell_a.pk, world.cell_a.path)}


def test_merge_closes_the_members_old_org_membership(world: World, source: PartyOrg) -> None:
    services.merge_orgs(actor=world.staff_a, source=source, target=world.cell_a, effective=DAY)
    old = OrgMembership.objects.filter(org=source)
    assert old.count() == 2
    assert set(old.values_list("end", flat=True)) == {DAY}


def test_merge_opens_a_new_org_membership_in_the_target(world: World, source: PartyOrg) -> None:
    moved = list(Member.objects.filter(org=source).values_list("pk", flat=True))
    services.merge_orgs(actor=world.staff_a, source=source, target=world.cell_a, effective=DAY)
    new = OrgMembership.objects.filter(member_id__in=moved, org=world.cell_a)
    assert [(m.start, m.end) for m in new] == [(DAY, None), (DAY, None)]


def test_merge_moves_the_sub_organisations_to_the_target(world: World, source: PartyOrg) -> None:
    services.merge_orgs(actor=world.staff_a, source=source, target=world.cell_a, effective=DAY)
    group = PartyOrg.objects.get(name="Tổ đảng Đội 2")
    assert group.parent_id == world.cell_a.pk
    assert group.path.startswith(world.cell_a.path)


def test_merge_closes_the_source_with_effective_to_and_merged_into(
    world: World, source: PartyOrg
) -> None:
    services.merge_orgs(actor=world.staff_a, source=source, target=world.cell_a, effective=DAY)
    source.refresh_from_db()
    assert (source.effective_to, source.merged_into_id) == (DAY, world.cell_a.pk)


def test_merge_keeps_the_source_in_the_database(world: World, source: PartyOrg) -> None:
    services.merge_orgs(actor=world.staff_a, source=source, target=world.cell_a, effective=DAY)
    assert PartyOrg.objects.filter(pk=source.pk, effective_to__isnull=False).exists()


def test_merge_records_a_merged_event_on_the_source(world: World, source: PartyOrg) -> None:
    services.merge_orgs(actor=world.staff_a, source=source, target=world.cell_a, effective=DAY)
    event = source.events.get(kind=OrgEventKind.MERGED)
    assert (event.old_value, event.new_value) == ("Chi bộ Đội 2", world.cell_a.name)


def test_merging_an_org_into_itself_is_refused(world: World) -> None:
    with pytest.raises(ValidationError):
        services.merge_orgs(
            actor=world.staff_a, source=world.cell_a, target=world.cell_a, effective=DAY
        )


def test_merging_an_org_into_its_own_subtree_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.merge_orgs(
            actor=world.staff_a, source=world.branch_a, target=world.cell_a, effective=DAY
        )
    assert "cây con" in messages_of(exc)


def test_merging_into_a_closed_org_is_refused(world: World, source: PartyOrg) -> None:
    empty = make_org("Chi bộ trống", OrgType.CELL, world.branch_a)
    services.dissolve_org(actor=world.staff_a, org=empty, effective=DAY)
    empty.refresh_from_db()
    with pytest.raises(ValidationError):
        services.merge_orgs(actor=world.staff_a, source=source, target=empty, effective=DAY)


# --- dissolve --------------------------------------------------------------------------------


def test_dissolve_is_refused_while_active_members_remain(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.dissolve_org(actor=world.staff_a, org=world.cell_a, effective=DAY)
    assert "Còn đảng viên đang sinh hoạt" in messages_of(exc)


def test_dissolve_is_refused_while_active_children_remain(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.dissolve_org(actor=world.staff_a, org=world.branch_a, effective=DAY)
    assert "Còn tổ chức trực thuộc" in messages_of(exc)


def test_refused_dissolve_leaves_the_org_open(world: World) -> None:
    with pytest.raises(ValidationError):
        services.dissolve_org(actor=world.staff_a, org=world.cell_a, effective=DAY)
    world.cell_a.refresh_from_db()
    assert world.cell_a.effective_to is None


def test_dissolve_is_allowed_when_only_former_members_remain(world: World) -> None:
    cell = make_org("Chi bộ cũ", OrgType.CELL, world.branch_a)
    make_member(cell, "Đinh Văn Hùng", status="transferred_out")
    services.dissolve_org(actor=world.staff_a, org=cell, effective=DAY)
    cell.refresh_from_db()
    assert cell.effective_to == DAY


def test_dissolved_org_stays_in_the_database_as_history(world: World) -> None:
    cell = make_org("Chi bộ trống", OrgType.CELL, world.branch_a)
    services.dissolve_org(actor=world.staff_a, org=cell, effective=DAY, decision_ref="9-QĐ")
    kept = PartyOrg.objects.get(pk=cell.pk)
    assert (kept.effective_to, kept.is_active) == (DAY, False)
    assert kept.events.filter(kind=OrgEventKind.DISSOLVED, decision_ref="9-QĐ").exists()


def test_dissolving_before_the_founding_date_is_refused(world: World) -> None:
    cell = make_org("Chi bộ trống", OrgType.CELL, world.branch_a)
    with pytest.raises(ValidationError) as exc:
        services.dissolve_org(actor=world.staff_a, org=cell, effective=date(2019, 1, 1))
    assert "effective" in exc.value.message_dict


def test_a_dissolved_org_cannot_be_renamed(world: World) -> None:
    cell = make_org("Chi bộ trống", OrgType.CELL, world.branch_a)
    services.dissolve_org(actor=world.staff_a, org=cell, effective=DAY)
    with pytest.raises(ValidationError):
        services.rename_org(actor=world.staff_a, org=cell, name="Tên mới", effective=DAY)


def test_merging_a_cell_with_members_into_a_non_cell_is_refused(world: World) -> None:
    cell = make_org("Chi bộ Đội 3", OrgType.CELL, world.branch_a)
    make_member(cell, "Đỗ Văn Em")
    with pytest.raises(ValidationError):
        services.merge_orgs(actor=world.staff_a, source=cell, target=world.branch_a, effective=DAY)


def test_merging_with_a_date_before_the_source_was_founded_is_refused(
    world: World, source: PartyOrg
) -> None:
    with pytest.raises(ValidationError):
        services.merge_orgs(
            actor=world.staff_a, source=source, target=world.cell_a, effective=date(2019, 1, 1)
        )
