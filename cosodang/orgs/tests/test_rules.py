"""Tests for the Party-organisation hierarchy and structure rules."""

from __future__ import annotations

import pytest

from cosodang.orgs.rules import (
    ALLOWED_CHILDREN,
    DEFAULT_STRUCTURE_PARAMS,
    ORG_TYPE_LABELS,
    OrgType,
    StructureParams,
    StructureWarning,
    can_contain,
    is_cell,
    is_grassroots,
    structure_warnings,
)


def codes(warnings: list[StructureWarning]) -> list[str]:
    """Return just the warning codes."""
    return [w.code for w in warnings]


# --- labels and hierarchy --------------------------------------------------------------------


def test_every_org_type_has_a_vietnamese_label() -> None:
    assert set(ORG_TYPE_LABELS) == set(OrgType)


def test_grassroots_cell_is_labelled_chi_bo_co_so() -> None:
    assert ORG_TYPE_LABELS[OrgType.GRASSROOTS_CELL] == "Chi bộ cơ sở"


def test_every_org_type_has_an_allowed_children_entry() -> None:
    assert set(ALLOWED_CHILDREN) == set(OrgType)


def test_only_a_central_organisation_may_be_the_root() -> None:
    assert can_contain(None, OrgType.CENTRAL)
    assert not any(can_contain(None, t) for t in OrgType if t != OrgType.CENTRAL)


def test_central_contains_provincial_organisations() -> None:
    assert can_contain(OrgType.CENTRAL, OrgType.PROVINCIAL)


def test_central_contains_grassroots_organisations_directly() -> None:
    assert can_contain(OrgType.CENTRAL, OrgType.GRASSROOTS_BRANCH)
    assert can_contain(OrgType.CENTRAL, OrgType.GRASSROOTS_CELL)


def test_provincial_contains_above_grassroots_and_grassroots() -> None:
    assert ALLOWED_CHILDREN[OrgType.PROVINCIAL] == {
        OrgType.ABOVE_GRASSROOTS,
        OrgType.GRASSROOTS_BRANCH,
        OrgType.GRASSROOTS_CELL,
    }


def test_provincial_does_not_contain_another_provincial() -> None:
    assert not can_contain(OrgType.PROVINCIAL, OrgType.PROVINCIAL)


def test_above_grassroots_contains_only_grassroots() -> None:
    assert ALLOWED_CHILDREN[OrgType.ABOVE_GRASSROOTS] == {
        OrgType.GRASSROOTS_BRANCH,
        OrgType.GRASSROOTS_CELL,
    }


def test_grassroots_branch_contains_sub_branches_and_cells() -> None:
    assert ALLOWED_CHILDREN[OrgType.GRASSROOTS_BRANCH] == {OrgType.SUB_BRANCH, OrgType.CELL}


def test_sub_branch_contains_only_cells() -> None:
    assert ALLOWED_CHILDREN[OrgType.SUB_BRANCH] == {OrgType.CELL}


def test_grassroots_cell_contains_only_groups() -> None:
    assert ALLOWED_CHILDREN[OrgType.GRASSROOTS_CELL] == {OrgType.GROUP}


def test_cell_contains_only_groups() -> None:
    assert ALLOWED_CHILDREN[OrgType.CELL] == {OrgType.GROUP}


def test_grassroots_cell_cannot_contain_a_cell() -> None:
    assert not can_contain(OrgType.GRASSROOTS_CELL, OrgType.CELL)


def test_group_contains_nothing() -> None:
    assert not any(can_contain(OrgType.GROUP, t) for t in OrgType)


def test_nothing_contains_a_central_organisation() -> None:
    assert not any(can_contain(t, OrgType.CENTRAL) for t in OrgType)


def test_cells_are_grassroots_cells_and_subordinate_cells() -> None:
    assert {t for t in OrgType if is_cell(t)} == {OrgType.GRASSROOTS_CELL, OrgType.CELL}


def test_grassroots_are_grassroots_branches_and_grassroots_cells() -> None:
    assert {t for t in OrgType if is_grassroots(t)} == {
        OrgType.GRASSROOTS_BRANCH,
        OrgType.GRASSROOTS_CELL,
    }


# --- parameters ------------------------------------------------------------------------------


def test_default_structure_parameters_follow_the_charter() -> None:
    assert (
        StructureParams(
            min_official_members=3,
            grassroots_branch_min_members=30,
            cell_committee_min_official=9,
            cell_committee_max_size=7,
        )
        == DEFAULT_STRUCTURE_PARAMS
    )


# --- minimum official members ----------------------------------------------------------------


@pytest.mark.parametrize(
    "org_type",
    [OrgType.GRASSROOTS_CELL, OrgType.CELL, OrgType.GRASSROOTS_BRANCH, OrgType.SUB_BRANCH],
)
def test_an_organisation_with_two_official_members_is_below_the_minimum(org_type: OrgType) -> None:
    warnings = structure_warnings(
        org_type=org_type, official_count=2, member_count=40, approval_ref="x"
    )
    assert codes(warnings) == ["min_official"]


def test_the_minimum_official_warning_states_the_count_and_source() -> None:
    [warning] = structure_warnings(org_type=OrgType.CELL, official_count=2, member_count=4)
    assert warning == StructureWarning(
        code="min_official",
        message="Tổ chức đảng có dưới 3 đảng viên chính thức (hiện có 2)",
        source="Điều lệ Đảng, Điều 21 và 24",
    )


def test_a_cell_with_three_official_members_meets_the_minimum() -> None:
    assert structure_warnings(org_type=OrgType.CELL, official_count=3, member_count=3) == []


