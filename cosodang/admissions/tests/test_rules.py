"""The admission rules as tables (admissions/rules.py, no database)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from cosodang.admissions import rules
from cosodang.admissions.packs import PackError, all_packs, load_packs, pack_for
from cosodang.admissions.rules import IntroducerFacts, IntroducerKind, State, Step

PACK = pack_for(date(2024, 7, 1))


# --- the state machine -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "step", "expected"),
    [
        (State.DOSSIER, Step.SUBMIT_DOSSIER, State.CELL_REVIEW),
        (State.CELL_REVIEW, Step.CELL_VOTE_PASSED, State.COMMITTEE_REVIEW),
        (State.CELL_REVIEW, Step.CELL_VOTE_PASSED_TO_BRANCH, State.BRANCH_APPRAISAL),
        (State.CELL_REVIEW, Step.CELL_VOTE_FAILED, State.STOPPED),
        (State.BRANCH_APPRAISAL, Step.BRANCH_APPRAISED, State.COMMITTEE_REVIEW),
        (State.COMMITTEE_REVIEW, Step.COMMITTEE_VOTE_PASSED, State.AWAITING_DECISION),
        (State.COMMITTEE_REVIEW, Step.COMMITTEE_VOTE_FAILED, State.STOPPED),
        (State.AWAITING_DECISION, Step.EXTEND_DECISION, State.AWAITING_DECISION),
        (State.AWAITING_DECISION, Step.DECIDE_ADMISSION, State.AWAITING_CEREMONY),
        (State.AWAITING_CEREMONY, Step.HOLD_CEREMONY, State.PROBATION),
        (State.PROBATION, Step.RECOGNITION_VOTE_PASSED, State.RECOGNITION_COMMITTEE),
        (State.PROBATION, Step.REMOVAL_VOTE_PASSED, State.REMOVAL_PROPOSED),
        (State.PROBATION, Step.PROBATION_VOTE_FAILED, State.PROBATION),
        (State.PROBATION, Step.ESCALATE, State.ESCALATED),
        (
            State.RECOGNITION_COMMITTEE,
            Step.RECOGNITION_COMMITTEE_PASSED,
            State.AWAITING_RECOGNITION,
        ),
        (State.RECOGNITION_COMMITTEE, Step.RECOGNITION_COMMITTEE_FAILED, State.PROBATION),
        (State.AWAITING_RECOGNITION, Step.RECOGNISE, State.OFFICIAL),
        (State.ESCALATED, Step.RECOGNISE, State.OFFICIAL),
        (State.ESCALATED, Step.REMOVE, State.REMOVED),
        (State.REMOVAL_PROPOSED, Step.REMOVE, State.REMOVED),
        (State.DOSSIER, Step.STOP, State.STOPPED),
        (State.AWAITING_DECISION, Step.STOP, State.STOPPED),
    ],
)
def test_each_allowed_step_leads_to_its_state(state: State, step: Step, expected: State) -> None:
    assert rules.next_state(state, step) == expected


@pytest.mark.parametrize(
    ("state", "step"),
    [
        (State.DOSSIER, Step.HOLD_CEREMONY),
        (State.DOSSIER, Step.CELL_VOTE_PASSED),
        (State.CELL_REVIEW, Step.DECIDE_ADMISSION),
        (State.AWAITING_CEREMONY, Step.STOP),  # after the decision a case is not just stopped
        (State.PROBATION, Step.RECOGNISE),
        (State.OFFICIAL, Step.REMOVE),
        (State.STOPPED, Step.SUBMIT_DOSSIER),
    ],
)
def test_each_other_step_is_an_illegal_transition(state: State, step: Step) -> None:
    with pytest.raises(rules.IllegalStep, match="Không thể"):
        rules.next_state(state, step)


@pytest.mark.parametrize("state", sorted(rules.TERMINAL))
def test_terminal_states_allow_no_step(state: State) -> None:
    assert rules.allowed_steps(state) == []


def test_every_non_terminal_state_has_a_way_forward() -> None:
    assert all(rules.allowed_steps(s) for s in rules.BOARD_STATES)


def test_every_state_and_step_has_a_vietnamese_label() -> None:
    assert set(rules.STATE_LABELS) == set(State) and set(rules.STEP_LABELS) == set(Step)


# --- age and education -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "on", "refused"),
    [
        (date(2006, 7, 5), date(2024, 7, 5), False),  # exactly 18 years
        (date(2006, 7, 6), date(2024, 7, 5), True),  # one day short
        (date(1964, 7, 5), date(2024, 7, 5), False),  # exactly 60 years
        (date(1964, 6, 4), date(2024, 7, 5), True),  # 60 years and 1 month
    ],
)
def test_age_is_counted_in_full_months_on_the_day_of_consideration(
    birth: date, on: date, refused: bool
) -> None:
    assert bool(rules.check_age(birth, on, PACK)) is refused


def test_an_over_age_applicant_with_a_recorded_exception_is_accepted() -> None:
    assert (
        rules.check_age(date(1950, 1, 1), date(2024, 7, 5), PACK, over_age_exception="QĐ 5") == []
    )


def test_an_age_refusal_names_the_rule() -> None:
    (refusal,) = rules.check_age(date(2010, 1, 1), date(2024, 7, 5), PACK)
    assert "Quy định 24-QĐ/TW, mục 1.1" in str(refusal)


@pytest.mark.parametrize(
    ("education", "exception", "refused"),
    [
        ("12/12", "", False),
        ("9/12", "", False),
        ("8/12", "", True),
        ("", "", True),
        ("7/12", "Vùng cao", False),
    ],
)
def test_lower_secondary_education_or_a_recorded_exception(
    education: str, exception: str, refused: bool
) -> None:
    assert bool(rules.check_education(education, PACK, exception=exception)) is refused


# --- certificate, verification, staleness ----------------------------------------------------


def test_a_certificate_is_valid_for_five_years_from_its_issue() -> None:
    issued = date(2019, 7, 5)
    assert rules.check_certificate("1", "TT", issued, date(2024, 7, 5), PACK) == []
    assert rules.check_certificate("1", "TT", issued, date(2024, 7, 6), PACK)


def test_the_five_year_validity_is_flagged_not_confirmed() -> None:
    assert PACK.parameters["certificate_validity_years"].confirmed is False


def test_a_missing_certificate_number_is_refused() -> None:
    assert rules.check_certificate("", "TT", date(2024, 1, 1), date(2024, 7, 5), PACK)


@pytest.mark.parametrize(
    ("married", "children", "expected"),
    [
        (False, False, ["self", "parents"]),
        (True, False, ["self", "parents", "parents_in_law", "spouse"]),
        (True, True, ["self", "parents", "parents_in_law", "spouse", "children"]),
    ],
)
def test_the_verification_covers_the_relatives_of_the_rule(
    married: bool, children: bool, expected: list[str]
) -> None:
    required = rules.required_relatives(married=married, adult_children=children)
    assert [r.value for r in required] == expected


def test_documents_older_than_twelve_months_at_the_meeting_are_stale() -> None:
    docs = [("3-KNĐ", date(2023, 7, 4)), ("1-KNĐ", date(2020, 1, 1))]
    (refusal,) = rules.check_not_stale(docs, date(2024, 7, 5), PACK)
    assert "3-KNĐ" in refusal.message and "1-KNĐ" not in refusal.message


def test_documents_exactly_twelve_months_old_are_still_usable() -> None:
    assert rules.check_not_stale([("5-KNĐ", date(2023, 7, 5))], date(2024, 7, 5), PACK) == []


# --- introducers ---------------------------------------------------------------------------


def _facts(**kw) -> IntroducerFacts:
    base = {
        "kind": IntroducerKind.MEMBER,
        "name": "Trần Văn Bình",
        "letter_date": date(2024, 6, 10),
        "member_status": "official",
        "official_since": date(2011, 3, 10),
        "months_together": 24,
    }
    base.update(kw)
    return IntroducerFacts(**base)


@pytest.mark.parametrize(
    ("facts", "refused"),
    [
        ({}, False),
        ({"member_status": "probationary", "official_since": None}, True),
        ({"official_since": date(2024, 7, 1)}, True),  # official only after the letter
        ({"months_together": 11}, True),
        ({"months_together": 11, "replacement": True}, False),
        ({"months_together": 12}, False),
    ],
)
def test_introducer_rules(facts: dict, refused: bool) -> None:
    assert bool(rules.check_introducer(_facts(**facts), PACK)) is refused


@pytest.mark.parametrize(
    ("kinds", "refused"),
    [
        ([IntroducerKind.MEMBER, IntroducerKind.MEMBER], False),
        ([IntroducerKind.YOUTH_UNION, IntroducerKind.MEMBER], False),
        ([IntroducerKind.TRADE_UNION, IntroducerKind.MEMBER], False),
        ([IntroducerKind.MEMBER], True),
        ([IntroducerKind.YOUTH_UNION, IntroducerKind.TRADE_UNION], True),
        ([IntroducerKind.MEMBER] * 3, True),
    ],
)
def test_introducer_sets(kinds: list[IntroducerKind], refused: bool) -> None:
    assert bool(rules.check_introducer_set(kinds)) is refused


# --- votes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("votes_for", "eligible", "passes"),
    [
        (2, 3, True),
        (1, 3, False),
        (3, 4, True),
        (2, 4, False),
        (6, 9, True),
        (5, 9, False),
        (0, 0, False),
    ],
)
def test_two_thirds_of_all_eligible_voters(votes_for: int, eligible: int, passes: bool) -> None:
    assert rules.vote_passes(votes_for, eligible, Fraction(2, 3)) is passes


@pytest.mark.parametrize(("eligible", "needed"), [(3, 2), (4, 3), (9, 6), (10, 7), (1, 1)])
def test_votes_needed(eligible: int, needed: int) -> None:
    assert rules.votes_needed(eligible, Fraction(2, 3)) == needed


@pytest.mark.parametrize(
    ("ballots", "eligible", "refused"),
    [((3, 1, 0), 4, False), ((3, 1, 1), 4, True), ((-1, 0, 0), 4, True), ((0, 0, 0), 0, True)],
)
def test_ballots_within_the_eligible_voters(ballots, eligible: int, refused: bool) -> None:
    assert bool(rules.check_ballots(*ballots, eligible, cell=True)) is refused


@pytest.mark.parametrize(
    ("passed", "proposal", "failed_before", "step"),
    [
        (True, rules.Proposal.RECOGNISE, 0, Step.RECOGNITION_VOTE_PASSED),
        (True, rules.Proposal.REMOVE, 2, Step.REMOVAL_VOTE_PASSED),
        (False, rules.Proposal.RECOGNISE, 0, Step.PROBATION_VOTE_FAILED),
        (False, rules.Proposal.REMOVE, 1, Step.PROBATION_VOTE_FAILED),
        (False, rules.Proposal.RECOGNISE, 2, Step.ESCALATE),
    ],
)
def test_the_third_failed_probation_vote_escalates(passed, proposal, failed_before, step) -> None:
    assert (
        rules.probation_vote_step(
            passed=passed, proposal=proposal, failed_before=failed_before, pack=PACK
        )
        == step
    )


# --- dates and deadlines ---------------------------------------------------------------------


def test_probation_ends_twelve_months_after_the_ceremony() -> None:
    assert rules.probation_end(date(2024, 2, 29), PACK) == date(2025, 2, 28)


def test_the_decision_deadline_is_sixty_workdays_after_the_cell_resolution() -> None:
    assert rules.decision_deadline(date(2026, 1, 5), PACK) == date(2026, 4, 6)


def test_an_extension_moves_the_decision_deadline_by_its_workdays() -> None:
    assert rules.decision_deadline(date(2026, 1, 5), PACK, 5) == date(2026, 4, 13)


def test_the_ceremony_deadline_skips_the_april_and_may_holidays() -> None:
    # 30 wd from 15/04/2026: Giỗ Tổ substitute 27/4, 30/4 and 1/5 are skipped.
    assert rules.ceremony_deadline(date(2026, 4, 15), PACK) == date(2026, 6, 1)


def test_recognition_must_be_considered_within_thirty_workdays_after_probation() -> None:
    # Probation ends Sat 01/08/2026; Sat 22/08 is worked, 31/8–2/9 are off: 30 wd end 15/09.
    assert rules.recognition_consider_deadline(date(2025, 8, 1), PACK) == date(2026, 9, 15)


def test_party_age_starts_on_the_decision_date() -> None:
    assert rules.party_age_start(date(2024, 8, 15)) == date(2024, 8, 15)


def test_the_next_deadline_of_a_case_waiting_for_its_decision() -> None:
    d = rules.next_deadline(
        rules.CaseDates(
            State.AWAITING_DECISION, date(2026, 1, 1), cell_resolution=date(2026, 1, 5)
        ),
        PACK,
    )
    assert d is not None and d.due == date(2026, 4, 6) and "4.3.1" in d.source


def test_the_next_deadline_of_a_dossier_is_its_earliest_staleness() -> None:
    d = rules.next_deadline(
        rules.CaseDates(
            State.DOSSIER,
            date(2026, 1, 1),
            stale_documents=(("3-KNĐ", date(2026, 2, 1)), ("5-KNĐ", date(2026, 1, 10))),
        ),
        PACK,
    )
    assert d is not None and d.due == date(2027, 1, 10)


def test_every_required_form_code_exists() -> None:
    for step in Step:
        for code in rules.required_documents(step, has_branch=True, union_introducer=True):
            assert code in rules.FORMS


# --- rule packs ------------------------------------------------------------------------------


def test_the_pack_in_force_is_chosen_by_date() -> None:
    assert (pack_for(date(2024, 1, 1)).code, pack_for(date(2025, 8, 1)).code) == (
        "QD24-2021",
        "QD294-2025",
    )


def test_a_pack_inherits_the_parameters_it_does_not_override() -> None:
    newer = pack_for(date(2025, 8, 1))
    assert newer.staleness_months == 12 and newer.cell_threshold == Fraction(2, 3)


def test_the_newer_pack_flags_its_unchanged_deadlines_as_not_confirmed() -> None:
    newer = pack_for(date(2025, 8, 1))
    assert newer.parameters["decision_deadline_wd"].confirmed is False


def test_every_parameter_names_its_source() -> None:
    assert all(p.source for pack in all_packs() for p in pack.parameters.values())


def test_a_pack_missing_a_parameter_is_refused(tmp_path) -> None:
    (tmp_path / "x.toml").write_text(
        'code = "X"\ntitle = "x"\neffective_from = 2020-01-01\n[parameters.warning_wd]\nvalue = 5\n'
    )
    with pytest.raises(PackError, match="thiếu tham số"):
        load_packs(tmp_path)


def test_a_malformed_threshold_is_refused(tmp_path) -> None:
    (tmp_path / "x.toml").write_text(
        'code = "X"\ntitle = "x"\neffective_from = 2020-01-01\n'
        '[parameters.cell_threshold]\nvalue = "3/2"\n'
    )
    with pytest.raises(PackError, match="khoảng"):
        load_packs(tmp_path)
