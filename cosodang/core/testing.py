"""Personas and builders shared by every app's tests (Healthchecks' alice/bob style).

The world: a central root; province A (Hà Nội) with a grassroots branch and a cell; sibling
province B (Cần Thơ) with its own cell. Personas: admin, staff of A, secretary of A's cell,
plain member in A's cell, inspector of A, staff of B.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import Any

from cosodang.accounts.models import Role, RoleGrant, User
from cosodang.core.vn import fold, name_sort_key
from cosodang.members.counters import Tally
from cosodang.members.models import Member, OrgMembership
from cosodang.orgs.models import PartyOrg
from cosodang.orgs.rules import OrgType
from cosodang.orgs.services import path_segment

_seq = itertools.count(1)
PASSWORD = "mat-khau-thu-nghiem-2026"


def make_org(
    name: str, org_type: OrgType, parent: PartyOrg | None = None, code: str | None = None
) -> PartyOrg:
    """Create an organisation directly (no audit), with a correct materialised path."""
    n = next(_seq)
    org = PartyOrg.objects.create(
        code=code or f"T{n:05d}",
        name=name,
        name_folded=fold(name),
        org_type=org_type,
        parent=parent,
        path=f"tmp{n}",
        depth=(parent.depth + 1) if parent else 0,
        effective_from=date(2020, 1, 1),
    )
    org.path = (parent.path if parent else "") + path_segment(org.pk)
    org.save(update_fields=["path"])
    return org


def _digits(n: int, prefix: str) -> str:
    return f"{prefix}{n:0{12 - len(prefix)}d}"


def make_member(org: PartyOrg, full_name: str = "", **fields: Any) -> Member:
    """Create a member directly (no audit) with valid, consistent defaults and counters."""
    n = next(_seq)
    full_name = full_name or f"Nguyễn Văn Thử {n}"
    probationary = fields.get("status") == "probationary"
    data: dict[str, Any] = {
        "full_name": full_name,
        "sex": "M",
        "birth_date": date(1985, 5, 1),
        "national_id": _digits(n, "001"),
        "card_number": _digits(n, "79"),
        "decision_date": date(2025, 6, 1) if probationary else date(2010, 3, 1),
        "ceremony_date": date(2025, 6, 10) if probationary else date(2010, 3, 10),
        "official_date": None if probationary else date(2011, 3, 10),
        "status": "official",
    }
    data.update(fields)
    member = Member.objects.create(
        org=org,
        org_path=org.path,
        name_folded=fold(data["full_name"]),
        sort_key=name_sort_key(data["full_name"]),
        **data,
    )
    OrgMembership.objects.create(
        member=member, org=org, start=member.ceremony_date or member.decision_date
    )
    tally = Tally()  # organisation pages read these counters, as after create_member
    tally.add(org.pk, member.status)
    tally.save()
    return member


def member_form_data(member: Member, **changes: Any) -> dict[str, Any]:
    """Return the POST data of the member edit form filled with the member's current values."""
    from cosodang.members.services import EDITABLE_FIELDS

    data: dict[str, Any] = {"org": member.org_id}
    for name in EDITABLE_FIELDS:
        value = getattr(member, name)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        if isinstance(value, date):
            value = value.strftime("%d/%m/%Y")
        data[name] = "" if value is None else value
    data.update(changes)
    return data


def make_user(
    username: str,
    *,
    role: Role | None = None,
    org: PartyOrg | None = None,
    member: Member | None = None,
    superuser: bool = False,
) -> User:
    """Create a user, optionally with one role grant and a linked member record."""
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        full_name=username,
        member=member,
        is_superuser=superuser,
        is_staff=superuser,
    )
    if role is not None and org is not None:
        RoleGrant.objects.create(user=user, org=org, role=role)
    return user


@dataclass
class World:
    """The shared test world: organisations, members and personas."""

    root: PartyOrg
    province_a: PartyOrg
    branch_a: PartyOrg
    cell_a: PartyOrg
    province_b: PartyOrg
    cell_b: PartyOrg
    member_a: Member
    secretary_member: Member
    member_b: Member
    admin: User
    staff_a: User
    secretary_a: User
    plain_member_a: User
    inspector_a: User
    staff_b: User

    def personas(self) -> dict[str, User]:
        return {
            "admin": self.admin,
            "staff_a": self.staff_a,
            "secretary_a": self.secretary_a,
            "member_a": self.plain_member_a,
            "inspector_a": self.inspector_a,
            "staff_b": self.staff_b,
        }


def build_world() -> World:
    """Build the standard test world."""
    root = make_org("Đảng bộ Công an Trung ương", OrgType.CENTRAL, code="CATW")
    province_a = make_org("Đảng bộ Công an thành phố Hà Nội", OrgType.PROVINCIAL, root, "HN")
    branch_a = make_org(
        "Đảng bộ Phòng Cảnh sát hình sự", OrgType.GRASSROOTS_BRANCH, province_a, "HN-PC02"
    )
    cell_a = make_org("Chi bộ Đội 1", OrgType.CELL, branch_a, "HN-PC02-D1")
    province_b = make_org("Đảng bộ Công an thành phố Cần Thơ", OrgType.PROVINCIAL, root, "CT")
    cell_b = make_org(
        "Chi bộ Công an phường Ninh Kiều", OrgType.GRASSROOTS_CELL, province_b, "CT-NK"
    )
    secretary_member = make_member(cell_a, "Trần Văn Bình")
    member_a = make_member(cell_a, "Nguyễn Thị Hà", sex="F")
    make_member(cell_a, "Lê Minh Cường")
    member_b = make_member(cell_b, "Phạm Văn Dũng")
    plain = make_member(cell_a, "Hoàng Thị Lan", sex="F")
    return World(
        root=root,
        province_a=province_a,
        branch_a=branch_a,
        cell_a=cell_a,
        province_b=province_b,
        cell_b=cell_b,
        member_a=member_a,
        secretary_member=secretary_member,
        member_b=member_b,
        admin=make_user("admin", superuser=True),
        staff_a=make_user("staff_a", role=Role.STAFF, org=province_a),
        secretary_a=make_user(
            "secretary_a", role=Role.SECRETARY, org=cell_a, member=secretary_member
        ),
        plain_member_a=make_user("member_a", role=Role.MEMBER, org=cell_a, member=plain),
        inspector_a=make_user("inspector_a", role=Role.INSPECTOR, org=province_a),
        staff_b=make_user("staff_b", role=Role.STAFF, org=province_b),
    )
