"""API of the member registry: list and search, profile, create, partial update."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from cosodang.core.access import Action, may_see_identifiers
from cosodang.core.audit import SENSITIVE_FIELDS, mask_identifier
from cosodang.orgs import selectors as org_selectors

from . import selectors, services
from .choices import Education, Rank, Sex, TheoryLevel
from .models import Member
from .rules import MemberStatus

router = Router(tags=["Đảng viên"])

# Model fields that accept no null: an explicit null is refused at input, not at the database.
NULLABLE_FIELDS = frozenset(
    {
        "national_id",
        "card_number",
        "card_issue_date",
        "first_decision_date",
        "ceremony_date",
        "official_date",
        "status_date",
    }
)
NON_NULL_FIELDS = tuple(f for f in services.EDITABLE_FIELDS if f not in NULLABLE_FIELDS)


class MemberFieldsIn(Schema):
    """Member fields a client may set; omitted fields stay unchanged (or take defaults)."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    full_name: str | None = None
    other_name: str | None = None
    sex: Sex | None = None
    birth_date: date | None = None
    ethnicity: str | None = None
    religion: str | None = None
    national_id: str | None = Field(None, description="Số CCCD, 12 chữ số")
    old_national_id: str | None = None
    phone: str | None = None
    email: str | None = None
    birth_place_country: str | None = None
    birth_place_province: str | None = None
    birth_place_detail: str | None = None
    hometown_province: str | None = None
    hometown_commune: str | None = None
    residence_province: str | None = None
    residence_commune: str | None = None
    residence_detail: str | None = None
    card_number: str | None = Field(None, description="Số thẻ đảng viên, 12 chữ số")
    card_issue_place: str | None = None
    card_issue_date: date | None = None
    old_card_number: str | None = None
    first_decision_date: date | None = None
    decision_date: date | None = None
    ceremony_date: date | None = None
    official_date: date | None = None
    admitted_under_current_rules: bool | None = None
    status: MemberStatus | None = None
    status_date: date | None = None
    rank: Rank | None = None
    police_position: str | None = None
    work_unit: str | None = None
    general_education: str | None = None
    education: Education | None = None
    theory_level: TheoryLevel | None = None

    @field_validator(*NON_NULL_FIELDS, mode="before")
    @classmethod
    def _refuse_null(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError("null_not_allowed", "Trường này không nhận giá trị null.")
        return value

    def service_data(self) -> dict[str, Any]:
        """Return the member fields the client sent, for the service."""
        return self.model_dump(include=set(services.EDITABLE_FIELDS), exclude_unset=True)


class MemberCreateIn(MemberFieldsIn):
    """Add a member to the cell `org_id`."""

    org_id: int
    full_name: str
    sex: Sex
    birth_date: date
    decision_date: date
    status: MemberStatus


class MemberPatchIn(MemberFieldsIn):
    """Change some fields of a member; `org_id` moves them to another cell from `effective`."""

    org_id: int | None = None
    effective: date | None = Field(None, description="Ngày chuyển sinh hoạt (mặc định hôm nay)")


class MemberListItem(Schema):
    """A member as listed."""

    id: int
    full_name: str
    sex: str
    birth_date: date
    status: str
    status_label: str
    rank: str
    police_position: str
    decision_date: date
    official_date: date | None
    org_id: int
    org_name: str


class MemberPage(Schema):
    """One page of members and the total matching."""

    count: int
    items: list[MemberListItem]


class BadgeOut(Schema):
    """The next Party-age badge a member is due for."""

    years: int
    due_date: date
    earliest_date: date


class MemberOut(Schema):
    """A member's profile with derived Party data; identifiers may be masked."""

    id: int
    org_id: int
    org_name: str
    full_name: str
    other_name: str
    sex: str
    birth_date: date
    ethnicity: str
    religion: str
    national_id: str | None
    old_national_id: str
    phone: str
    email: str
    birth_place_country: str
    birth_place_province: str
    birth_place_detail: str
    hometown_province: str
    hometown_commune: str
    residence_province: str
    residence_commune: str
    residence_detail: str
    card_number: str | None
    card_issue_place: str
    card_issue_date: date | None
    old_card_number: str
    first_decision_date: date | None
    decision_date: date
    ceremony_date: date | None
    official_date: date | None
    admitted_under_current_rules: bool
    status: str
    status_label: str
    status_date: date | None
    rank: str
    police_position: str
    work_unit: str
    general_education: str
    education: str
    theory_level: str
    identifiers_masked: bool
    party_age: str = Field(description="Tuổi đảng, ví dụ «15 năm 3 tháng»")
    party_age_years: int
    expected_official_date: date | None
    next_badge: BadgeOut | None


class MemberQuery(Schema):
    """Filters and paging of the member list."""

    model_config = ConfigDict(use_enum_values=True)

    q: str = Field("", max_length=100, description="Họ tên (không cần dấu), số thẻ hoặc số CCCD")
    org: int | None = Field(None, description="Tổ chức: gồm cả các tổ chức trực thuộc")
    status: MemberStatus | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


def _list_item(m: Member) -> dict[str, Any]:
    return {
        "id": m.pk,
        "full_name": m.full_name,
        "sex": m.sex,
        "birth_date": m.birth_date,
        "status": m.status,
        "status_label": m.status_label,
        "rank": m.rank,
        "police_position": m.police_position,
        "decision_date": m.decision_date,
        "official_date": m.official_date,
        "org_id": m.org_id,
        "org_name": m.org.name,
    }


def _detail(request: HttpRequest, member: Member) -> dict[str, Any]:
    """Return a loaded member as the profile schema, masking identifiers when required."""
    facts = selectors.party_facts(member)
    data: dict[str, Any] = {f: getattr(member, f) for f in services.EDITABLE_FIELDS}
    masked = not may_see_identifiers(request.user, member.org_path)
    if masked:
        for f in SENSITIVE_FIELDS & data.keys():
            data[f] = mask_identifier(data[f])
    badge = facts.next_badge
    return {
        **data,
        "id": member.pk,
        "org_id": member.org_id,
        "org_name": member.org.name,
        "status_label": member.status_label,
        "identifiers_masked": masked,
        "party_age": str(facts.party_age),
        "party_age_years": facts.party_age.years,
        "expected_official_date": facts.expected_official,
        "next_badge": (
            {"years": badge.years, "due_date": badge.due_date, "earliest_date": badge.earliest_date}
            if badge
            else None
        ),
    }


@router.get("/", response=MemberPage, summary="Danh sách, tìm kiếm đảng viên")
def list_members(request: HttpRequest, filters: Query[MemberQuery]) -> dict[str, Any]:
    """List the members the caller may see, sorted by given name the Vietnamese way."""
    org = org_selectors.get_org(request.user, filters.org) if filters.org is not None else None
    qs = selectors.list_members(
        request.user,
        selectors.MemberFilters(q=filters.q, org=org, status=str(filters.status or "")),
    )
    page = qs[filters.offset : filters.offset + filters.limit]
    return {"count": qs.count(), "items": [_list_item(m) for m in page]}


@router.get("/{member_id}", response=MemberOut, summary="Hồ sơ đảng viên")
def get_member(request: HttpRequest, member_id: int) -> dict[str, Any]:
    """Show one member's profile with Party age and the next badge."""
    return _detail(request, selectors.get_member(request.user, member_id))


@router.post("/", response={201: MemberOut}, summary="Thêm đảng viên")
def create_member(request: HttpRequest, payload: MemberCreateIn) -> dict[str, Any]:
    """Add a member to a cell where the caller may edit members."""
    org = org_selectors.get_org(request.user, payload.org_id, Action.EDIT_MEMBER)
    member = services.create_member(actor=request.user, org=org, data=payload.service_data())
    return _detail(request, selectors.get_member(request.user, member.pk))


@router.patch("/{member_id}", response=MemberOut, summary="Sửa hồ sơ đảng viên")
def update_member(request: HttpRequest, member_id: int, payload: MemberPatchIn) -> dict[str, Any]:
    """Change the fields sent; an `org_id` moves the member to another cell."""
    member = selectors.get_member(request.user, member_id, Action.EDIT_MEMBER)
    org = None
    if payload.org_id is not None:
        org = org_selectors.get_org(request.user, payload.org_id, Action.EDIT_MEMBER)
    services.update_member(
        actor=request.user,
        member=member,
        data=payload.service_data(),
        org=org,
        effective=payload.effective,
    )
    return _detail(request, selectors.get_member(request.user, member_id))
