"""Tests for the audit trail: one event per service write, the hash chain, masking, scoping."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from cosodang.accounts import services as account_services
from cosodang.accounts.models import ApiToken, Role, RoleGrant
from cosodang.core import access
from cosodang.core.access import Action
from cosodang.core.audit import compute_hash, masked_diff, verify_chain
from cosodang.core.models import AuditEvent, AuditHead
from cosodang.core.testing import World, make_member, make_org, make_user
from cosodang.members import services as member_services
from cosodang.members.models import (
    Discipline,
    Member,
    OrgMembership,
    PartyAgeGap,
    Position,
    Reward,
)
from cosodang.orgs import services as org_services
from cosodang.orgs.models import OrgEvent, PartyOrg
from cosodang.orgs.rules import OrgType

pytestmark = pytest.mark.django_db

DAY = date(2026, 1, 15)
NATIONAL_ID = "001099012345"
CARD_NUMBER = "790000054321"


def new_member_data(**changes: Any) -> dict[str, Any]:
    """Return valid data for a new official member."""
    data: dict[str, Any] = {
        "full_name": "Phan Văn Khải",
        "sex": "M",
        "birth_date": date(1990, 2, 3),
        "national_id": NATIONAL_ID,
        "card_number": CARD_NUMBER,
        "decision_date": date(2015, 3, 1),
        "ceremony_date": date(2015, 3, 10),
        "official_date": date(2016, 3, 10),
        "status": "official",
    }
    data.update(changes)
    return data


# --- one event per service write -------------------------------------------------------------

# Each entry prepares what the service needs (without auditing) and returns the call itself.
Prepared = Callable[[], Any]


def _create_org(w: World) -> Prepared:
    return lambda: org_services.create_org(
        actor=w.staff_a,
        code="HN-PC02-D2",
        name="Chi bộ Đội 2",
        org_type=OrgType.CELL,
        parent=w.branch_a,
        effective_from=DAY,
    )


def _rename_org(w: World) -> Prepared:
    return lambda: org_services.rename_org(
        actor=w.staff_a, org=w.cell_a, name="Chi bộ mới", effective=DAY
    )


def _move_org(w: World) -> Prepared:
    return lambda: org_services.move_org(
        actor=w.staff_a, org=w.branch_a, new_parent=w.province_b, effective=DAY
    )


def _merge_orgs(w: World) -> Prepared:
    source = make_org("Chi bộ Đội 2", OrgType.CELL, w.branch_a)
    make_member(source, "Đỗ Văn Em")
    return lambda: org_services.merge_orgs(
        actor=w.staff_a, source=source, target=w.cell_a, effective=DAY
    )


def _dissolve_org(w: World) -> Prepared:
    empty = make_org("Chi bộ trống", OrgType.CELL, w.branch_a)
    return lambda: org_services.dissolve_org(actor=w.staff_a, org=empty, effective=DAY)


def _create_member(w: World) -> Prepared:
    return lambda: member_services.create_member(
        actor=w.staff_a, org=w.cell_a, data=new_member_data()
    )


def _update_member(w: World) -> Prepared:
    return lambda: member_services.update_member(
        actor=w.staff_a, member=w.member_a, data={"phone": "0912345678"}
    )


def _add_position(w: World) -> Prepared:
    return lambda: member_services.add_position(
        actor=w.staff_a, member=w.member_a, start=DAY, party_post="bi_thu", org=w.cell_a
    )


def _add_reward(w: World) -> Prepared:
    return lambda: member_services.add_reward(
        actor=w.staff_a, member=w.member_a, date=DAY, title="Giấy khen"
    )


def _add_discipline(w: World) -> Prepared:
    return lambda: member_services.add_discipline(
        actor=w.staff_a, member=w.member_a, date=DAY, form="khien_trach"
    )


def _add_gap(w: World) -> Prepared:
    return lambda: member_services.add_gap(
        actor=w.staff_a,
        member=w.member_a,
        start=date(2012, 1, 1),
        end=date(2013, 1, 1),
        reason="lost_contact",
    )


def _create_api_token(w: World) -> Prepared:
    return lambda: account_services.create_api_token(
        actor=w.staff_a, user=w.staff_a, name="Báo cáo"
    )


def _revoke_api_token(w: World) -> Prepared:
    token = ApiToken.objects.create(user=w.staff_a, name="cũ", prefix="csd_cu", key_hash="0" * 64)
    return lambda: account_services.revoke_api_token(actor=w.staff_a, token=token)


def _grant_role(w: World) -> Prepared:
    user = make_user("nguoi_moi")
    return lambda: account_services.grant_role(
        actor=w.admin, user=user, org=w.cell_a, role=Role.SECRETARY
    )


SERVICES: dict[str, Callable[[World], Prepared]] = {
    "orgs.create_org": _create_org,
    "orgs.rename_org": _rename_org,
    "orgs.move_org": _move_org,
    "orgs.merge_orgs": _merge_orgs,
    "orgs.dissolve_org": _dissolve_org,
    "members.create_member": _create_member,
    "members.update_member": _update_member,
    "members.add_position": _add_position,
    "members.add_reward": _add_reward,
    "members.add_discipline": _add_discipline,
    "members.add_gap": _add_gap,
    "accounts.create_api_token": _create_api_token,
    "accounts.revoke_api_token": _revoke_api_token,
    "accounts.grant_role": _grant_role,
}


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_writes_exactly_one_audit_event(world: World, service: str) -> None:
    call = SERVICES[service](world)
    before = AuditEvent.objects.count()
    call()
    assert AuditEvent.objects.count() == before + 1


@pytest.mark.parametrize("service", SERVICES)
def test_the_audit_event_is_named_after_the_service(world: World, service: str) -> None:
    SERVICES[service](world)()
    assert AuditEvent.objects.order_by("-id").first().action == service  # type: ignore[union-attr]


@pytest.mark.parametrize("service", SERVICES)
def test_the_audit_event_carries_the_actor(world: World, service: str) -> None:
    SERVICES[service](world)()
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    assert event.actor_id is not None
    assert event.actor_label == event.actor.username  # type: ignore[union-attr]


@pytest.mark.parametrize("service", [s for s in SERVICES if not s.startswith("accounts.")])
def test_the_audit_event_of_a_domain_write_names_its_org_path(world: World, service: str) -> None:
    SERVICES[service](world)()
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    assert event.org_path.startswith(world.root.path)


def test_update_member_records_the_changed_field_before_and_after(world: World) -> None:
    _update_member(world)()
    event = AuditEvent.objects.get(action="members.update_member")
    assert event.diff == {"phone": ["", "0912345678"]}


# --- a refused write writes nothing ----------------------------------------------------------

TABLES = (
    PartyOrg,
    OrgEvent,
    Member,
    OrgMembership,
    Position,
    Reward,
    Discipline,
    PartyAgeGap,
    AuditEvent,
    AuditHead,
    ApiToken,
    RoleGrant,
)


def db_state() -> dict[str, list[dict[str, Any]]]:
    """Return every row of every table a service writes, to compare before and after."""
    return {m._meta.label: list(m.objects.order_by("pk").values()) for m in TABLES}


def _probationary(w: World) -> Member:
    return make_member(w.cell_a, "Lý Thị Mai", sex="F", status="probationary")


REFUSED: dict[str, Callable[[World], Prepared]] = {
    "create_org under a wrong parent": lambda w: (
        lambda: org_services.create_org(
            actor=w.staff_a,
            code="X-1",
            name="Chi bộ lạc chỗ",
            org_type=OrgType.CELL,
            parent=w.province_a,
            effective_from=DAY,
        )
    ),
    "rename_org to a blank name": lambda w: (
        lambda: org_services.rename_org(actor=w.staff_a, org=w.cell_a, name=" ", effective=DAY)
    ),
    "move_org into its own subtree": lambda w: (
        lambda: org_services.move_org(
            actor=w.staff_a, org=w.branch_a, new_parent=w.cell_a, effective=DAY
        )
    ),
    "merge_orgs into its own subtree": lambda w: (
        lambda: org_services.merge_orgs(
            actor=w.staff_a, source=w.branch_a, target=w.cell_a, effective=DAY
        )
    ),
    "dissolve_org with members": lambda w: (
        lambda: org_services.dissolve_org(actor=w.staff_a, org=w.cell_a, effective=DAY)
    ),
    "create_member with a 13-digit national id": lambda w: (
        lambda: member_services.create_member(
            actor=w.staff_a, org=w.cell_a, data=new_member_data(national_id="0010990123456")
        )
    ),
    "update_member moving cell with a wrong official date": lambda w: (
        lambda cell: (
            lambda: member_services.update_member(
                actor=w.staff_a,
                member=w.member_a,
                org=cell,
                effective=DAY,
                data={"official_date": date(2011, 3, 11)},
            )
        )
    )(make_org("Chi bộ Đội 2", OrgType.CELL, w.branch_a)),
    "add_position of a secretary for a probationary member": lambda w: (
        lambda m: (
            lambda: member_services.add_position(
                actor=w.staff_a, member=m, start=DAY, party_post="bi_thu", org=w.cell_a
            )
        )
    )(_probationary(w)),
    "add_reward without a title": lambda w: (
        lambda: member_services.add_reward(actor=w.staff_a, member=w.member_a, date=DAY, title="")
    ),
    "add_discipline expelling a probationary member": lambda w: (
        lambda m: (
            lambda: member_services.add_discipline(
                actor=w.staff_a, member=m, date=DAY, form="khai_tru"
            )
        )
    )(_probationary(w)),
    "add_gap before the admission": lambda w: (
        lambda: member_services.add_gap(
            actor=w.staff_a, member=w.member_a, start=date(2000, 1, 1), end=None, reason="other"
        )
    ),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_refused_service_call_raises_validation_error(world: World, case: str) -> None:
    call = REFUSED[case](world)
    with pytest.raises(ValidationError):
        call()


@pytest.mark.parametrize("case", REFUSED)
def test_a_refused_service_call_writes_no_audit_event_and_nothing_else(
    world: World, case: str
) -> None:
    call = REFUSED[case](world)
    before = db_state()
    with pytest.raises(ValidationError):
        call()
    assert db_state() == before


# --- the hash chain --------------------------------------------------------------------------


def several_writes(w: World) -> list[AuditEvent]:
    """Make five audited writes and return their events, oldest first."""
    for prepare in (_rename_org, _create_member, _update_member, _add_reward, _add_gap):
        prepare(w)()
    return list(AuditEvent.objects.order_by("id"))


def run_verify() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def broken_id(exc: pytest.ExceptionInfo[CommandError]) -> int:
    match = re.search(r"#(\d+)", str(exc.value))
    assert match, str(exc.value)
    return int(match[1])


def test_verify_chain_is_ok_after_several_writes(world: World) -> None:
    several_writes(world)
    result = verify_chain()
    assert (result.ok, result.checked) == (True, 5)


def test_verify_chain_is_ok_on_an_empty_trail(db: None) -> None:
    assert verify_chain().ok


def test_each_event_links_to_the_hash_of_the_previous_one(world: World) -> None:
    events = several_writes(world)
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]


def test_each_event_hash_covers_its_content(world: World) -> None:
    events = several_writes(world)
    assert all(compute_hash(e) == e.hash for e in events)


def test_verify_audit_command_prints_ok(world: World) -> None:
    several_writes(world)
    assert run_verify().startswith("OK: 5 sự kiện")


def test_verify_audit_names_an_event_whose_diff_was_edited_in_sql(world: World) -> None:
    target = several_writes(world)[2]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET diff = %s WHERE id = %s",
            ['{"phone": ["", "0000000000"]}', target.pk],
        )
    with pytest.raises(CommandError) as exc:
        run_verify()
    assert broken_id(exc) == target.pk


def test_verify_audit_names_an_event_edited_and_rehashed_at_the_next_event(
    world: World,
) -> None:
    events = several_writes(world)
    target = events[2]
    target.diff = {"phone": ["", "0000000000"]}
    forged = compute_hash(target)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET diff = %s, hash = %s WHERE id = %s",
            ['{"phone": ["", "0000000000"]}', forged, target.pk],
        )
    with pytest.raises(CommandError) as exc:
        run_verify()
    assert broken_id(exc) == events[3].pk


def test_verify_audit_names_the_row_after_a_deleted_middle_row(world: World) -> None:
    events = several_writes(world)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [events[2].pk])
    with pytest.raises(CommandError) as exc:
        run_verify()
    assert broken_id(exc) == events[3].pk


def test_verify_audit_fails_after_the_last_row_is_deleted(world: World) -> None:
    events = several_writes(world)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [events[-1].pk])
    with pytest.raises(CommandError):
        run_verify()


def test_verify_audit_names_the_deleted_last_row(world: World) -> None:
    events = several_writes(world)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [events[-1].pk])
    with pytest.raises(CommandError) as exc:
        run_verify()
    assert broken_id(exc) == events[-1].pk


def test_verify_audit_fails_after_the_first_row_is_deleted(world: World) -> None:
    events = several_writes(world)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [events[0].pk])
    with pytest.raises(CommandError) as exc:
        run_verify()
    assert broken_id(exc) == events[1].pk


# --- identifiers masked for viewers without the right ----------------------------------------


def test_masked_diff_masks_national_id_and_card_number() -> None:
    changes = {"national_id": [None, NATIONAL_ID], "card_number": ["790000000001", CARD_NUMBER]}
    assert masked_diff(changes, may_see_identifiers=False) == {
        "national_id": [None, "•••••••••345"],
        "card_number": ["•••••••••001", "•••••••••321"],
    }


def test_masked_diff_masks_old_identifiers_too() -> None:
    changes = {"old_national_id": ["", "012345678"], "old_card_number": "12345678"}
    assert masked_diff(changes, may_see_identifiers=False) == {
        "old_national_id": ["", "••••••678"],
        "old_card_number": "•••••678",
    }


def test_masked_diff_leaves_other_fields_alone() -> None:
    changes = {"phone": ["", "0912345678"], "full_name": [None, "Phan Văn Khải"]}
    assert masked_diff(changes, may_see_identifiers=False) == changes


def test_masked_diff_shows_everything_to_a_viewer_with_the_right() -> None:
    changes = {"national_id": [None, NATIONAL_ID]}
    assert masked_diff(changes, may_see_identifiers=True) == changes


@pytest.fixture
def auditor_without_identifiers(world: World, monkeypatch: pytest.MonkeyPatch) -> Client:
    """Log in an inspector of A whose role may read the audit trail but not identifiers."""
    monkeypatch.setitem(
        access.ROLE_ACTIONS,
        Role.INSPECTOR,
        frozenset({Action.VIEW_ORG, Action.VIEW_MEMBER, Action.VIEW_AUDIT}),
    )
    client = Client()
    client.force_login(world.inspector_a)
    return client


def test_audit_page_masks_identifiers_for_a_viewer_without_view_identifiers(
    world: World, auditor_without_identifiers: Client
) -> None:
    _create_member(world)()
    html = auditor_without_identifiers.get(reverse("audit:list")).content.decode()
    assert "Phan Văn Khải" in html
    assert NATIONAL_ID not in html
    assert CARD_NUMBER not in html
    assert "•••••••••345" in html


def test_audit_page_shows_identifiers_in_full_to_staff_of_a(world: World, client: Client) -> None:
    _create_member(world)()
    client.force_login(world.staff_a)
    html = client.get(reverse("audit:list")).content.decode()
    assert NATIONAL_ID in html
    assert CARD_NUMBER in html


def test_audit_page_of_sibling_staff_holds_none_of_a_events(world: World, client: Client) -> None:
    _create_member(world)()
    _rename_org(world)()
    member_services.update_member(
        actor=world.staff_b, member=world.member_b, data={"phone": "0987654321"}
    )
    client.force_login(world.staff_b)
    rows = client.get(reverse("audit:list")).context["rows"]
    assert [event.action for event, _ in rows] == ["members.update_member"]
    assert all(event.org_path.startswith(world.province_b.path) for event, _ in rows)


def test_audit_page_of_sibling_staff_ignores_a_filter_on_an_a_object(
    world: World, client: Client
) -> None:
    member = _create_member(world)()
    client.force_login(world.staff_b)
    response = client.get(reverse("audit:list"), {"type": "members.Member", "id": member.pk})
    assert list(response.context["rows"]) == []
    assert NATIONAL_ID not in response.content.decode()


def test_audit_page_of_a_plain_member_is_empty(world: World, client: Client) -> None:
    _create_member(world)()
    client.force_login(world.plain_member_a)
    assert list(client.get(reverse("audit:list")).context["rows"]) == []
