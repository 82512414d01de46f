"""Services of ratings: the cell's proposal, collective ratings, the decision, overrides."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from cosodang.core.models import AuditEvent
from cosodang.core.testing import World, make_member
from cosodang.evaluations.models import OrgRating, Rating
from cosodang.evaluations.services import decisions, rating_base, rating_inputs
from cosodang.evaluations.services import ratings as svc
from cosodang.evaluations.tests.builders_ratings import (
    make_assessment,
    make_org_rating,
    make_period,
    make_post,
    make_rating,
    make_review,
)
from cosodang.members.models import Discipline

pytestmark = pytest.mark.django_db


def _propose(w: World, period, **kw):  # type: ignore[no-untyped-def]
    return svc.propose_cell(actor=w.secretary_a, period=period, org=w.cell_a, **kw)


def _rating(period, member) -> Rating:  # type: ignore[no-untyped-def]
    return Rating.objects.get(period=period, member=member)


# --- proposal ---------------------------------------------------------------------------------


def test_the_cell_proposes_from_the_self_review(world: World) -> None:
    period = make_period(world.province_a)
    make_review(period, world.member_a, self_score=Decimal("85"))
    _propose(world, period)
    rating = _rating(period, world.member_a)
    assert (rating.proposed_level, rating.state, rating.score) == ("HTTNV", "proposed", 85)


def test_the_cell_committees_score_replaces_the_self_score(world: World) -> None:
    period = make_period(world.province_a)
    make_review(period, world.member_a, self_score=Decimal("95"), tasks_above_requirement=5)
    make_assessment(
        period, world.member_a, "cell_committee", world.secretary_a, score=Decimal("72")
    )
    _propose(world, period)
    rating = _rating(period, world.member_a)
    assert (rating.score, rating.proposed_level) == (72, "HTTNV")


def test_the_commanders_rating_is_the_professional_level(world: World) -> None:
    period = make_period(world.province_a)
    make_review(period, world.member_a)
    make_assessment(period, world.member_a, "commander", world.staff_a, level="KHTNV")
    _propose(world, period)
    rating = _rating(period, world.member_a)
    assert (rating.professional_level, rating.proposed_level) == ("KHTNV", "KHTNV")


def test_a_discipline_in_the_period_makes_the_proposal_khtnv(world: World) -> None:
    period = make_period(world.province_a)
    make_review(period, world.member_a)
    Discipline.objects.create(member=world.member_a, date=date(2025, 5, 1), form="khien_trach")
    _propose(world, period)
    assert _rating(period, world.member_a).proposed_level == "KHTNV"


def test_a_discipline_of_an_earlier_year_does_not_count(world: World) -> None:
    period = make_period(world.province_a)
    make_review(period, world.member_a)
    Discipline.objects.create(member=world.member_a, date=date(2024, 5, 1), form="khien_trach")
    _propose(world, period)
    assert _rating(period, world.member_a).proposed_level == "HTTNV"


def test_the_proposal_keeps_every_reason_of_the_engine(world: World) -> None:
    period = make_period(world.province_a)
    make_review(period, world.member_a)
    _propose(world, period)
    rating = _rating(period, world.member_a)
    details = rating_inputs.proposal_reasons(rating)
    assert any(r["rule"] == "thresholds.HTTNV" and r["passed"] for r in details)
    assert all(r["detail"] for r in details)


def test_a_member_without_a_submitted_review_is_skipped_and_named(world: World) -> None:
    period = make_period(world.province_a)
    make_review(period, world.member_a)
    report = _propose(world, period)
    assert not Rating.objects.filter(period=period, member=world.secretary_member).exists()
    assert ("Trần Văn Bình", "Chưa nộp bản kiểm điểm.") in report.skipped


def test_a_draft_review_does_not_count_as_submitted(world: World) -> None:
    period = make_period(world.province_a)
    make_review(period, world.member_a, state="draft")
    _propose(world, period)
    assert not Rating.objects.filter(period=period).exists()


def test_a_cell_secretary_who_heads_the_cell_is_proposed_as_a_head_and_leader(
    world: World,
) -> None:
    period = make_period(world.province_a)
    make_post(world.secretary_member, party_post="bi_thu", org=world.cell_a)
    make_review(period, world.secretary_member)
    _propose(world, period)
    rating = _rating(period, world.secretary_member)
    assert (rating.is_head, rating.headed_org_id, rating.subject_kind) == (
        True,
        world.cell_a.pk,
        "leader",
    )


def test_a_member_with_several_posts_is_rated_in_each_and_gets_the_lowest(world: World) -> None:
    period = make_period(world.province_a)
    make_post(world.secretary_member, party_post="bi_thu", org=world.cell_a)
    make_post(world.secretary_member, title="Đội trưởng")
    # The cell he heads finished only 6 of its 10 tasks on time; his own work was all on time.
    make_org_rating(period, world.cell_a, tasks_total=10, tasks_on_time=6, tasks_late=4)
    make_review(period, world.secretary_member, self_score=Decimal("85"))
    _propose(world, period)
    rating = _rating(period, world.secretary_member)
    reasons = rating_inputs.proposal_reasons(rating)
    combined = next(r for r in reasons if r["rule"] == "several_posts")
    assert rating.proposed_level == "KHTNV" or rating.proposed_level == "HTNV"
    assert "Bí thư, Phó Bí thư" in combined["detail"] and "Cấp trưởng" in combined["detail"]


def test_the_secretary_adjusts_an_input_with_a_reason(world: World) -> None:
    period = make_period(world.province_a)
    make_review(period, world.member_a, self_score=Decimal("85"))
    _propose(
        world,
        period,
        adjustments={
            world.member_a.pk: rating_inputs.Adjustment(
                {"score": "60"}, "Chi bộ chấm lại tại cuộc họp"
            )
        },
    )
    rating = _rating(period, world.member_a)
    assert (rating.score, rating.proposed_level) == (60, "HTNV")
    assert rating_inputs.proposal_reasons(rating)[0]["rule"] == rating_base.ADJUSTED_RULE
    assert "Chi bộ chấm lại" in rating_inputs.proposal_reasons(rating)[0]["detail"]


def test_an_adjustment_without_a_reason_is_refused_and_nothing_is_written(world: World) -> None:
    period = make_period(world.province_a)
    make_review(period, world.member_a)
    with pytest.raises(ValidationError, match="lý do"):
        _propose(
            world,
            period,
            adjustments={world.member_a.pk: rating_inputs.Adjustment({"score": 60}, " ")},
        )
    assert not Rating.objects.filter(period=period).exists()


def test_an_adjustment_is_kept_when_the_cell_proposes_again(world: World) -> None:
    period = make_period(world.province_a)
    make_review(period, world.member_a, self_score=Decimal("85"))
    _propose(
        world,
        period,
        adjustments={world.member_a.pk: rating_inputs.Adjustment({"score": 60}, "Họp")},
    )
    _propose(world, period)
    assert _rating(period, world.member_a).score == 60


def test_a_bad_input_refuses_the_whole_proposal_naming_the_member(world: World) -> None:
    period = make_period(world.province_a)
    make_review(period, world.member_a, tasks_total=0, tasks_on_time=0, tasks_above_requirement=0)
    make_review(period, world.secretary_member)
    with pytest.raises(ValidationError, match="Nguyễn Thị Hà: số nhiệm vụ"):
        _propose(world, period)
    assert not Rating.objects.filter(period=period).exists()


def test_the_proposal_is_refused_when_the_period_is_not_open(world: World) -> None:
    period = make_period(world.province_a, state="closed")
    make_review(period, world.member_a)
    with pytest.raises(ValidationError, match="Đã kết thúc"):
        _propose(world, period)


def test_a_secretary_of_another_province_cannot_propose(world: World) -> None:
    period = make_period(world.province_a)
    with pytest.raises(Http404):
        svc.propose_cell(actor=world.staff_b, period=period, org=world.cell_a)


def test_one_audit_event_records_the_proposal_with_counts(world: World) -> None:
    period = make_period(world.province_a)
    make_review(period, world.member_a)
    before = AuditEvent.objects.count()
    _propose(world, period)
    event = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert event is not None and event.action == "evaluations.ratings.propose_cell"
    assert event.diff["proposed"] == 1


def test_a_decided_rating_is_not_proposed_again(world: World) -> None:
    period = make_period(world.province_a)
    make_review(period, world.member_a, self_score=Decimal("60"))
    make_rating(period, world.member_a, state="decided", level="HTTNV")
    report = _propose(world, period)
    assert _rating(period, world.member_a).level == "HTTNV"
    assert any("đã quyết định" in why for _, why in report.skipped)


# --- collective ratings ------------------------------------------------------------------------


def test_a_collective_is_proposed_from_its_score_and_task_results(world: World) -> None:
    period = make_period(world.province_a)
    make_rating(period, world.member_a, proposed_level="HTTNV")
    rating = svc.rate_collective(
        actor=world.secretary_a,
        period=period,
        org=world.cell_a,
        score=80,
        tasks_total=10,
        tasks_on_time=10,
    )
    assert (rating.proposed_level, rating.member_levels) == ("HTTNV", {"HTTNV": 1})


def test_a_collective_whose_leadership_was_disciplined_is_not_excellent(world: World) -> None:
    period = make_period(world.province_a)
    make_post(world.secretary_member, party_post="bi_thu", org=world.cell_a)
    Discipline.objects.create(member=world.secretary_member, date=date(2025, 3, 1), form="canh_cao")
    rating = svc.rate_collective(
        actor=world.secretary_a,
        period=period,
        org=world.cell_a,
        score=95,
        tasks_total=10,
        tasks_on_time=10,
        tasks_above_requirement=5,
    )
    assert rating.proposed_level != "HTXSNV"


# --- decision ---------------------------------------------------------------------------------


def _decide(w: World, period):  # type: ignore[no-untyped-def]
    return decisions.decide(actor=w.staff_a, period=period, org=w.branch_a)


def test_the_committee_decides_the_proposed_level(world: World) -> None:
    period = make_period(world.province_a)
    make_rating(period, world.member_a, proposed_level="HTNV")
    _decide(world, period)
    rating = _rating(period, world.member_a)
    assert (rating.level, rating.state, rating.decided_by) == ("HTNV", "decided", world.staff_a)


def test_the_head_is_capped_at_the_level_of_the_collective(world: World) -> None:
    period = make_period(world.province_a)
    make_org_rating(period, world.cell_a, proposed_level="HTNV")
    make_rating(
        period,
        world.secretary_member,
        proposed_level="HTXSNV",
        score=Decimal("95"),
        is_head=True,
        headed_org=world.cell_a,
        position_group="ta|cap_uy_chu_chot",
    )
    report = _decide(world, period)
    rating = _rating(period, world.secretary_member)
    assert rating.level == "HTNV"
    assert (
        rating_inputs.decision_reasons(rating)[0]["rule"] == "head_cap"
        and not rating_inputs.decision_reasons(rating)[0]["passed"]
    )
    assert report.capped_by_collective == 1


def test_collectives_are_decided_before_their_heads(world: World) -> None:
    period = make_period(world.province_a)
    make_org_rating(period, world.cell_a, proposed_level="HTTNV")
    make_rating(period, world.secretary_member, is_head=True, headed_org=world.cell_a)
    _decide(world, period)
    collective = OrgRating.objects.get(period=period, org=world.cell_a)
    assert (collective.level, collective.state) == ("HTTNV", "decided")


def test_a_head_whose_collective_is_not_rated_waits(world: World) -> None:
    period = make_period(world.province_a)
    make_rating(period, world.secretary_member, is_head=True, headed_org=world.cell_a)
    report = _decide(world, period)
    assert _rating(period, world.secretary_member).state == "proposed"
    assert report.waiting_heads == 1


def _excellent(period, member, score: str, above: int = 5) -> Rating:  # type: ignore[no-untyped-def]
    return make_rating(
        period,
        member,
        proposed_level="HTXSNV",
        score=Decimal(score),
        tasks_above_requirement=above,
    )


def test_the_quota_keeps_one_excellent_in_six_of_the_two_top_levels(world: World) -> None:
    period = make_period(world.province_a)
    people = [make_member(world.cell_a) for _ in range(3)]
    best = _excellent(period, world.member_a, "97")
    _excellent(period, world.secretary_member, "95")
    _excellent(period, people[0], "92")
    for m in people[1:]:
        make_rating(period, m, proposed_level="HTTNV")
    make_rating(period, make_member(world.cell_a), proposed_level="HTTNV")
    report = _decide(world, period)
    levels = dict(Rating.objects.filter(period=period).values_list("member_id", "level"))
    assert sum(lv == "HTXSNV" for lv in levels.values()) == 1
    assert levels[best.member_id] == "HTXSNV"
    assert report.capped_by_quota == 2


def test_a_tie_on_score_is_broken_by_the_share_above_requirement(world: World) -> None:
    period = make_period(world.province_a)
    low = _excellent(period, world.member_a, "95", above=3)
    high = _excellent(period, world.secretary_member, "95", above=6)
    for _ in range(4):
        make_rating(period, make_member(world.cell_a), proposed_level="HTTNV")
    _decide(world, period)
    assert (_rating(period, high.member).level, _rating(period, low.member).level) == (
        "HTXSNV",
        "HTTNV",
    )


def test_a_full_tie_keeps_the_earlier_rating_and_says_so(world: World) -> None:
    period = make_period(world.province_a)
    first = _excellent(period, world.member_a, "95")
    second = _excellent(period, world.secretary_member, "95")
    for _ in range(4):
        make_rating(period, make_member(world.cell_a), proposed_level="HTTNV")
    _decide(world, period)
    demoted = _rating(period, second.member)
    assert _rating(period, first.member).level == "HTXSNV"
    assert demoted.level == "HTTNV"
    assert "Đồng hạng" in rating_inputs.decision_reasons(demoted)[-1]["detail"]


def test_the_quota_counts_each_position_group_apart(world: World) -> None:
    period = make_period(world.province_a)
    a = _excellent(period, world.member_a, "95")
    b = make_rating(
        period,
        world.secretary_member,
        proposed_level="HTXSNV",
        score=Decimal("95"),
        tasks_above_requirement=5,
        position_group="ta|can_bo",
    )
    for _ in range(5):
        make_rating(period, make_member(world.cell_a), proposed_level="HTTNV")
    _decide(world, period)
    assert _rating(period, a.member).level == "HTXSNV"
    assert _rating(period, b.member).level == "HTTNV"  # alone in its group: 0 of 1 allowed


def test_one_audit_event_records_the_decision_with_counts(world: World) -> None:
    period = make_period(world.province_a)
    make_rating(period, world.member_a)
    make_rating(period, world.secretary_member)
    before = AuditEvent.objects.count()
    _decide(world, period)
    event = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert event is not None and event.diff["decided"] == 2


def test_a_cell_is_not_a_deciding_committee(world: World) -> None:
    period = make_period(world.province_a)
    with pytest.raises(ValidationError, match="không phải cấp quyết định"):
        decisions.decide(actor=world.staff_a, period=period, org=world.cell_a)


def test_the_secretary_cannot_decide(world: World) -> None:
    period = make_period(world.province_a)
    with pytest.raises(Http404):
        decisions.decide(actor=world.secretary_a, period=period, org=world.branch_a)


def test_a_closed_period_cannot_be_decided(world: World) -> None:
    period = make_period(world.province_a, state="closed")
    with pytest.raises(ValidationError):
        _decide(world, period)


# --- individual overrides --------------------------------------------------------------------


def test_the_committee_overrides_one_rating_with_a_reason(world: World) -> None:
    period = make_period(world.province_a)
    rating = make_rating(period, world.member_a, state="decided", level="HTTNV")
    decisions.decide_one(
        actor=world.staff_a, rating=rating, level="HTXSNV", reason="Lập công đặc biệt"
    )
    rating.refresh_from_db()
    assert (rating.level, rating.note) == ("HTXSNV", "Lập công đặc biệt")
    assert rating_inputs.decision_reasons(rating)[-1]["rule"] == rating_base.OVERRIDE_RULE
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None and event.action == "evaluations.ratings.decide_one"


def test_an_override_needs_a_reason(world: World) -> None:
    period = make_period(world.province_a)
    rating = make_rating(period, world.member_a)
    with pytest.raises(ValidationError):
        decisions.decide_one(actor=world.staff_a, rating=rating, level="HTNV", reason="  ")


def test_an_override_is_refused_once_the_period_is_closed(world: World) -> None:
    period = make_period(world.province_a, state="closed")
    rating = make_rating(period, world.member_a, state="locked", level="HTTNV")
    with pytest.raises(ValidationError, match="khóa"):
        decisions.decide_one(actor=world.staff_a, rating=rating, level="HTNV", reason="Xem lại")


def test_an_overridden_rating_is_kept_by_a_later_decision(world: World) -> None:
    period = make_period(world.province_a)
    rating = make_rating(period, world.member_a, proposed_level="HTNV")
    decisions.decide_one(actor=world.staff_a, rating=rating, level="HTTNV", reason="Xem xét lại")
    report = _decide(world, period)
    assert _rating(period, world.member_a).level == "HTTNV"
    assert report.kept == 1


# --- recompute --------------------------------------------------------------------------------


def test_recompute_reruns_the_engine_on_stored_inputs(world: World) -> None:
    period = make_period(world.province_a)
    make_rating(period, world.member_a, score=Decimal("55"), proposed_level="HTTNV")
    report = decisions.recompute_proposals(actor=world.staff_a, period=period, org=world.province_a)
    assert _rating(period, world.member_a).proposed_level == "HTNV"
    assert report.proposed == 1