def test_probationary_members_do_not_count_towards_the_minimum() -> None:
    warnings = structure_warnings(org_type=OrgType.CELL, official_count=2, member_count=8)
    assert codes(warnings) == ["min_official"]


@pytest.mark.parametrize(
    "org_type",
    [OrgType.GROUP, OrgType.ABOVE_GRASSROOTS, OrgType.PROVINCIAL, OrgType.CENTRAL],
)
def test_groups_and_higher_levels_get_no_member_count_warnings(org_type: OrgType) -> None:
    assert structure_warnings(org_type=org_type, official_count=0, member_count=0) == []


# --- grassroots size -------------------------------------------------------------------------


def test_a_grassroots_cell_with_30_members_should_become_a_branch() -> None:
    [warning] = structure_warnings(
        org_type=OrgType.GRASSROOTS_CELL, official_count=28, member_count=30
    )
    assert warning == StructureWarning(
        code="cell_too_large",
        message=(
            "Chi bộ cơ sở có từ 30 đảng viên trở lên cần được lập đảng bộ cơ sở "
            "hoặc có văn bản đồng ý của cấp trên"
        ),
        source="Điều lệ Đảng, Điều 21",
    )


def test_a_grassroots_cell_with_29_members_is_not_too_large() -> None:
    assert (
        structure_warnings(org_type=OrgType.GRASSROOTS_CELL, official_count=29, member_count=29)
        == []
    )


def test_a_large_grassroots_cell_with_superior_approval_is_accepted() -> None:
    warnings = structure_warnings(
        org_type=OrgType.GRASSROOTS_CELL,
        official_count=35,
        member_count=35,
        approval_ref="Công văn 123-CV/ĐU",
    )
    assert warnings == []


def test_a_blank_approval_reference_is_no_approval() -> None:
    warnings = structure_warnings(
        org_type=OrgType.GRASSROOTS_CELL, official_count=35, member_count=35, approval_ref="  "
    )
    assert codes(warnings) == ["cell_too_large"]


def test_a_subordinate_cell_with_30_members_is_not_told_to_become_a_branch() -> None:
    assert structure_warnings(org_type=OrgType.CELL, official_count=30, member_count=30) == []


def test_a_grassroots_branch_under_30_members_needs_approval() -> None:
    [warning] = structure_warnings(
        org_type=OrgType.GRASSROOTS_BRANCH, official_count=25, member_count=29
    )
    assert warning.code == "branch_too_small"
    assert warning.source == "Điều lệ Đảng, Điều 21"
    assert "dưới 30 đảng viên" in warning.message


def test_a_small_grassroots_branch_with_approval_is_accepted() -> None:
    warnings = structure_warnings(
        org_type=OrgType.GRASSROOTS_BRANCH, official_count=25, member_count=29, approval_ref="QĐ 7"
    )
    assert warnings == []


def test_a_grassroots_branch_with_30_members_is_large_enough() -> None:
    assert (
        structure_warnings(org_type=OrgType.GRASSROOTS_BRANCH, official_count=30, member_count=30)
        == []
    )


# --- cell committee --------------------------------------------------------------------------


def test_a_cell_committee_of_eight_is_too_large() -> None:
    warnings = structure_warnings(
        org_type=OrgType.CELL, official_count=20, member_count=20, committee_size=8
    )
    assert codes(warnings) == ["committee_too_large"]
    assert warnings[0].source == "Điều lệ Đảng, Điều 24; QĐ 29 mục 24"


def test_a_cell_committee_of_seven_is_allowed() -> None:
    assert (
        structure_warnings(
            org_type=OrgType.GRASSROOTS_CELL, official_count=20, member_count=20, committee_size=7
        )
        == []
    )


def test_a_cell_with_eight_official_members_may_not_elect_a_committee() -> None:
    [warning] = structure_warnings(
        org_type=OrgType.GRASSROOTS_CELL, official_count=8, member_count=12, committee_size=3
    )
    assert warning == StructureWarning(
        code="committee_not_allowed",
        message="Chi bộ dưới 9 đảng viên chính thức không bầu chi ủy",
        source="Điều lệ Đảng, Điều 24; QĐ 29 mục 24",
    )


def test_a_cell_with_nine_official_members_may_elect_a_committee() -> None:
    assert (
        structure_warnings(
            org_type=OrgType.CELL, official_count=9, member_count=9, committee_size=3
        )
        == []
    )


def test_a_small_cell_without_committee_gets_no_committee_warning() -> None:
    assert structure_warnings(org_type=OrgType.CELL, official_count=5, member_count=5) == []


def test_committee_rules_do_not_apply_to_a_grassroots_branch() -> None:
    assert (
        structure_warnings(
            org_type=OrgType.GRASSROOTS_BRANCH,
            official_count=30,
            member_count=30,
            committee_size=15,
        )
        == []
    )


def test_custom_parameters_change_the_thresholds() -> None:
    params = StructureParams(min_official_members=5)
    warnings = structure_warnings(
        org_type=OrgType.CELL, official_count=4, member_count=4, params=params
    )
    assert warnings[0].message == "Tổ chức đảng có dưới 5 đảng viên chính thức (hiện có 4)"


def test_small_cell_with_a_secretary_and_deputy_gets_no_committee_warning() -> None:
    warnings = structure_warnings(
        org_type=OrgType.CELL, official_count=6, member_count=7, committee_size=2
    )
    assert "committee_not_allowed" not in {w.code for w in warnings}
