"""Services of the review cycle: periods, deadlines, self-reviews, assessments, publication,
objections, lock and reopen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from cosodang.core.models import AuditEvent
from cosodang.core.testing import World, make_user
from cosodang.evaluations.models import (
    Assessment,
    Objection,
    Period,
    PeriodEvent,
    Rating,
    SelfReview,
)
from cosodang.evaluations.selectors import cycle as sel
from cosodang.evaluations.services import cycle
from cosodang.evaluations.services.rating_inputs import decision_reasons
from cosodang.evaluations.tests.cycle_support import (
    ensure_packs,
    make_period,
    make_rating,
    plan_around,
    shift,
)
from cosodang.members.models import Position

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def member_user(world: World):  # type: ignore[no-untyped-def]
    return world.plain_member_a


FILLED = {
    "ideology": "Kiên định lập trường.",
    "task_results": "Hoàn thành 12 chuyên án.",
    "tasks_total": 12,
    "tasks_on_time": 12,
    "tasks_above_requirement": 4,
    "proposed_level": "HTTNV",
}


# --- periods ---------------------------------------------------------------------------------


def test_creating_a_period_picks_the_pack_in_force_on_its_end_date(world: World) -> None:
    assert make_period(world, year=2024).pack.code == "QD124"


def test_a_2025_period_uses_qd_366(world: World) -> None:
    assert make_period(world, year=2025).pack.code == "QD366"


def test_creating_a_period_records_a_timeline_row_and_an_audit_event(world: World) -> None:
    period = make_period(world, state="draft")
    assert list(PeriodEvent.objects.filter(period=period).values_list("action", flat=True)) == [
        "create"
    ]
    assert AuditEvent.objects.filter(action="evaluations.create_period").count() == 1


def test_a_quarterly_period_covers_its_quarter(world: World) -> None:
    period = make_period(world, kind="quarter", quarter=2, year=2026)
    assert (period.start.month, period.end.month, period.end.day) == (4, 6, 30)


def test_a_fourth_quarter_period_is_refused(world: World) -> None:
    ensure_packs()
    with pytest.raises(ValidationError) as caught:
        cycle.create_period(
            actor=world.staff_a,
            org=world.province_a,
            kind="quarter",
            year=2026,
            quarter=4,
            plan=plan_around(),
        )
    assert "quarter" in caught.value.message_dict


def test_a_plan_out_of_order_is_refused_and_nothing_is_written(world: World) -> None:
    ensure_packs()
    plan = plan_around()
    plan["decision_by"] = plan["cell_meeting_by"] - timedelta(days=1)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        cycle.create_period(
            actor=world.staff_a, org=world.province_a, kind="year", year=2025, plan=plan
        )
    assert "decision_by" in caught.value.message_dict
    assert (Period.objects.count(), AuditEvent.objects.count()) == (0, events)


def test_a_second_period_of_the_same_year_is_refused(world: World) -> None:
    make_period(world)
    with pytest.raises(ValidationError):
        make_period(world)


def test_a_secretary_cannot_plan_a_period(world: World) -> None:
    ensure_packs()
    with pytest.raises(Http404):
        cycle.create_period(
            actor=world.secretary_a,
            org=world.cell_a,
            kind="year",
            year=2025,
            plan=plan_around(),
        )


def test_opening_a_draft_period_on_its_day_opens_it(world: World) -> None:
    period = make_period(world, state="draft")
    cycle.open_period(actor=world.staff_a, period=period)
    period.refresh_from_db()
    assert period.state == "open"


def test_opening_before_the_planned_day_is_refused(world: World) -> None:
    period = make_period(world, state="draft")
    with pytest.raises(ValidationError):
        cycle.open_period(actor=world.staff_a, period=period, today=period.opens_on - timedelta(1))


def test_staff_of_another_province_cannot_open_the_period(world: World) -> None:
    period = make_period(world, state="draft")
    with pytest.raises(Http404):
        cycle.open_period(actor=world.staff_b, period=period)


# --- self-reviews ----------------------------------------------------------------------------


def test_a_member_saves_a_draft_of_their_own_self_review(world: World) -> None:
    period = make_period(world)
    review = cycle.save_self_review(actor=world.plain_member_a, period=period, data=FILLED)
    assert (review.member, review.state, review.tasks_total) == (
        world.plain_member_a.member,
        "draft",
        12,
    )


def test_a_member_without_a_post_gets_form_2a(world: World) -> None:
    period = make_period(world)
    review = cycle.save_self_review(actor=world.plain_member_a, period=period, data=FILLED)
    assert review.form == "2A"


def test_a_cell_secretary_gets_form_2b(world: World) -> None:
    period = make_period(world)
    Position.objects.create(
        member=world.secretary_member, party_post="bi_thu", start=period.start, org=world.cell_a
    )
    review = cycle.save_self_review(actor=world.secretary_a, period=period, data=FILLED)
    assert review.form == "2B"


def test_submitting_before_the_due_date_submits(world: World) -> None:
    period = make_period(world)
    review = cycle.save_self_review(
        actor=world.plain_member_a, period=period, data=FILLED, submit=True
    )
    assert review.state == "submitted" and review.submitted_at is not None


def test_submitting_after_the_due_date_is_refused(world: World) -> None:
    period = make_period(world)
    with pytest.raises(ValidationError, match="quá hạn"):
        cycle.save_self_review(
            actor=world.plain_member_a,
            period=period,
            data=FILLED,
            submit=True,
            today=period.self_review_due + timedelta(days=1),
        )


def test_a_returned_review_can_be_submitted_after_the_due_date(world: World) -> None:
    period = make_period(world)
    review = cycle.save_self_review(
        actor=world.plain_member_a, period=period, data=FILLED, submit=True
    )
    cycle.return_self_review(actor=world.secretary_a, review=review, note="Bổ sung minh chứng.")
    again = cycle.save_self_review(
        actor=world.plain_member_a,
        period=period,
        data={"evidence": "Biên bản"},
        submit=True,
        today=period.self_review_due + timedelta(days=3),
    )
    assert again.state == "submitted"


def test_a_submitted_review_cannot_be_edited(world: World) -> None:
    period = make_period(world)
    cycle.save_self_review(actor=world.plain_member_a, period=period, data=FILLED, submit=True)
    with pytest.raises(ValidationError, match="đã nộp"):
        cycle.save_self_review(actor=world.plain_member_a, period=period, data={"ethics": "x"})


def test_submitting_without_task_results_names_the_field(world: World) -> None:
    period = make_period(world)
    with pytest.raises(ValidationError) as caught:
        cycle.save_self_review(
            actor=world.plain_member_a,
            period=period,
            data={**FILLED, "task_results": ""},
            submit=True,
        )
    assert "task_results" in caught.value.message_dict


def test_contradicting_task_counts_are_refused_and_nothing_is_saved(world: World) -> None:
    period = make_period(world)
    with pytest.raises(ValidationError) as caught:
        cycle.save_self_review(
            actor=world.plain_member_a,
            period=period,
            data={**FILLED, "tasks_on_time": 13},
        )
    assert "tasks_on_time" in caught.value.message_dict
    assert not SelfReview.objects.exists()


def test_self_scores_above_a_criterion_maximum_are_refused(world: World) -> None:
    period = make_period(world)
    specs = sel.criterion_specs(period, "2A")
    first = specs[0]
    with pytest.raises(ValidationError) as caught:
        cycle.save_self_review(
            actor=world.plain_member_a,
            period=period,
            data={"criterion_scores": {first.code: str(first.points + 1)}},
        )
    assert f"criterion_{first.code}" in caught.value.message_dict


def test_full_self_scores_give_the_total(world: World) -> None:
    period = make_period(world)
    scores = {s.code: str(s.points) for s in sel.criterion_specs(period, "2A")}
    review = cycle.save_self_review(
        actor=world.plain_member_a, period=period, data={"criterion_scores": scores}
    )
    assert review.self_score == 100


def test_remedies_are_prefilled_from_the_previous_period_shortcomings(world: World) -> None:
    earlier = make_period(world, year=2024)
    cycle.save_self_review(
        actor=world.plain_member_a,
        period=earlier,
        data={"shortcomings": "Chậm nộp báo cáo\nÍt phát biểu"},
    )
    period = make_period(world, year=2025)
    review = cycle.save_self_review(actor=world.plain_member_a, period=period, data={})
    assert [r["text"] for r in review.remedies] == ["Chậm nộp báo cáo", "Ít phát biểu"]


def test_a_user_without_a_member_record_has_no_self_review(world: World) -> None:
    period = make_period(world)
    with pytest.raises(Http404):
        cycle.save_self_review(actor=world.staff_a, period=period, data=FILLED)


def test_a_member_outside_the_period_subtree_cannot_write_one(world: World) -> None:
    period = make_period(world)
    outsider = make_user("dv_b", member=world.member_b)
    with pytest.raises(Http404):
        cycle.save_self_review(actor=outsider, period=period, data=FILLED)


def test_a_draft_period_takes_no_self_review(world: World) -> None:
    period = make_period(world, state="draft")
    with pytest.raises(ValidationError):
        cycle.save_self_review(actor=world.plain_member_a, period=period, data=FILLED)


def test_the_secretary_may_switch_a_member_to_form_2c(world: World) -> None:
    period = make_period(world)
    review = cycle.set_self_review_form(
        actor=world.secretary_a, period=period, member=world.member_a, form="2C"
    )
    assert review.form == "2C"


# --- assessments -----------------------------------------------------------------------------


def test_each_source_is_a_separate_attributed_record(world: World) -> None:
    period = make_period(world)
    for source in ("cell_committee", "commander"):
        cycle.add_assessment(
            actor=world.secretary_a,
            period=period,
            member=world.member_a,
            source=source,
            text="Hoàn thành tốt",
            level="HTTNV",
        )
    rows = Assessment.objects.filter(member=world.member_a)
    assert sorted(rows.values_list("source", "author__username")) == [
        ("cell_committee", "secretary_a"),
        ("commander", "secretary_a"),
    ]


def test_a_second_record_of_the_same_source_is_refused(world: World) -> None:
    period = make_period(world)
    kwargs = {"period": period, "member": world.member_a, "source": "cell_committee", "text": "x"}
    cycle.add_assessment(actor=world.secretary_a, **kwargs)
    with pytest.raises(ValidationError):
        cycle.add_assessment(actor=world.secretary_a, **kwargs)


def test_the_collective_comment_needs_the_meeting_date(world: World) -> None:
    period = make_period(world)
    with pytest.raises(ValidationError) as caught:
        cycle.add_assessment(
            actor=world.secretary_a,
            period=period,
            member=world.member_a,
            source="cell_collective",
            text="Tập thể nhất trí",
        )
    assert "meeting_date" in caught.value.message_dict


def test_a_residence_exemption_needs_its_reason(world: World) -> None:
    period = make_period(world)
    with pytest.raises(ValidationError) as caught:
        cycle.add_assessment(
            actor=world.secretary_a,
            period=period,
            member=world.member_a,
            source="residence",
            exempt=True,
        )
    assert "exempt_reason" in caught.value.message_dict


def test_an_exempted_residence_comment_counts_as_present(world: World) -> None:
    period = make_period(world)
    cycle.add_assessment(
        actor=world.secretary_a,
        period=period,
        member=world.member_a,
        source="residence",
        exempt=True,
        exempt_reason="Ở doanh trại (HD 33 mục 1)",
    )
    row = next(r for r in sel.cell_progress(period, world.cell_a) if r.member == world.member_a)
    assert ("residence" in row.present, row.residence_exempt) == (True, True)


def test_the_commander_rating_feeds_the_professional_level(world: World) -> None:
    period = make_period(world)
    rating = make_rating(period, world.member_a, level="", state="proposed")
    cycle.add_assessment(
        actor=world.secretary_a,
        period=period,
        member=world.member_a,
        source="commander",
        level="HTXSNV",
    )
    rating.refresh_from_db()
    assert rating.professional_level == "HTXSNV"


def test_peer_comments_are_refused_unless_the_period_enables_them(world: World) -> None:
    period = make_period(world)
    with pytest.raises(ValidationError):
        cycle.add_assessment(
            actor=world.plain_member_a,
            period=period,
            member=world.member_a,
            source="peer",
            text="Góp ý",
        )


def test_a_member_may_comment_on_a_peer_of_the_same_cell_when_enabled(world: World) -> None:
    period = make_period(world, peer_review=True)
    row = cycle.add_assessment(
        actor=world.plain_member_a,
        period=period,
        member=world.member_a,
        source="peer",
        text="Cần chủ động hơn",
    )
    assert row.author == world.plain_member_a


def test_a_plain_member_cannot_write_the_cell_committee_assessment(world: World) -> None:
    period = make_period(world)
    with pytest.raises(Http404):
        cycle.add_assessment(
            actor=world.plain_member_a,
            period=period,
            member=world.member_a,
            source="cell_committee",
            text="x",
        )


# --- publication, objections, close, reopen --------------------------------------------------


def test_publishing_within_the_window_publishes_decided_ratings(world: World) -> None:
    period = make_period(world)
    make_rating(period, world.member_a)
    proposed = make_rating(period, world.plain_member_a.member, state="proposed")
    count = cycle.publish_results(actor=world.staff_a, period=period, today=shift(period, 0))
    period.refresh_from_db()
    proposed.refresh_from_db()
    assert (count, period.state, proposed.state) == (1, "published", "proposed")
    assert Rating.objects.get(member=world.member_a).state == "published"


def test_publishing_before_the_window_is_refused(world: World) -> None:
    period = make_period(world)
    make_rating(period, world.member_a)
    with pytest.raises(ValidationError):
        cycle.publish_results(actor=world.staff_a, period=period, today=shift(period, -1))


def test_published_results_of_the_cell_are_visible_to_its_members(world: World) -> None:
    period = make_period(world)
    make_rating(period, world.member_a)
    cycle.publish_results(actor=world.staff_a, period=period, today=shift(period, 0))
    names = [r.member.full_name for r in sel.list_results(world.plain_member_a, period)]
    assert names == ["Nguyễn Thị Hà"]


def test_decided_but_unpublished_results_are_hidden_from_members(world: World) -> None:
    period = make_period(world)
    make_rating(period, world.member_a)
    assert list(sel.list_results(world.plain_member_a, period)) == []


def published(world: World) -> tuple[Period, Rating]:
    period = make_period(world, state="published")
    rating = make_rating(period, world.plain_member_a.member, state="published")
    return period, rating


def test_a_member_lodges_an_objection_during_the_window(world: World) -> None:
    period, rating = published(world)
    objection = cycle.lodge_objection(
        actor=world.plain_member_a,
        rating=rating,
        text="Tôi đã vượt 40% chỉ tiêu",
        today=shift(period, 1),
    )
    assert (objection.state, objection.previous_level) == ("open", "HTTNV")


def test_an_objection_after_the_window_is_refused(world: World) -> None:
    period, rating = published(world)
    with pytest.raises(ValidationError):
        cycle.lodge_objection(
            actor=world.plain_member_a,
            rating=rating,
            text="Muộn",
            today=period.publish_until + timedelta(days=1),
        )


def test_nobody_but_the_rated_member_may_object(world: World) -> None:
    period, rating = published(world)
    with pytest.raises(Http404):
        cycle.lodge_objection(
            actor=world.secretary_a, rating=rating, text="Thay", today=shift(period, 1)
        )


def test_an_upheld_objection_sets_the_new_level_with_the_reason(world: World) -> None:
    period, rating = published(world)
    objection = cycle.lodge_objection(
        actor=world.plain_member_a, rating=rating, text="Lý do", today=shift(period, 1)
    )
    cycle.answer_objection(
        actor=world.staff_a,
        objection=objection,
        upheld=True,
        answer="Đủ minh chứng vượt chỉ tiêu",
        new_level="HTXSNV",
    )
    rating.refresh_from_db()
    assert rating.level == "HTXSNV"
    assert "Đủ minh chứng" in decision_reasons(rating)[-1]["detail"]


def test_a_dismissed_objection_keeps_the_level(world: World) -> None:
    period, rating = published(world)
    objection = cycle.lodge_objection(
        actor=world.plain_member_a, rating=rating, text="Lý do", today=shift(period, 1)
    )
    cycle.answer_objection(
        actor=world.staff_a, objection=objection, upheld=False, answer="Không đủ căn cứ"
    )
    rating.refresh_from_db()
    objection.refresh_from_db()
    assert (rating.level, objection.state) == ("HTTNV", "dismissed")


def test_a_secretary_cannot_answer_an_objection(world: World) -> None:
    period, rating = published(world)
    objection = cycle.lodge_objection(
        actor=world.plain_member_a, rating=rating, text="Lý do", today=shift(period, 1)
    )
    with pytest.raises(Http404):
        cycle.answer_objection(
            actor=world.secretary_a, objection=objection, upheld=False, answer="Không"
        )


def test_closing_with_an_unanswered_objection_is_refused(world: World) -> None:
    period, rating = published(world)
    cycle.lodge_objection(
        actor=world.plain_member_a, rating=rating, text="Lý do", today=shift(period, 1)
    )
    with pytest.raises(ValidationError, match="chưa được trả lời"):
        cycle.close_period(
            actor=world.staff_a, period=period, today=period.publish_until + timedelta(days=1)
        )


def test_closing_during_the_publication_window_is_refused(world: World) -> None:
    period, _ = published(world)
    with pytest.raises(ValidationError):
        cycle.close_period(actor=world.staff_a, period=period, today=period.publish_until)


def closed(world: World) -> tuple[Period, Rating]:
    period, rating = published(world)
    cycle.close_period(
        actor=world.staff_a, period=period, today=period.publish_until + timedelta(days=1)
    )
    period.refresh_from_db()
    rating.refresh_from_db()
    return period, rating


def test_closing_locks_every_rating(world: World) -> None:
    period, rating = closed(world)
    assert (period.state, rating.state) == ("closed", "locked")


def test_a_locked_rating_refuses_a_new_assessment(world: World) -> None:
    period, rating = closed(world)
    Period.objects.filter(pk=period.pk).update(state="open")  # even if the period were open
    with pytest.raises(ValidationError, match="khóa"):
        cycle.add_assessment(
            actor=world.secretary_a,
            period=period,
            member=rating.member,
            source="cell_committee",
            text="x",
        )


def test_a_locked_rating_refuses_any_change_through_the_guard(world: World) -> None:
    _, rating = closed(world)
    with pytest.raises(ValidationError):
        cycle.ensure_rating_editable(rating)


def test_the_deciding_committee_cannot_reopen_its_own_period(world: World) -> None:
    period, _ = closed(world)
    with pytest.raises(Http404):
        cycle.reopen_period(actor=world.staff_a, period=period, reason="Sửa")


def test_a_superior_committee_reopens_with_a_recorded_reason(world: World) -> None:
    period, rating = closed(world)
    superior = make_user("staff_root", role=world.staff_a.grants.first().role, org=world.root)
    cycle.reopen_period(actor=superior, period=period, reason="Hủy kết quả để xếp loại lại")
    period.refresh_from_db()
    rating.refresh_from_db()
    event = PeriodEvent.objects.filter(period=period).last()
    assert (period.state, rating.state) == ("open", "decided")
    assert (event.action, event.reason) == ("reopen", "Hủy kết quả để xếp loại lại")
    assert AuditEvent.objects.filter(action="evaluations.reopen_period").exists()


def test_reopening_without_a_reason_is_refused(world: World) -> None:
    period, _ = closed(world)
    with pytest.raises(ValidationError):
        cycle.reopen_period(actor=world.admin, period=period, reason=" ")


def test_every_step_leaves_a_timeline_row(world: World) -> None:
    period = make_period(world, state="draft")
    cycle.open_period(actor=world.staff_a, period=period)
    make_rating(period, world.member_a)
    cycle.publish_results(actor=world.staff_a, period=period, today=shift(period, 0))
    cycle.close_period(
        actor=world.staff_a, period=period, today=period.publish_until + timedelta(days=1)
    )
    actions = list(PeriodEvent.objects.filter(period=period).values_list("action", flat=True))
    assert actions == ["create", "open", "publish", "close"]


def test_an_objection_row_is_scoped_to_the_cell(world: World) -> None:
    period, rating = published(world)
    objection = cycle.lodge_objection(
        actor=world.plain_member_a, rating=rating, text="Lý do", today=shift(period, 1)
    )
    assert Objection.objects.get(pk=objection.pk).org_path == world.cell_a.path


def test_the_committee_moves_the_plan_dates_in_order(world: World) -> None:
    period = make_period(world)
    plan = plan_around(closes_on=period.closes_on + timedelta(days=5))
    cycle.update_plan(actor=world.staff_a, period=period, plan=plan)
    period.refresh_from_db()
    assert period.closes_on == plan["closes_on"]
    assert PeriodEvent.objects.filter(period=period, action="update_plan").exists()


def test_a_closed_period_plan_cannot_change(world: World) -> None:
    period, _ = closed(world)
    with pytest.raises(ValidationError):
        cycle.update_plan(actor=world.staff_a, period=period, plan=plan_around())


def test_quarter_results_feed_the_year_in_quarter_order(world: World) -> None:
    for q, level in ((2, "HTTNV"), (1, "HTXSNV")):
        period = make_period(world, kind="quarter", quarter=q, year=2025)
        make_rating(period, world.member_a, level=level)
    results = sel.quarter_results(world.member_a, 2025)
    assert [(r.quarter, r.level, r.decided) for r in results] == [
        (1, "HTXSNV", True),
        (2, "HTTNV", True),
    ]
