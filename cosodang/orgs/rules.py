"""Pure Party-organisation rules: hierarchy and structure thresholds (rules.md §6).

No Django here: models, forms and services call these functions with plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class OrgType(StrEnum):
    """Level of a Party organisation in the tree."""

    CENTRAL = "central"  # Đảng bộ trực thuộc Trung ương, e.g. Đảng bộ Công an Trung ương
    PROVINCIAL = "provincial"  # Đảng bộ cấp tỉnh và tương đương, e.g. Đảng bộ Công an tỉnh
    ABOVE_GRASSROOTS = "above_grassroots"  # Đảng bộ cấp trên trực tiếp cơ sở
    GRASSROOTS_BRANCH = "grassroots_branch"  # Đảng bộ cơ sở
    GRASSROOTS_CELL = "grassroots_cell"  # Chi bộ cơ sở
    SUB_BRANCH = "sub_branch"  # Đảng bộ bộ phận
    CELL = "cell"  # Chi bộ trực thuộc
    GROUP = "group"  # Tổ đảng


ORG_TYPE_LABELS: dict[OrgType, str] = {
    OrgType.CENTRAL: "Đảng bộ trực thuộc Trung ương",
    OrgType.PROVINCIAL: "Đảng bộ cấp tỉnh và tương đương",
    OrgType.ABOVE_GRASSROOTS: "Đảng bộ cấp trên trực tiếp cơ sở",
    OrgType.GRASSROOTS_BRANCH: "Đảng bộ cơ sở",
    OrgType.GRASSROOTS_CELL: "Chi bộ cơ sở",
    OrgType.SUB_BRANCH: "Đảng bộ bộ phận",
    OrgType.CELL: "Chi bộ trực thuộc",
    OrgType.GROUP: "Tổ đảng",
}

# Which levels may sit directly under which (ĐLĐ Điều 10, 21, 24; QĐ 294-QĐ/TW 2025 for the
# three administrative levels with no district level; rules.md §6). Grassroots organisations
# may sit under any higher level because the superior committee decides where each reports.
_GRASSROOTS = frozenset({OrgType.GRASSROOTS_BRANCH, OrgType.GRASSROOTS_CELL})
ALLOWED_CHILDREN: dict[OrgType, frozenset[OrgType]] = {
    OrgType.CENTRAL: frozenset({OrgType.PROVINCIAL, OrgType.ABOVE_GRASSROOTS}) | _GRASSROOTS,
    OrgType.PROVINCIAL: frozenset({OrgType.ABOVE_GRASSROOTS}) | _GRASSROOTS,
    OrgType.ABOVE_GRASSROOTS: _GRASSROOTS,
    OrgType.GRASSROOTS_BRANCH: frozenset({OrgType.SUB_BRANCH, OrgType.CELL}),
    OrgType.SUB_BRANCH: frozenset({OrgType.CELL}),
    OrgType.GRASSROOTS_CELL: frozenset({OrgType.GROUP}),
    OrgType.CELL: frozenset({OrgType.GROUP}),
    OrgType.GROUP: frozenset(),
}


def can_contain(parent: OrgType | None, child: OrgType) -> bool:
    """Tell whether `child` may sit directly under `parent` (None = tree root)."""
    if parent is None:
        return child == OrgType.CENTRAL
    return child in ALLOWED_CHILDREN[parent]


def is_cell(t: OrgType) -> bool:
    """Tell whether `t` is a Party cell (chi bộ cơ sở or chi bộ trực thuộc)."""
    return t in (OrgType.GRASSROOTS_CELL, OrgType.CELL)


def is_grassroots(t: OrgType) -> bool:
    """Tell whether `t` is a grassroots organisation (đảng bộ cơ sở or chi bộ cơ sở)."""
    return t in _GRASSROOTS


@dataclass(frozen=True)
class StructureParams:
    """Structure thresholds, kept as data so administrators can follow rule changes."""

    # A cell or grassroots organisation needs at least 3 official members
    # (ĐLĐ Điều 21 and Điều 24; rules.md §6).
    min_official_members: int = 3
    # 30 members or more → đảng bộ cơ sở; under 30 → chi bộ cơ sở, unless the superior
    # agrees in writing (ĐLĐ Điều 21; rules.md §6, the exception is [P]).
    grassroots_branch_min_members: int = 30
    # A cell elects a committee (chi ủy) only with 9 or more official members, and the
    # committee has at most 7 members (ĐLĐ Điều 24; QĐ 29-QĐ/TW mục 24; rules.md §4, §6).
    cell_committee_min_official: int = 9
    cell_committee_max_size: int = 7
    # Below that threshold the cell elects a secretary and, if needed, a deputy: two posts
    # without a committee (ĐLĐ Điều 24).
    cell_officers_without_committee: int = 2


DEFAULT_STRUCTURE_PARAMS = StructureParams()


@dataclass(frozen=True)
class StructureWarning:
    """One structural issue of an organisation, with the rule it comes from."""

    code: str
    message: str
    source: str


# Levels that hold members directly and are therefore subject to member-count rules.
_COUNTED_TYPES = frozenset(
    {OrgType.GRASSROOTS_CELL, OrgType.CELL, OrgType.GRASSROOTS_BRANCH, OrgType.SUB_BRANCH}
)


def structure_warnings(
    *,
    org_type: OrgType,
    official_count: int,
    member_count: int,
    committee_size: int = 0,
    approval_ref: str = "",
    params: StructureParams = DEFAULT_STRUCTURE_PARAMS,
) -> list[StructureWarning]:
    """Return the structure warnings for an organisation of type `org_type`."""
    warnings: list[StructureWarning] = []
    has_approval = bool(approval_ref.strip())

    if org_type in _COUNTED_TYPES and official_count < params.min_official_members:
        warnings.append(
            StructureWarning(
                code="min_official",
                message=(
                    f"Tổ chức đảng có dưới {params.min_official_members} đảng viên chính thức "
                    f"(hiện có {official_count})"
                ),
                source="Điều lệ Đảng, Điều 21 và 24",
            )
        )

    n = params.grassroots_branch_min_members
    if org_type == OrgType.GRASSROOTS_CELL and member_count >= n and not has_approval:
        warnings.append(
            StructureWarning(
                code="cell_too_large",
                message=(
                    f"Chi bộ cơ sở có từ {n} đảng viên trở lên cần được lập đảng bộ cơ sở "
                    "hoặc có văn bản đồng ý của cấp trên"
                ),
                source="Điều lệ Đảng, Điều 21",
            )
        )
    if org_type == OrgType.GRASSROOTS_BRANCH and member_count < n and not has_approval:
        warnings.append(
            StructureWarning(
                code="branch_too_small",
                message=(
                    f"Đảng bộ cơ sở có dưới {n} đảng viên cần có văn bản đồng ý của cấp trên "
                    f"(hiện có {member_count})"
                ),
                source="Điều lệ Đảng, Điều 21",
            )
        )

    if is_cell(org_type):
        if committee_size > params.cell_committee_max_size:
            warnings.append(
                StructureWarning(
                    code="committee_too_large",
                    message=(
                        f"Chi ủy không quá {params.cell_committee_max_size} ủy viên "
                        f"(hiện có {committee_size})"
                    ),
                    source="Điều lệ Đảng, Điều 24; QĐ 29 mục 24",
                )
            )
        if (
            committee_size > params.cell_officers_without_committee
            and official_count < params.cell_committee_min_official
        ):
            warnings.append(
                StructureWarning(
                    code="committee_not_allowed",
                    message=(
                        f"Chi bộ dưới {params.cell_committee_min_official} đảng viên chính thức "
                        "không bầu chi ủy"
                    ),
                    source="Điều lệ Đảng, Điều 24; QĐ 29 mục 24",
                )
            )
    return warnings


def path_successor(path: str) -> str:
    """Return the first string after every string that starts with `path`.

    `[path, path_successor(path))` is the byte range of a subtree's materialised paths, which
    PostgreSQL's pattern-ops indexes read with `~>=~` / `~<~` (no LIKE recheck per entry).
    """
    return path[:-1] + chr(ord(path[-1]) + 1)
