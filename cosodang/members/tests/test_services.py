"""Tests for writes to the member registry: validation, Party rules, history, atomicity."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from cosodang.core.models import AuditEvent
from cosodang.core.testing import World, make_member, make_org
from cosodang.members import services
from cosodang.members.models import (
    Discipline,
    Member,
    OrgMembership,
    PartyAgeGap,
    Position,
    Reward,
)
from cosodang.orgs.models import PartyOrg
from cosodang.orgs.rules import OrgType

pytestmark = pytest.mark.django_db

DAY = date(2026, 1, 15)


def new_member_data(**changes: Any) -> dict[str, Any]:
    """Return valid data for a new official member."""
    data: dict[str, Any] = {
        "full_name": "Phan Văn Khải",
        "sex": "M",
        "birth_date": date(1990, 2, 3),
        "national_id": "001090000777",
        "card_number": "790000000777",
        "decision_date": date(2015, 3, 1),
        "ceremony_date": date(2015, 3, 10),
        "official_date": date(2016, 3, 10),
        "status": "official",
    }
    data.update(changes)
    return data


def messages_of(exc: pytest.ExceptionInfo[ValidationError], field: str | None = None) -> str:
    """Return the messages of a ValidationError (of one field if given) as one string."""
    if field is not None:
        return " ".join(exc.value.message_dict[field])
    return " ".join(exc.value.messages)


def row_counts() -> tuple[int, ...]:
    """Count the rows of every table a member service writes."""
    return tuple(
        m.objects.count()
        for m in (Member, OrgMembership, Position, Reward, Discipline, PartyAgeGap, AuditEvent)
    )


@pytest.fixture
def probationary(world: World) -> Member:
    return make_member(world.cell_a, "Lý Thị Mai", sex="F", status="probationary")


@pytest.fixture
def cell_2(world: World) -> PartyOrg:
    return make_org("Chi bộ Đội 2", OrgType.CELL, world.branch_a)


# --- create ----------------------------------------------------------------------------------


def test_create_member_derives_the_folded_name_sort_key_and_org_path(world: World) -> None:
    member = services.create_member(
        actor=world.staff_a, org=world.cell_a, data=new_member_data(full_name="  Phan   Văn Khải ")
    )
    assert (member.full_name, member.name_folded, member.org_path) == (
        "Phan Văn Khải",
        "phan van khai",
        world.cell_a.path,
    )


def test_create_member_opens_an_org_membership_from_the_ceremony(world: World) -> None:
    member = services.create_member(actor=world.staff_a, org=world.cell_a, data=new_member_data())
    period = member.org_history.get()
    assert (period.org_id, period.start, period.end) == (world.cell_a.pk, date(2015, 3, 10), None)


def test_thirteen_digit_national_id_is_refused_with_the_12_digit_rule(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.create_member(
            actor=world.staff_a, org=world.cell_a, data=new_member_data(national_id="0010900007771")
        )
    assert "12 chữ số" in messages_of(exc, "national_id")


def test_national_id_with_letters_is_refused_with_the_12_digit_rule(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.create_member(
            actor=world.staff_a, org=world.cell_a, data=new_member_data(national_id="00109000077A")
        )
    assert "12 chữ số" in messages_of(exc, "national_id")


def test_card_number_of_eleven_digits_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.create_member(
            actor=world.staff_a, org=world.cell_a, data=new_member_data(card_number="79000000077")
        )
    assert "12 chữ số" in messages_of(exc, "card_number")


def test_spaces_inside_a_national_id_are_ignored(world: World) -> None:
    member = services.create_member(
        actor=world.staff_a, org=world.cell_a, data=new_member_data(national_id="001 090 000 777")
    )
    assert member.national_id == "001090000777"


def test_duplicate_national_id_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.create_member(
            actor=world.staff_a,
            org=world.cell_a,
            data=new_member_data(national_id=world.member_a.national_id),
        )
    assert "national_id" in exc.value.message_dict


def test_duplicate_national_id_in_another_province_is_refused_too(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.create_member(
            actor=world.staff_a,
            org=world.cell_a,
            data=new_member_data(national_id=world.member_b.national_id),
        )
    assert "national_id" in exc.value.message_dict


def test_duplicate_card_number_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.create_member(
            actor=world.staff_a,
            org=world.cell_a,
            data=new_member_data(card_number=world.member_a.card_number),
        )
    assert "card_number" in exc.value.message_dict


def test_blank_national_ids_do_not_count_as_duplicates(world: World) -> None:
    services.create_member(
        actor=world.staff_a, org=world.cell_a, data=new_member_data(national_id="", card_number="")
    )
    second = services.create_member(
        actor=world.staff_a,
        org=world.cell_a,
        data=new_member_data(full_name="Tạ Văn Long", national_id="", card_number=""),
    )
    assert second.national_id is None


def test_official_date_other_than_ceremony_plus_12_months_is_refused_naming_the_charter(
    world: World,
) -> None:
    with pytest.raises(ValidationError) as exc:
        services.create_member(
            actor=world.staff_a,
            org=world.cell_a,
            data=new_member_data(official_date=date(2016, 3, 11)),
        )
    text = messages_of(exc, "official_date")
    assert "Điều lệ Đảng" in text
    assert "10/03/2016" in text


def test_official_date_rule_is_waived_for_members_admitted_under_older_rules(
    world: World,
) -> None:
    member = services.create_member(
        actor=world.staff_a,
        org=world.cell_a,
        data=new_member_data(official_date=date(2016, 9, 10), admitted_under_current_rules=False),
    )
    assert member.official_date == date(2016, 9, 10)


def test_admission_before_18_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.create_member(
            actor=world.staff_a, org=world.cell_a, data=new_member_data(birth_date=date(1997, 3, 2))
        )
    assert "18 tuổi" in messages_of(exc, "decision_date")


def test_member_outside_a_cell_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.create_member(actor=world.staff_a, org=world.branch_a, data=new_member_data())
    assert "chi bộ" in messages_of(exc, "org")


def test_refused_create_saves_nothing(world: World) -> None:
    before = row_counts()
    with pytest.raises(ValidationError):
        services.create_member(
            actor=world.staff_a, org=world.cell_a, data=new_member_data(national_id="0010900007771")
        )
    assert row_counts() == before


# --- Party posts and discipline of probationary members --------------------------------------


def test_probationary_member_cannot_be_given_a_secretary_post(
    world: World, probationary: Member
) -> None:
    with pytest.raises(ValidationError) as exc:
        services.add_position(
            actor=world.staff_a,
            member=probationary,
            start=DAY,
            party_post="bi_thu",
            org=world.cell_a,
        )
    assert "Điều lệ Đảng, Điều 5" in messages_of(exc, "party_post")


def test_probationary_member_may_hold_a_police_post(world: World, probationary: Member) -> None:
    row = services.add_position(
        actor=world.staff_a, member=probationary, start=DAY, kind="police", title="Cán bộ Đội 1"
    )
    assert row.title == "Cán bộ Đội 1"


def test_official_member_can_be_given_a_secretary_post(world: World) -> None:
    row = services.add_position(
        actor=world.staff_a, member=world.member_a, start=DAY, party_post="bi_thu", org=world.cell_a
    )
    assert row.display_title == "Bí thư"


def test_refused_position_saves_nothing(world: World, probationary: Member) -> None:
    before = row_counts()
    with pytest.raises(ValidationError):
        services.add_position(
            actor=world.staff_a,
            member=probationary,
            start=DAY,
            party_post="bi_thu",
            org=world.cell_a,
        )
    assert row_counts() == before


def test_a_secretary_cannot_be_made_probationary(world: World) -> None:
    services.add_position(
        actor=world.staff_a, member=world.member_a, start=DAY, party_post="bi_thu", org=world.cell_a
    )
    with pytest.raises(ValidationError) as exc:
        services.update_member(
            actor=world.staff_a,
            member=world.member_a,
            data={"status": "probationary", "official_date": None},
        )
    assert "Điều 5" in messages_of(exc, "status")


@pytest.mark.parametrize("form", ["cach_chuc", "khai_tru"])
def test_probationary_member_cannot_get_removal_or_expulsion(
    world: World, probationary: Member, form: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        services.add_discipline(actor=world.staff_a, member=probationary, date=DAY, form=form)
    assert "Điều lệ Đảng, Điều 35" in messages_of(exc, "form")


@pytest.mark.parametrize("form", ["khien_trach", "canh_cao"])
def test_probationary_member_can_be_reprimanded_or_warned(
    world: World, probationary: Member, form: str
) -> None:
    row = services.add_discipline(actor=world.staff_a, member=probationary, date=DAY, form=form)
    assert row.form == form


def test_official_member_can_be_expelled(world: World) -> None:
    row = services.add_discipline(
        actor=world.staff_a, member=world.member_a, date=DAY, form="khai_tru"
    )
    assert row.get_form_display() == "Khai trừ"


def test_refused_discipline_saves_nothing(world: World, probationary: Member) -> None:
    before = row_counts()
    with pytest.raises(ValidationError):
        services.add_discipline(actor=world.staff_a, member=probationary, date=DAY, form="khai_tru")
    assert row_counts() == before


# --- gaps ------------------------------------------------------------------------------------


def test_gap_before_the_admission_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.add_gap(
            actor=world.staff_a,
            member=world.member_a,
            start=date(2009, 1, 1),
            end=None,
            reason="other",
        )
    assert "start" in exc.value.message_dict


def test_gap_ending_before_it_starts_is_refused(world: World) -> None:
    before = row_counts()
    with pytest.raises(ValidationError):
        services.add_gap(
            actor=world.staff_a,
            member=world.member_a,
            start=date(2013, 1, 1),
            end=date(2012, 1, 1),
            reason="other",
        )
    assert row_counts() == before


# --- update and moving cells -----------------------------------------------------------------


def test_update_member_saves_a_changed_field(world: World) -> None:
    services.update_member(
        actor=world.staff_a, member=world.member_a, data={"police_position": "Đội phó"}
    )
    assert Member.objects.get(pk=world.member_a.pk).police_position == "Đội phó"


def test_renaming_a_member_refreshes_folded_name_and_sort_key(world: World) -> None:
    services.update_member(
        actor=world.staff_a, member=world.member_a, data={"full_name": "Nguyễn Thị Thu Hà"}
    )
    member = Member.objects.get(pk=world.member_a.pk)
    assert member.name_folded == "nguyen thi thu ha"
    assert member.sort_key != world.member_a.sort_key


def test_moving_to_another_cell_closes_the_open_org_membership(
    world: World, cell_2: PartyOrg
) -> None:
    services.update_member(
        actor=world.staff_a, member=world.member_a, data={}, org=cell_2, effective=DAY
    )
    old = OrgMembership.objects.get(member=world.member_a, org=world.cell_a)
    assert old.end == DAY


def test_moving_to_another_cell_opens_an_org_membership_there(
    world: World, cell_2: PartyOrg
) -> None:
    services.update_member(
        actor=world.staff_a, member=world.member_a, data={}, org=cell_2, effective=DAY
    )
    new = OrgMembership.objects.get(member=world.member_a, org=cell_2)
    assert (new.start, new.end) == (DAY, None)


def test_moving_to_another_cell_rewrites_the_org_path(world: World, cell_2: PartyOrg) -> None:
    services.update_member(
        actor=world.staff_a, member=world.member_a, data={}, org=cell_2, effective=DAY
    )
    member = Member.objects.get(pk=world.member_a.pk)
    assert (member.org_id, member.org_path) == (cell_2.pk, cell_2.path)


def test_staying_in_the_same_cell_keeps_the_org_membership(world: World) -> None:
    services.update_member(
        actor=world.staff_a,
        member=world.member_a,
        data={"phone": "0912345678"},
        org=world.cell_a,
        effective=DAY,
    )
    assert list(
        OrgMembership.objects.filter(member=world.member_a).values_list("org_id", "end")
    ) == [(world.cell_a.pk, None)]


def test_moving_into_a_dissolved_cell_is_refused(world: World, cell_2: PartyOrg) -> None:
    cell_2.effective_to = DAY
    cell_2.save(update_fields=["effective_to"])
    with pytest.raises(ValidationError) as exc:
        services.update_member(
            actor=world.staff_a, member=world.member_a, data={}, org=cell_2, effective=DAY
        )
    assert "org" in exc.value.message_dict


def test_refused_move_saves_nothing(world: World, cell_2: PartyOrg) -> None:
    before_rows = row_counts()
    before_history = list(OrgMembership.objects.values_list("pk", "org_id", "start", "end"))
    with pytest.raises(ValidationError):
        services.update_member(
            actor=world.staff_a,
            member=world.member_a,
            data={"national_id": "0010900007771"},
            org=cell_2,
            effective=DAY,
        )
    member = Member.objects.get(pk=world.member_a.pk)
    assert (member.org_id, member.national_id) == (world.cell_a.pk, world.member_a.national_id)
    assert row_counts() == before_rows
    assert list(OrgMembership.objects.values_list("pk", "org_id", "start", "end")) == (
        before_history
    )


def test_moving_with_a_date_before_the_current_period_started_is_refused(
    world: World, cell_2: PartyOrg
) -> None:
    with pytest.raises(ValidationError):
        services.update_member(
            actor=world.staff_a,
            member=world.member_a,
            data={},
            org=cell_2,
            effective=date(2009, 1, 1),
        )
