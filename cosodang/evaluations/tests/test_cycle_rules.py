"""Pure rules of the review cycle (rules_cycle.py): no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cosodang.evaluations import rules_cycle as rc
from cosodang.evaluations.models import PeriodState, SelfReviewForm

D = date(2025, 12, 10)
PLAN = rc.Plan(
    opens_on=date(2025, 12, 1),
    self_review_due=date(2025, 12, 5),
    cell_meeting_by=date(2025, 12, 10),
    decision_by=date(2025, 12, 15),
    publish_from=date(2025, 12, 16),
    publish_until=date(2025, 12, 25),
    closes_on=date(2025, 12, 30),
)


def plan_dict(**changes: date) -> dict[str, date]:
    data = {name: getattr(PLAN, name) for name, _ in rc.PLAN_FIELDS}
    data.update(changes)
    return data


# --- states ----------------------------------------------------------------------------------


def test_the_rule_states_are_the_model_states() -> None:
    assert {s.value for s in rc.State} == set(PeriodState.values)


def test_the_form_codes_are_the_model_form_codes() -> None:
    assert {f.value for f in rc.Form} == set(SelfReviewForm.values)


@pytest.mark.parametrize(
    ("state", "step", "target"),
    [
        ("draft", "open", "open"),
        ("open", "publish", "published"),
        ("published", "publish", "published"),
        ("published", "close", "closed"),
        ("closed", "reopen", "open"),
    ],
)
def test_each_step_of_the_cycle_reaches_its_state(state: str, step: str, target: str) -> None:
    assert rc.next_state(state, step) == target


@pytest.mark.parametrize(
    ("state", "step"),
    [("draft", "publish"), ("open", "close"), ("closed", "publish"), ("open", "reopen")],
)
def test_a_step_out_of_order_is_refused_naming_the_state(state: str, step: str) -> None:
    with pytest.raises(rc.CycleError) as caught:
        rc.next_state(state, step)
    assert rc.STATE_LABELS[rc.State(state)] in caught.value.message


def test_a_closed_period_allows_only_reopening() -> None:
    assert rc.allowed_steps("closed") == [rc.Step.REOPEN]


# --- bounds and plan -------------------------------------------------------------------------


def test_a_year_covers_the_calendar_year() -> None:
    assert rc.period_bounds("year", 2025, None) == (date(2025, 1, 1), date(2025, 12, 31))


@pytest.mark.parametrize(
    ("quarter", "bounds"),
    [
        (1, (date(2026, 1, 1), date(2026, 3, 31))),
        (2, (date(2026, 4, 1), date(2026, 6, 30))),
        (3, (date(2026, 7, 1), date(2026, 9, 30))),
    ],
)
def test_quarters_one_to_three_cover_their_months(quarter: int, bounds: tuple) -> None:
    assert rc.period_bounds("quarter", 2026, quarter) == bounds


def test_the_fourth_quarter_has_no_round_of_its_own() -> None:
    with pytest.raises(rc.CycleError, match="quý IV gộp vào kiểm điểm cuối năm"):
        rc.period_bounds("quarter", 2026, 4)


def test_a_plan_in_order_has_no_errors() -> None:
    assert rc.check_plan(plan_dict()) == {}


def test_a_plan_date_before_the_previous_one_names_both_dates() -> None:
    errors = rc.check_plan(plan_dict(self_review_due=date(2025, 11, 30)))
    assert errors == {
        "self_review_due": "Hạn nộp bản kiểm điểm (30/11/2025) không được trước ngày mở "
        "kiểm điểm (01/12/2025)."
    }


def test_a_publication_window_ending_before_it_starts_is_refused() -> None:
    errors = rc.check_plan(plan_dict(publish_until=date(2025, 12, 15)))
    assert "publish_until" in errors


def test_a_missing_plan_date_is_named() -> None:
    errors = rc.check_plan(plan_dict(decision_by=None))  # type: ignore[arg-type]
    assert errors == {"decision_by": "Nhập hạn cấp ủy quyết định."}


def test_the_default_plan_is_in_order() -> None:
    assert rc.check_plan(rc.default_plan(date(2025, 1, 1), date(2025, 12, 31))) == {}


# --- deadlines -------------------------------------------------------------------------------


def test_opening_before_the_planned_day_is_refused() -> None:
    assert "01/12/2025" in (rc.refuse_open(date(2025, 11, 30), PLAN) or "")


def test_opening_on_the_planned_day_is_allowed() -> None:
    assert rc.refuse_open(date(2025, 12, 1), PLAN) is None


def test_submitting_on_the_due_date_is_allowed() -> None:
    assert rc.refuse_submission(date(2025, 12, 5), PLAN, returned=False) is None


def test_submitting_after_the_due_date_is_refused() -> None:
    assert "05/12/2025" in (rc.refuse_submission(date(2025, 12, 6), PLAN, returned=False) or "")


def test_a_returned_review_may_be_submitted_after_the_due_date() -> None:
    assert rc.refuse_submission(date(2025, 12, 9), PLAN, returned=True) is None


def test_publishing_without_decided_results_is_refused() -> None:
    assert rc.refuse_publish(date(2025, 12, 16), PLAN, decided=0)


def test_publishing_before_the_window_is_refused() -> None:
    assert "16/12/2025" in (rc.refuse_publish(date(2025, 12, 15), PLAN, decided=3) or "")


def test_publishing_after_the_window_is_refused() -> None:
    assert rc.refuse_publish(date(2025, 12, 26), PLAN, decided=3)


def test_publishing_within_the_window_is_allowed() -> None:
    assert rc.refuse_publish(date(2025, 12, 25), PLAN, decided=3) is None


def test_an_objection_outside_the_window_is_refused() -> None:
    assert rc.refuse_objection(date(2025, 12, 26), PLAN)


def test_an_objection_within_the_window_is_allowed() -> None:
    assert rc.refuse_objection(date(2025, 12, 16), PLAN) is None


def test_closing_during_the_window_is_refused() -> None:
    assert rc.refuse_close(date(2025, 12, 25), PLAN, open_objections=0)


def test_closing_with_an_unanswered_objection_is_refused() -> None:
    assert "1 kiến nghị" in (rc.refuse_close(date(2025, 12, 26), PLAN, open_objections=1) or "")


def test_closing_after_the_window_with_every_objection_answered_is_allowed() -> None:
    assert rc.refuse_close(date(2025, 12, 26), PLAN, open_objections=0) is None


# --- forms -----------------------------------------------------------------------------------


def test_a_member_without_a_post_uses_form_2a() -> None:
    assert rc.pick_form(party_posts=["dang_vien"], police_posts=0) == rc.Form.A


def test_a_cell_secretary_uses_form_2b() -> None:
    assert rc.pick_form(party_posts=["bi_thu"], police_posts=0) == rc.Form.B


def test_a_police_post_holder_uses_form_2b() -> None:
    assert rc.pick_form(party_posts=[], police_posts=1) == rc.Form.B


def test_a_member_outside_the_political_system_uses_form_2c() -> None:
    assert rc.pick_form(party_posts=["bi_thu"], police_posts=0, outside_political_system=True) == (
        rc.Form.C
    )


def test_the_form_selection_is_marked_not_confirmed() -> None:
    assert rc.form_config().confirmed is False


# --- the 27 manifestations -------------------------------------------------------------------


def test_there_are_27_manifestations_in_three_groups_of_nine() -> None:
    data = rc.manifestations()
    assert [(g.code, len(g.items)) for g in data.groups] == [("A", 9), ("B", 9), ("C", 9)]


def test_manifestation_ids_follow_the_resolution_numbering() -> None:
    ids = [m.id for m in rc.manifestations().items]
    assert ids == [f"{g}{n}" for g in "ABC" for n in range(1, 10)]


def test_each_manifestation_carries_its_support_tag() -> None:
    tags = {m.id: m.support for m in rc.manifestations().items}
    assert (tags["A1"], tags["A6"]) == ("C", "P")


def test_an_unknown_manifestation_is_refused() -> None:
    with pytest.raises(rc.CycleError, match="D1"):
        rc.clean_manifestations({"D1": {"flag": True}})


def test_unflagged_manifestations_without_a_note_are_not_kept() -> None:
    cleaned = rc.clean_manifestations(
        {"A1": {"flag": False, "note": ""}, "B4": {"flag": True, "note": " đã sửa "}}
    )
    assert cleaned == {"B4": {"flag": True, "note": "đã sửa"}}


# --- tasks, scores, remedies -----------------------------------------------------------------


def test_more_tasks_on_time_than_assigned_is_refused_on_that_field() -> None:
    assert set(rc.check_tasks(5, 6, 0, 0)) == {"tasks_on_time"}


def test_on_time_plus_late_beyond_the_total_is_refused_on_late() -> None:
    assert set(rc.check_tasks(5, 4, 0, 2)) == {"tasks_late"}


def test_more_tasks_above_requirement_than_completed_is_refused() -> None:
    assert set(rc.check_tasks(5, 3, 4, 0)) == {"tasks_above_requirement"}


SPECS = [
    rc.CriterionSpec(code="G1", title="Chính trị", group="general", points=Decimal(30)),
    rc.CriterionSpec(code="T1", title="Nhiệm vụ", group="tasks", points=Decimal(70)),
]


def test_scores_within_each_maximum_give_their_total() -> None:
    scores, total, errors = rc.score_criteria(SPECS, {"G1": "27.5", "T1": "63"})
    assert (scores, total, errors) == ({"G1": "27.50", "T1": "63.00"}, Decimal("90.50"), {})


def test_a_score_above_the_criterion_maximum_is_refused_naming_the_maximum() -> None:
    _, _, errors = rc.score_criteria(SPECS, {"G1": "31", "T1": "60"})
    assert "từ 0 đến 30" in errors["criterion_G1"]


def test_a_score_with_three_decimals_is_refused() -> None:
    _, _, errors = rc.score_criteria(SPECS, {"G1": "20.125"})
    assert "2 chữ số thập phân" in errors["criterion_G1"]


def test_the_total_is_left_empty_until_every_criterion_is_scored() -> None:
    _, total, errors = rc.score_criteria(SPECS, {"G1": "20"})
    assert (total, errors) == (None, {})


def test_a_grade_pack_takes_a_grade_per_criterion_and_no_total() -> None:
    spec = rc.CriterionSpec(code="X", title="X", group="general", points=None, grades=("XS", "T"))
    assert rc.score_criteria([spec], {"X": "T"}) == ({"X": "T"}, None, {})


def test_remedies_are_prefilled_one_per_line_of_last_shortcomings() -> None:
    rows = rc.shortcomings_to_remedies("- Chậm nộp báo cáo\n\n- Ít phát biểu")
    assert [r["text"] for r in rows] == ["Chậm nộp báo cáo", "Ít phát biểu"]


def test_an_unknown_remedy_status_is_refused() -> None:
    with pytest.raises(rc.CycleError):
        rc.clean_remedies([{"text": "x", "status": "maybe"}])


def test_unremedied_counts_every_status_but_done() -> None:
    rows = [{"status": "done"}, {"status": "in_progress"}, {"status": "not_done"}]
    assert rc.unremedied(rows) == 2
