"""The per-organisation member counters equal a fresh count after every kind of write."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from cosodang.core.models import AuditEvent
from cosodang.core.testing import World, make_member, make_org
from cosodang.members import counters, demo, importing, services
from cosodang.members.models import Member, OrgMemberCount
from cosodang.orgs import selectors as org_selectors
from cosodang.orgs import services as org_services
from cosodang.orgs.models import PartyOrg
from cosodang.orgs.rules import OrgType

from .test_import_support import new_row, run_import

pytestmark = pytest.mark.django_db

DAY = date(2026, 1, 15)


def fresh() -> dict[int, tuple[int, int, int]]:
    """Count official, probationary and all members per organisation from the member table."""
    out: dict[int, list[int]] = {}
    for org_id, status in Member.objects.values_list("org_id", "status"):
        counts = out.setdefault(org_id, [0, 0, 0])
        counts[2] += 1
        counter = counters.COUNTER_OF.get(status)
        if counter is not None:
            counts[counter] += 1
    return {pk: (c[0], c[1], c[2]) for pk, c in out.items()}


def stored() -> dict[int, tuple[int, int, int]]:
    """Return the non-zero counters."""
    return {
        c.org_id: (c.official, c.probationary, c.total)
        for c in OrgMemberCount.objects.all()
        if c.official or c.probationary or c.total
    }


def stale_paths() -> list[int]:
    return [
        c.org_id
        for c in OrgMemberCount.objects.select_related("org")
        if c.org_path != c.org.path  # type: ignore[attr-defined]
    ]


def member_data(**fields: object) -> dict[str, object]:
    data: dict[str, object] = {
        "full_name": "Đỗ Văn Mới",
        "sex": "M",
        "birth_date": date(1990, 1, 1),
        "national_id": "001090123456",
        "decision_date": date(2015, 3, 1),
        "ceremony_date": date(2015, 3, 10),
        "official_date": date(2016, 3, 10),
        "status": "official",
    }
    data.update(fields)
    return data


def matching(member: Member, **fields: object) -> dict[str, object]:
    values: dict[str, object] = {
        "national_id": member.national_id,
        "card_number": member.card_number,
        "full_name": member.full_name,
        "sex": member.get_sex_display(),
        "birth_date": member.birth_date,
        "org_code": member.org.code,
        "decision_date": member.decision_date,
        "ceremony_date": member.ceremony_date,
        "official_date": member.official_date,
        "status": member.status_label,
    }
    values.update(fields)
    return new_row(0, **values)  # type: ignore[arg-type]


def cell_2(world: World) -> PartyOrg:
    return make_org("Chi bộ Đội 2", OrgType.CELL, world.branch_a, "HN-PC02-D2")


# --- every kind of write -----------------------------------------------------------------------


def create(world: World) -> None:
    services.create_member(actor=world.staff_a, org=world.cell_a, data=member_data())


def create_probationary(world: World) -> None:
    data = member_data(
        decision_date=date(2025, 6, 1),
        ceremony_date=date(2025, 6, 10),
        official_date=None,
        status="probationary",
    )
    services.create_member(actor=world.staff_a, org=world.cell_a, data=data)


def make_probationary(world: World) -> None:
    services.update_member(
        actor=world.staff_a,
        member=world.member_a,
        data={"status": "probationary", "official_date": None},
    )


def transfer_out(world: World) -> None:
    services.update_member(
        actor=world.staff_a,
        member=world.member_a,
        data={"status": "transferred_out", "status_date": DAY},
    )


def exempt(world: World) -> None:  # exempted members still count as official
    services.update_member(
        actor=world.staff_a, member=world.member_a, data={"status": "exempted", "status_date": DAY}
    )


def move_to_another_cell(world: World) -> None:
    services.update_member(
        actor=world.staff_a, member=world.member_a, data={}, org=cell_2(world), effective=DAY
    )


def move_and_change_status(world: World) -> None:
    services.update_member(
        actor=world.staff_a,
        member=world.member_a,
        data={"status": "probationary", "official_date": None},
        org=cell_2(world),
        effective=DAY,
    )


def edit_other_fields(world: World) -> None:
    services.update_member(
        actor=world.staff_a, member=world.member_a, data={"police_position": "Đội phó"}
    )


def import_new(world: World) -> None:
    probationary = new_row(
        3,
        status="Dự bị",
        official_date=None,
        decision_date=date(2025, 6, 1),
        ceremony_date=date(2025, 6, 10),
    )
    batch = run_import(world, [new_row(1), new_row(2), probationary])
    assert batch.counts["new"] == 3, batch.rejections


def import_update(world: World) -> None:
    cell = cell_2(world)
    rows = [
        matching(world.member_a, org_code=cell.code),
        matching(world.secretary_member, status="Đã từ trần", status_date=DAY),
        matching(world.member_b, police_position="Đội trưởng"),
    ]
    batch = run_import(world, rows, mode="update", org="root", actor=world.admin)
    assert batch.counts["updated"] == 3, batch.rejections


def merge(world: World) -> None:
    cell = cell_2(world)
    make_member(cell, "Vũ Văn Sáp", status="probationary")
    org_services.merge_orgs(actor=world.staff_a, source=world.cell_a, target=cell, effective=DAY)


def merge_with_children(world: World) -> None:
    other = make_org("Đảng bộ Phòng PC01", OrgType.GRASSROOTS_BRANCH, world.province_a, "HN-PC01")
    org_services.merge_orgs(actor=world.staff_a, source=world.branch_a, target=other, effective=DAY)


def move_subtree(world: World) -> None:
    org_services.move_org(
        actor=world.admin, org=world.branch_a, new_parent=world.province_b, effective=DAY
    )


def dissolve(world: World) -> None:
    cell = cell_2(world)
    make_member(cell, "Lý Văn Chuyển", status="transferred_out")
    org_services.dissolve_org(actor=world.staff_a, org=cell, effective=DAY)


WRITES: list[Callable[[World], None]] = [
    create,
    create_probationary,
    make_probationary,
    transfer_out,
    exempt,
    move_to_another_cell,
    move_and_change_status,
    edit_other_fields,
    import_new,
    import_update,
    merge,
    merge_with_children,
    move_subtree,
    dissolve,
]


@pytest.mark.parametrize("write", WRITES, ids=[w.__name__ for w in WRITES])
def test_counters_equal_a_fresh_count_after(world: World, write: Callable[[World], None]) -> None:
    assert stored() == fresh()
    write(world)
    assert stored() == fresh()
    assert stale_paths() == []


def assert_org_nodes_count_like_the_member_table() -> None:
    counted = fresh()
    orgs = list(PartyOrg.objects.all())
    for node in org_selectors.build_nodes(orgs):
        under = [counted.get(o.pk, (0, 0, 0)) for o in orgs if o.path.startswith(node.org.path)]
        assert (node.counts.official, node.counts.probationary) == (
            sum(c[0] for c in under),
            sum(c[1] for c in under),
        ), node.org.name
        direct = counted.get(node.org.pk, (0, 0, 0))
        assert (node.direct.official, node.direct.probationary) == direct[:2]


@pytest.mark.parametrize("write", WRITES, ids=[w.__name__ for w in WRITES])
def test_org_pages_count_like_the_member_table_after(
    world: World, write: Callable[[World], None]
) -> None:
    write(world)
    assert_org_nodes_count_like_the_member_table()


def test_counters_equal_a_fresh_count_after_seed(db: None) -> None:
    demo.seed(members=150, seed=3)
    assert stored() == fresh()
    assert stale_paths() == []
    assert_org_nodes_count_like_the_member_table()


def test_a_refused_write_leaves_the_counters_unchanged(world: World) -> None:
    before = stored()
    with pytest.raises(ValidationError):
        services.update_member(
            actor=world.staff_a,
            member=world.member_a,
            data={"status": "probationary"},  # still has an official date: refused
        )
    assert stored() == before


def test_a_refused_import_leaves_the_counters_unchanged(world: World) -> None:
    before = stored()
    batch = run_import(world, [new_row(1), new_row(2, org_code="KHONG-CO")])
    assert batch.state == "refused"
    assert stored() == before


def test_the_importer_writes_the_counters_in_one_statement(world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    batch = importing.start_import(
        actor=world.staff_a,
        data=_xlsx([new_row(n) for n in range(1, 30)]),
        filename="x.xlsx",
        org=world.province_a,
        mode="skip",
    )
    with CaptureQueriesContext(connection) as ctx:
        importing.confirm_import(actor=world.staff_a, batch=batch)
    upserts = [q for q in ctx.captured_queries if "members_orgmembercount" in q["sql"]]
    assert len(upserts) == 1


def _xlsx(rows: list[dict[str, object]]) -> bytes:
    from .test_import_support import xlsx

    return xlsx(rows)


# --- repair ------------------------------------------------------------------------------------


def test_recount_finds_and_fixes_counters_changed_behind_the_services(world: World) -> None:
    OrgMemberCount.objects.filter(org=world.cell_a).update(official=99)
    Member.objects.filter(pk=world.member_b.pk).update(status="probationary")  # no counter
    differences = counters.recount()
    assert {d.code: (d.stored, d.actual) for d in differences} == {
        "HN-PC02-D1": ((99, 0, 4), (4, 0, 4)),
        "CT-NK": ((1, 0, 1), (0, 1, 1)),
    }
    assert stored() == fresh()


def test_recount_records_one_audit_event_when_it_fixes_something(world: World) -> None:
    OrgMemberCount.objects.filter(org=world.cell_a).update(official=99)
    before = AuditEvent.objects.count()
    counters.recount()
    assert AuditEvent.objects.count() == before + 1
    assert AuditEvent.objects.latest("id").action == "members.recount_members"


def test_recount_with_nothing_wrong_changes_nothing(world: World) -> None:
    before = AuditEvent.objects.count()
    assert counters.recount() == []
    assert AuditEvent.objects.count() == before


def test_recount_repairs_a_missing_row_and_a_stale_path(world: World) -> None:
    OrgMemberCount.objects.filter(org=world.cell_b).delete()
    OrgMemberCount.objects.filter(org=world.cell_a).update(org_path="ZZZ.")
    assert {d.code for d in counters.recount()} == {"HN-PC02-D1", "CT-NK"}
    assert (stored(), stale_paths()) == (fresh(), [])


def test_recount_command_check_reports_and_fails_without_fixing(world: World) -> None:
    OrgMemberCount.objects.filter(org=world.cell_a).update(official=99)
    out = StringIO()
    with pytest.raises(CommandError, match="1 tổ chức"):
        call_command("recount_members", "--check", stdout=out)
    assert "HN-PC02-D1" in out.getvalue() and "chính thức 99 → 4" in out.getvalue()
    assert stored()[world.cell_a.pk] == (99, 0, 4)


def test_recount_command_fixes_and_says_so(world: World) -> None:
    OrgMemberCount.objects.filter(org=world.cell_a).update(official=99)
    out = StringIO()
    call_command("recount_members", stdout=out)
    assert "Đã sửa bộ đếm của 1 tổ chức" in out.getvalue()
    assert stored() == fresh()
    out = StringIO()
    call_command("recount_members", "--check", stdout=out)
    assert "khớp" in out.getvalue()


def test_counters_of_a_new_org_appear_with_its_first_member(world: World) -> None:
    cell = make_org("Chi bộ mới", OrgType.CELL, world.branch_a)
    assert not OrgMemberCount.objects.filter(org=cell).exists()
    services.create_member(actor=world.staff_a, org=cell, data=member_data())
    row = OrgMemberCount.objects.get(org=cell)
    assert (row.org_path, row.official, row.probationary, row.total) == (cell.path, 1, 0, 1)
