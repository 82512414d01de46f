"""API of the organisation tree: list, open, create, rename (scoped like the pages)."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from cosodang.core.access import Action

from . import selectors, services
from .models import PartyOrg
from .rules import ORG_TYPE_LABELS, OrgType

router = Router(tags=["Tổ chức đảng"])


class OrgOut(Schema):
    """An organisation as listed."""

    id: int
    code: str
    name: str
    org_type: str
    parent_id: int | None
    path: str
    depth: int
    effective_from: date
    effective_to: date | None


class CountsOut(Schema):
    """Official and probationary members."""

    official: int
    probationary: int
    total: int


class WarningOut(Schema):
    """One structure warning and the rule it comes from."""

    code: str
    message: str
    source: str


class OrgDetailOut(OrgOut):
    """An organisation with member counts (subtree and direct) and structure warnings."""

    org_type_label: str
    approval_ref: str
    merged_into_id: int | None
    counts: CountsOut
    direct_counts: CountsOut
    committee_size: int
    has_children: bool
    warnings: list[WarningOut]


class OrgPage(Schema):
    """One page of organisations and the total matching."""

    count: int
    items: list[OrgOut]


class OrgQuery(Schema):
    """Filters and paging of the organisation list."""

    q: str = Field("", max_length=100, description="Tên (không cần dấu) hoặc mã tổ chức")
    parent: int | None = Field(None, description="Chỉ các tổ chức trực thuộc tổ chức này")
    type: OrgType | None = None
    include_closed: bool = Field(False, description="Gồm cả tổ chức đã giải thể/sáp nhập")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


class OrgCreateIn(Schema):
    """Create a sub-organisation under `parent_id`."""

    model_config = ConfigDict(extra="forbid")

    code: str
    name: str
    org_type: OrgType
    parent_id: int
    effective_from: date
    approval_ref: str = ""
    decision_ref: str = ""


class OrgRenameIn(Schema):
    """Rename an organisation from a date."""

    model_config = ConfigDict(extra="forbid")

    name: str
    effective: date
    decision_ref: str = ""


def _filtered(request: HttpRequest, filters: OrgQuery) -> QuerySet[PartyOrg]:
    return selectors.list_orgs(
        request.user,
        selectors.OrgFilters(
            q=filters.q,
            parent=filters.parent,
            org_type=filters.type.value if filters.type is not None else "",
            include_closed=filters.include_closed,
        ),
    )


def _detail(org: PartyOrg) -> dict[str, object]:
    node = selectors.build_nodes([org])[0]
    return {
        **OrgOut.model_validate(org).model_dump(),
        "org_type_label": ORG_TYPE_LABELS[OrgType(org.org_type)],
        "approval_ref": org.approval_ref,
        "merged_into_id": org.merged_into_id,
        "counts": _counts(node.counts),
        "direct_counts": _counts(node.direct),
        "committee_size": node.committee_size,
        "has_children": node.has_children,
        "warnings": [
            {"code": w.code, "message": w.message, "source": w.source} for w in node.warnings
        ],
    }


def _counts(c: selectors.Counts) -> dict[str, int]:
    return {"official": c.official, "probationary": c.probationary, "total": c.total}


@router.get("/", response=OrgPage, summary="Danh sách tổ chức đảng")
def list_orgs(request: HttpRequest, filters: Query[OrgQuery]) -> dict[str, object]:
    """List the organisations the caller may see, in tree order."""
    qs = _filtered(request, filters)
    items = list(qs[filters.offset : filters.offset + filters.limit])
    return {"count": qs.count(), "items": items}


@router.get("/{org_id}", response=OrgDetailOut, summary="Chi tiết tổ chức đảng")
def get_org(request: HttpRequest, org_id: int) -> dict[str, object]:
    """Show one organisation with counts and structure warnings."""
    return _detail(selectors.get_org(request.user, org_id))


@router.post("/", response={201: OrgDetailOut}, summary="Thành lập tổ chức trực thuộc")
def create_org(request: HttpRequest, payload: OrgCreateIn) -> dict[str, object]:
    """Create a sub-organisation; the caller must manage the parent."""
    parent = selectors.get_org(request.user, payload.parent_id, Action.MANAGE_ORG)
    org = services.create_org(
        actor=request.user,
        code=payload.code,
        name=payload.name,
        org_type=payload.org_type.value,
        parent=parent,
        effective_from=payload.effective_from,
        approval_ref=payload.approval_ref,
        decision_ref=payload.decision_ref,
    )
    return _detail(org)


@router.patch("/{org_id}", response=OrgDetailOut, summary="Đổi tên tổ chức đảng")
def rename_org(request: HttpRequest, org_id: int, payload: OrgRenameIn) -> dict[str, object]:
    """Rename an organisation from a date; the caller must manage it."""
    org = selectors.get_org(request.user, org_id, Action.MANAGE_ORG)
    org = services.rename_org(
        actor=request.user,
        org=org,
        name=payload.name,
        effective=payload.effective,
        decision_ref=payload.decision_ref,
    )
    return _detail(org)
