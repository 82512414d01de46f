"""What a plain member sees of the evaluations (core/access.py `_self_clause` additions)."""

from __future__ import annotations

import pytest

from cosodang.core.access import Action, visible_to
from cosodang.core.testing import World
from cosodang.evaluations.models import Objection, Rating, SelfReview
from cosodang.evaluations.tests.cycle_support import make_period, make_rating

pytestmark = pytest.mark.django_db


def review(period, member) -> SelfReview:  # type: ignore[no-untyped-def]
    return SelfReview.objects.create(
        period=period, member=member, org_path=member.org_path, form="2A"
    )


def seen(world: World, model) -> set[int]:  # type: ignore[no-untyped-def]
    qs = visible_to(world.plain_member_a, model.objects.all(), Action.VIEW_EVALUATION)
    return set(qs.values_list("pk", flat=True))


def test_a_member_sees_their_own_self_review(world: World) -> None:
    period = make_period(world)
    own = review(period, world.plain_member_a.member)
    review(period, world.member_a)
    assert seen(world, SelfReview) == {own.pk}


def test_a_member_sees_their_own_rating_before_publication(world: World) -> None:
    period = make_period(world)
    own = make_rating(period, world.plain_member_a.member, state="decided")
    assert seen(world, Rating) == {own.pk}


def test_a_member_does_not_see_a_cell_mate_rating_before_publication(world: World) -> None:
    period = make_period(world)
    make_rating(period, world.member_a, state="decided")
    assert seen(world, Rating) == set()


@pytest.mark.parametrize("state", ["published", "locked"])
def test_a_member_sees_the_published_ratings_of_their_cell(world: World, state: str) -> None:
    period = make_period(world)
    other = make_rating(period, world.member_a, state=state)
    assert seen(world, Rating) == {other.pk}


def test_a_member_does_not_see_published_ratings_of_another_cell(world: World) -> None:
    period = make_period(world)
    make_rating(period, world.member_b, state="published")
    assert seen(world, Rating) == set()


def test_a_member_sees_their_own_objections_only(world: World) -> None:
    period = make_period(world)
    own = make_rating(period, world.plain_member_a.member, state="published")
    other = make_rating(period, world.member_a, state="published")
    mine = Objection.objects.create(
        rating=own, org_path=own.org_path, lodged_by=world.plain_member_a, text="a"
    )
    Objection.objects.create(
        rating=other, org_path=other.org_path, lodged_by=world.secretary_a, text="b"
    )
    assert seen(world, Objection) == {mine.pk}


def test_staff_of_another_province_sees_no_rating_of_a(world: World) -> None:
    period = make_period(world)
    make_rating(period, world.member_a, state="published")
    qs = visible_to(world.staff_b, Rating.objects.all(), Action.VIEW_EVALUATION)
    assert not qs.exists()


def test_the_own_clause_does_not_widen_other_actions(world: World) -> None:
    period = make_period(world)
    review(period, world.plain_member_a.member)
    qs = visible_to(world.plain_member_a, SelfReview.objects.all(), Action.ASSESS_MEMBER)
    assert not qs.exists()
