"""How ratings are stored at scale: narrow rows, reasons rebuilt on read, one write per row.

Ratings store no reasons (a million rows are rewritten by one pass): the proposal's are rebuilt
by the engine from the stored inputs and ``Rating.extra``; the decision's from the short
``Rating.steps`` code. These tests hold the rebuilt reasons to what the engine says, and the
one-pass ``recompute_and_decide`` to the two services it replaces.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cosodang.core.testing import World, make_member
from cosodang.evaluations import rules_ratings as rr
from cosodang.evaluations.models import Rating
from cosodang.evaluations.rules import SubjectInput, evaluate
from cosodang.evaluations.services import decisions, rating_base, rating_inputs
from cosodang.evaluations.services import ratings as svc
from cosodang.evaluations.tests.builders_ratings import (
    make_org_rating,
    make_period,
    make_post,
    make_rating,
    make_review,
)
from cosodang.members.models import Discipline

pytestmark = pytest.mark.django_db


def _rating(period, member) -> Rating:  # type: ignore[no-untyped-def]
    return Rating.objects.get(period=period, member=member)


def test_the_rebuilt_proposal_reasons_are_the_engines_on_the_stored_inputs(world: World) -> None:
    period = make_period(world.province_a)
    make_review(period, world.member_a, self_score=Decimal("85.5"))
    svc.propose_cell(actor=world.secretary_a, period=period, org=world.cell_a)
    rating = _rating(period, world.member_a)
    result = evaluate(
        SubjectInput(
            subject_kind=rating.subject_kind,
            period=(period.start, period.end),
            score=Decimal("85.5"),
            tasks_total=rating.tasks_total,
            tasks_on_time=rating.tasks_on_time,
            tasks_above_requirement=rating.tasks_above_requirement,
            tasks_late=rating.tasks_late,
        ),
        rating_base.period_pack(period),
    )
    expected = [{"rule": r.rule, "passed": r.passed, "detail": r.detail} for r in result.reasons]
    assert (
        rating_inputs.proposal_reasons(rating) == expected and rating.proposed_level == result.level
    )


def test_a_discipline_kept_with_the_proposal_explains_it_after_the_record_is_gone(
    world: World,
) -> None:
    period = make_period(world.province_a)
    make_review(period, world.member_a)
    Discipline.objects.create(member=world.member_a, date=date(2025, 5, 1), form="khien_trach")
    svc.propose_cell(actor=world.secretary_a, period=period, org=world.cell_a)
    before = rating_inputs.proposal_reasons(_rating(period, world.member_a))
    Discipline.objects.filter(member=world.member_a).delete()
    assert rating_inputs.proposal_reasons(_rating(period, world.member_a)) == before
    assert any(not r["passed"] for r in before)


def test_most_ratings_store_no_extra_inputs(world: World) -> None:
    period = make_period(world.province_a)
    make_review(period, world.member_a)
    svc.propose_cell(actor=world.secretary_a, period=period, org=world.cell_a)
    assert _rating(period, world.member_a).extra is None


def test_several_posts_are_kept_so_the_reasons_name_each_post(world: World) -> None:
    period = make_period(world.province_a)
    make_post(world.secretary_member, party_post="bi_thu", org=world.cell_a)
    make_post(world.secretary_member, title="Đội trưởng")
    make_review(period, world.secretary_member)
    svc.propose_cell(actor=world.secretary_a, period=period, org=world.cell_a)
    rating = _rating(period, world.secretary_member)
    assert rating.extra is not None and len(rating.extra["posts"]) == 2
    assert any(r["rule"] == "several_posts" for r in rating_inputs.proposal_reasons(rating))


def test_the_quota_places_are_rebuilt_into_kept_and_demoted_reasons(world: World) -> None:
    period = make_period(world.province_a)
    kept = make_rating(period, world.member_a, proposed_level="HTXSNV", score=Decimal("97"))
    cut = make_rating(period, world.secretary_member, proposed_level="HTXSNV", score=Decimal("90"))
    for _ in range(4):  # 20 % of the two top levels: one of 2 + 4 keeps HTXSNV
        make_rating(period, make_member(world.cell_a), proposed_level="HTTNV")
    decisions.decide(actor=world.staff_a, period=period, org=world.branch_a)
    kept, cut = _rating(period, kept.member), _rating(period, cut.member)
    assert (kept.level, cut.level) == ("HTXSNV", "HTTNV")
    assert kept.steps == "q:1/2/1" and cut.steps == "q:2/2/1"
    (kept_reason,) = rating_inputs.decision_reasons(kept)
    (cut_reason,) = rating_inputs.decision_reasons(cut)
    assert kept_reason["passed"] and "Trong tỷ lệ" in kept_reason["detail"]
    assert not cut_reason["passed"] and "Vượt tỷ lệ" in cut_reason["detail"]


def test_a_head_capped_by_a_collective_only_proposed_says_so(world: World) -> None:
    period = make_period(world.province_a)
    rating = make_rating(
        period,
        world.secretary_member,
        proposed_level="HTTNV",
        level="HTNV",
        steps="h:HTNV:p",
        state="decided",
        is_head=True,
        headed_org=world.cell_a,
    )
    (reason,) = rating_inputs.decision_reasons(rating)
    assert reason["rule"] == "head_cap" and not reason["passed"]
    assert "(HTNV); hạ xuống HTNV" in reason["detail"]
    assert reason["detail"].endswith("(theo mức đề xuất của tập thể, chưa quyết định)")


def test_a_decided_head_cap_is_stored_as_a_step(world: World) -> None:
    period = make_period(world.province_a)
    make_org_rating(period, world.cell_a, proposed_level="HTNV")
    make_rating(
        period,
        world.secretary_member,
        proposed_level="HTTNV",
        is_head=True,
        headed_org=world.cell_a,
    )
    decisions.decide(actor=world.staff_a, period=period, org=world.branch_a)
    rating = _rating(period, world.secretary_member)
    assert (rating.level, rating.steps) == ("HTNV", "h:HTNV")


def test_an_override_keeps_the_earlier_steps_and_adds_its_reason(world: World) -> None:
    period = make_period(world.province_a)
    rating = make_rating(period, world.member_a, state="decided", level="HTTNV", steps="q:2/2/1")
    decisions.decide_one(actor=world.staff_a, rating=rating, level="HTXSNV", reason="Lập công")
    rating.refresh_from_db()
    reasons = rating_inputs.decision_reasons(rating)
    assert [r["rule"] for r in reasons] == ["quota", rating_base.OVERRIDE_RULE]
    assert reasons[-1]["detail"] == (
        "Cấp ủy quyết định mức HTXSNV (trước đó HTTNV). Lý do: Lập công"
    )


def test_the_steps_code_round_trips() -> None:
    steps = rr.Steps(head="HTNV", head_proposed=True, quota=(3, 7, 2, True), override_from="")
    assert rr.encode_steps(steps) == "h:HTNV:p;q:3/7/2/t;o:"
    assert rr.decode_steps(rr.encode_steps(steps)) == steps
    assert rr.decode_steps("") == rr.Steps()


def _scope_state(period) -> list[tuple[int, str, str, str, str]]:  # type: ignore[no-untyped-def]
    return list(
        Rating.objects.filter(period=period)
        .order_by("id")
        .values_list("id", "proposed_level", "level", "steps", "state")
    )


def test_one_pass_gives_what_recompute_then_decide_give(world: World) -> None:
    period = make_period(world.province_a)
    make_org_rating(period, world.cell_a, proposed_level="HTTNV")
    make_rating(
        period,
        world.secretary_member,
        proposed_level="",
        score=Decimal("96"),
        tasks_above_requirement=6,
        is_head=True,
        headed_org=world.cell_a,
    )
    for i, score in enumerate(("95", "93", "91", "88", "80", "72", "60", "45")):
        member = make_member(world.cell_a, f"Người {i}")
        make_rating(
            period, member, proposed_level="", score=Decimal(score), tasks_above_requirement=4
        )
    actor, org = world.staff_a, world.branch_a
    decisions.recompute_proposals(actor=actor, period=period, org=org)
    decisions.decide(actor=actor, period=period, org=org)
    two_steps = _scope_state(period)
    Rating.objects.filter(period=period).update(proposed_level="", level="", steps="")
    Rating.objects.filter(period=period).update(state="proposed")
    proposal, report = decisions.recompute_and_decide(actor=actor, period=period, org=org)
    assert _scope_state(period) == two_steps
    assert proposal.proposed == 9 and report.decided == 9
    assert any(level == "HTXSNV" for _, _, level, _, _ in two_steps)
