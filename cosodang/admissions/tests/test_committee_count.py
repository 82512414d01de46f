"""The grassroots committee's size for its votes, counted from the member registry."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from cosodang.admissions import selectors, services
from cosodang.admissions.models import Vote
from cosodang.admissions.tests.builders import COMMITTEE_VOTE, cell_passed_case, refresh
from cosodang.core.testing import make_member
from cosodang.members.models import Position

pytestmark = pytest.mark.django_db


def elect(world, n: int, *, start: date = date(2023, 1, 1), end: date | None = None) -> None:
    """Put `n` members of branch A on its committee, directly in the registry."""
    posts = ["bi_thu", "pho_bi_thu"] + ["cap_uy_vien"] * (n - 2)
    for post in posts[:n]:
        member = make_member(world.branch_a)  # not in the cell: its vote stays 4/4
        Position.objects.create(
            member=member, org=world.branch_a, party_post=post, start=start, end=end
        )


def committee_vote(world, case, **counts):
    data = {"votes_for": 4, "against": 0, "abstain": 0, **counts}
    return services.record_committee_vote(
        actor=world.staff_a, case=case, meeting_date=COMMITTEE_VOTE, **data
    )


def test_the_committee_of_a_cell_is_its_grassroots_branch(world) -> None:
    assert services.grassroots_org(world.cell_a) == world.branch_a


def test_a_grassroots_cell_votes_in_its_own_committee(world) -> None:
    assert services.grassroots_org(world.cell_b) == world.cell_b


def test_the_committee_size_counts_posts_active_on_the_meeting_date(world) -> None:
    elect(world, 5)
    elect(world, 2, start=date(2025, 1, 1))  # elected after the meeting
    elect(world, 1, end=date(2024, 1, 31))  # left before the meeting
    assert services.committee_members_on(world.branch_a, COMMITTEE_VOTE) == 5


def test_a_member_holding_two_committee_posts_counts_once(world) -> None:
    elect(world, 3)
    post = Position.objects.filter(org=world.branch_a).first()
    Position.objects.create(
        member=post.member, org=world.branch_a, party_post="cap_uy_vien", start=date(2023, 1, 1)
    )
    assert services.committee_members_on(world.branch_a, COMMITTEE_VOTE) == 3


def test_the_committee_vote_takes_its_denominator_from_the_registry(world) -> None:
    elect(world, 5)
    vote = committee_vote(world, cell_passed_case(world), votes_for=4)
    assert (vote.eligible, vote.eligible_source, vote.passed) == (5, "registry", True)


def test_a_typed_count_is_ignored_when_the_registry_holds_the_committee(world) -> None:
    elect(world, 6)
    vote = committee_vote(world, cell_passed_case(world), votes_for=4, eligible=5)
    assert (vote.eligible, vote.passed) == (6, True)


def test_the_registry_count_decides_whether_the_vote_reaches_two_thirds(world) -> None:
    elect(world, 7)
    case = cell_passed_case(world)
    committee_vote(world, case, votes_for=4, abstain=1, eligible=5)
    assert refresh(case).state == "stopped"


def test_more_ballots_than_the_registered_committee_are_refused_naming_the_rule(world) -> None:
    elect(world, 5)
    case = cell_passed_case(world)
    rule = r"Tổng số phiếu \(6\).*theo sổ đảng viên: 5.*4\.2\.3"
    with pytest.raises(ValidationError, match=rule):
        committee_vote(world, case, votes_for=6, eligible=9)


def test_a_refused_committee_vote_writes_nothing(world) -> None:
    elect(world, 5)
    case = cell_passed_case(world)
    with pytest.raises(ValidationError):
        committee_vote(world, case, votes_for=6)
    assert (Vote.objects.filter(kind="committee_admission").count(), refresh(case).state) == (
        0,
        "committee_review",
    )


def test_without_a_committee_in_the_registry_a_typed_count_is_required(world) -> None:
    case = cell_passed_case(world)
    with pytest.raises(ValidationError, match="chưa có cấp ủy của Đảng bộ Phòng Cảnh sát hình sự"):
        committee_vote(world, case)


def test_without_a_committee_in_the_registry_the_typed_count_is_recorded_as_typed(world) -> None:
    vote = committee_vote(world, cell_passed_case(world), votes_for=7, eligible=9)
    assert (vote.eligible, vote.eligible_source) == (9, "typed")


def test_a_typed_committee_count_is_shown_on_the_timeline(world) -> None:
    case = cell_passed_case(world)
    committee_vote(world, case, votes_for=7, eligible=9)
    last = refresh(case).events.exclude(step="").last()
    assert "nhập tay" in last.summary


def test_a_typed_committee_count_is_flagged_for_the_auditor(world) -> None:
    case = cell_passed_case(world)
    committee_vote(world, case, votes_for=7, eligible=9)
    row = selectors.case_row(selectors.case_queryset().get(pk=case.pk), date(2024, 7, 23))
    assert row.flagged and "nhập tay" in row.warnings[0]


def test_a_committee_counted_from_the_registry_raises_no_flag(world) -> None:
    elect(world, 5)
    case = cell_passed_case(world)
    committee_vote(world, case, votes_for=5)
    row = selectors.case_row(selectors.case_queryset().get(pk=case.pk), date(2024, 7, 23))
    assert row.warnings == []
