"""Tests for the pure Party-member rules."""

from __future__ import annotations

import random
from datetime import date

import pytest

from cosodang.members.rules import (
    BADGE_MILESTONES,
    DISCIPLINE_FORM_LABELS,
    EARLY_AWARD_MONTHS,
    OFFICIAL_ONLY_POSTS,
    PARTY_POST_LABELS,
    PROBATION_MONTHS,
    PROBATIONARY_ALLOWED_FORMS,
    STATUS_LABELS,
    BadgeDue,
    DisciplineForm,
    Gap,
    MemberStatus,
    PartyAge,
    PartyPost,
    check_member_dates,
    counted_days,
    date_reaching,
    expected_official_date,
    merge_gaps,
    next_badge,
    party_age,
    post_requires_official,
)

# --- status and probation --------------------------------------------------------------------


def test_every_status_has_a_vietnamese_label() -> None:
    assert set(STATUS_LABELS) == set(MemberStatus)
    assert STATUS_LABELS[MemberStatus.PROBATIONARY] == "Dự bị"
    assert STATUS_LABELS[MemberStatus.OFFICIAL] == "Chính thức"


def test_status_values_are_stable_strings() -> None:
    assert MemberStatus.TRANSFERRED_OUT.value == "transferred_out"


def test_probation_lasts_twelve_months() -> None:
    assert PROBATION_MONTHS == 12


def test_official_date_is_twelve_months_after_the_ceremony() -> None:
    assert expected_official_date(date(2023, 5, 19)) == date(2024, 5, 19)


def test_official_date_after_a_leap_day_ceremony_is_the_end_of_february() -> None:
    assert expected_official_date(date(2024, 2, 29)) == date(2025, 2, 28)


# --- gaps and counted days -------------------------------------------------------------------


def test_a_gap_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="Khoảng gián đoạn không hợp lệ"):
        Gap(date(2020, 2, 1), date(2020, 1, 1))


def test_merge_gaps_joins_overlapping_and_touching_gaps() -> None:
    gaps = [
        Gap(date(2010, 6, 1), date(2010, 9, 1)),
        Gap(date(2010, 1, 1), date(2010, 3, 1)),
        Gap(date(2010, 2, 1), date(2010, 6, 1)),
        Gap(date(2012, 1, 1), date(2012, 2, 1)),
    ]
    assert merge_gaps(gaps) == [
        Gap(date(2010, 1, 1), date(2010, 9, 1)),
        Gap(date(2012, 1, 1), date(2012, 2, 1)),
    ]


def test_merge_gaps_lets_an_open_gap_swallow_later_ones() -> None:
    gaps = [Gap(date(2015, 1, 1)), Gap(date(2016, 1, 1), date(2017, 1, 1))]
    assert merge_gaps(gaps) == [Gap(date(2015, 1, 1))]


def test_counted_days_without_gaps_is_the_plain_day_count() -> None:
    assert counted_days(date(2020, 1, 1), [], date(2021, 1, 1)) == 366


def test_counted_days_subtracts_a_closed_gap() -> None:
    gap = Gap(date(2020, 3, 1), date(2020, 3, 11))
    assert counted_days(date(2020, 1, 1), [gap], date(2021, 1, 1)) == 356


def test_counted_days_counts_overlapping_gaps_once() -> None:
    gaps = [Gap(date(2020, 3, 1), date(2020, 3, 11)), Gap(date(2020, 3, 6), date(2020, 3, 16))]
    assert counted_days(date(2020, 1, 1), gaps, date(2021, 1, 1)) == 366 - 15


def test_counted_days_clips_gaps_to_the_window() -> None:
    gaps = [
        Gap(date(2019, 12, 1), date(2020, 1, 11)),  # 10 days inside
        Gap(date(2020, 12, 22), date(2021, 3, 1)),  # 10 days inside
    ]
    assert counted_days(date(2020, 1, 1), gaps, date(2021, 1, 1)) == 366 - 20


def test_counted_days_stops_at_the_start_of_an_open_gap() -> None:
    gaps = [Gap(date(2020, 7, 1))]
    assert counted_days(date(2020, 1, 1), gaps, date(2030, 1, 1)) == 182


def test_counted_days_before_the_decision_is_zero() -> None:
    assert counted_days(date(2020, 1, 1), [], date(2019, 1, 1)) == 0


# --- Party age -------------------------------------------------------------------------------


def test_party_age_without_gaps_is_the_calendar_difference() -> None:
    assert party_age(date(1992, 3, 3), [], date(2024, 7, 10)) == PartyAge(32, 4, 7)


def test_party_age_prints_years_and_months_in_vietnamese() -> None:
    assert str(PartyAge(32, 4, 7)) == "32 năm 4 tháng"


def test_party_age_prints_whole_years_without_months() -> None:
    assert str(PartyAge(30, 0, 0)) == "30 năm"


def test_party_age_under_a_year_prints_months_only() -> None:
    assert str(PartyAge(0, 5, 12)) == "5 tháng"


def test_party_age_subtracts_a_gap() -> None:
    gap = Gap(date(2000, 1, 1), date(2000, 4, 1))  # 91 days
    assert party_age(date(1990, 1, 1), [gap], date(2020, 1, 1)) == party_age(
        date(1990, 1, 1), [], date(2019, 10, 2)
    )


def test_readmitted_member_counts_from_the_first_decision_minus_the_time_out() -> None:
    # Admitted 01/06/1985, removed from the list 01/06/1995, re-admitted 01/06/1998
    # (QĐ 24-QĐ/TW mục 4.5.2): 39 years elapsed, the 3 years out (1096 days) do not count.
    first_decision = date(1985, 6, 1)
    out = Gap(date(1995, 6, 1), date(1998, 6, 1))
    age = party_age(first_decision, [out], date(2024, 6, 1))
    assert age == PartyAge(36, 0, 0)
    assert age == party_age(first_decision, [], date(2021, 6, 1))


def test_party_age_is_frozen_during_an_open_gap() -> None:
    gaps = [Gap(date(2010, 1, 1))]
    assert party_age(date(2000, 1, 1), gaps, date(2024, 1, 1)) == PartyAge(10, 0, 0)


def test_party_age_before_the_decision_is_zero() -> None:
    assert party_age(date(2000, 1, 1), [], date(1999, 1, 1)) == PartyAge(0, 0, 0)


# --- date_reaching ---------------------------------------------------------------------------


def test_the_1989_member_with_a_one_year_gap_has_no_30_years_on_01_10_2019() -> None:
    # rules.md §5.2: joined 01/10/1989, 1-year gap → not yet 30 years on 01/10/2019.
    gap = Gap(date(1995, 3, 1), date(1996, 3, 1))
    assert party_age(date(1989, 10, 1), [gap], date(2019, 10, 1)) == PartyAge(28, 11, 29)


def test_the_1989_member_with_a_one_year_gap_reaches_30_years_on_01_10_2020() -> None:
    gap = Gap(date(1995, 3, 1), date(1996, 3, 1))
    assert date_reaching(date(1989, 10, 1), [gap], 30) == date(2020, 10, 1)
    assert party_age(date(1989, 10, 1), [gap], date(2020, 10, 1)).years == 30
    assert party_age(date(1989, 10, 1), [gap], date(2020, 9, 30)).years == 29


def test_date_reaching_without_gaps_is_the_anniversary() -> None:
    assert date_reaching(date(1994, 2, 3), [], 30) == date(2024, 2, 3)


def test_date_reaching_ignores_gaps_after_the_target() -> None:
    gaps = [Gap(date(2030, 1, 1), date(2031, 1, 1))]
    assert date_reaching(date(1994, 2, 3), gaps, 30) == date(2024, 2, 3)


def test_date_reaching_counts_a_gap_pushed_into_the_window_by_an_earlier_gap() -> None:
    # The first gap moves the target from 01/01/2030 to 01/01/2031, which brings the second
    # gap (starting 01/06/2030) into the window and pushes the date later again.
    gaps = [Gap(date(2010, 1, 1), date(2011, 1, 1)), Gap(date(2030, 6, 1), date(2030, 7, 1))]
    assert date_reaching(date(2000, 1, 1), gaps, 30) == date(2031, 1, 31)


def test_date_reaching_is_none_when_an_open_gap_starts_before_the_target() -> None:
    assert date_reaching(date(2000, 1, 1), [Gap(date(2020, 1, 1))], 30) is None


def test_date_reaching_is_unaffected_by_an_open_gap_starting_after_the_target() -> None:
    assert date_reaching(date(2000, 1, 1), [Gap(date(2030, 1, 2))], 30) == date(2030, 1, 1)


def test_date_reaching_is_the_first_day_party_age_shows_the_years() -> None:
    first = date(1988, 8, 31)
    gaps = [Gap(date(1999, 2, 10), date(1999, 8, 3)), Gap(date(2005, 1, 1), date(2005, 1, 20))]
    reached = date_reaching(first, gaps, 40)
    assert reached is not None
    assert party_age(first, gaps, reached).years == 40
    assert party_age(first, gaps, date.fromordinal(reached.toordinal() - 1)).years == 39


# --- badges ----------------------------------------------------------------------------------


def test_there_are_twelve_badge_milestones_from_30_to_90_years() -> None:
    assert BADGE_MILESTONES == (30, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90)


def test_badges_follow_the_milestone_sequence_then_stop() -> None:
    first = date(1950, 1, 1)
    awarded: list[int] = []
    seen: list[int] = []
    while (due := next_badge(first, [], date(2100, 1, 1), awarded)) is not None:
        seen.append(due.years)
        assert due.due_date == date(1950 + due.years, 1, 1)
        awarded.append(due.years)
    assert seen == list(BADGE_MILESTONES)


def test_after_the_90_year_badge_no_badge_is_due() -> None:
    assert next_badge(date(1930, 1, 1), [], date(2024, 1, 1), awarded=[90]) is None


def test_a_reached_but_unawarded_milestone_is_due_now() -> None:
    due = next_badge(date(1980, 5, 1), [], date(2024, 1, 1), awarded=[])
    assert due == BadgeDue(30, date(2010, 5, 1), date(2010, 5, 1))


def test_the_next_badge_follows_the_highest_awarded_one() -> None:
    due = next_badge(date(1980, 5, 1), [], date(2024, 1, 1), awarded=[30, 40])
    assert due is not None
    assert due.years == 45


def test_the_next_badge_accounts_for_gaps() -> None:
    gaps = [Gap(date(1995, 3, 1), date(1996, 3, 1))]
    due = next_badge(date(1989, 10, 1), gaps, date(2019, 10, 1))
    assert due is not None
    assert due.due_date == date(2020, 10, 1)


def test_no_badge_is_due_while_an_open_gap_blocks_it() -> None:
    gaps = [Gap(date(2000, 1, 1))]
    assert next_badge(date(1980, 1, 1), gaps, date(2024, 1, 1)) is None


def test_serious_illness_allows_the_65_year_badge_12_months_early() -> None:
    due = next_badge(date(1960, 9, 2), [], date(2024, 1, 1), range(30, 61), "illness")
    assert due == BadgeDue(65, date(2025, 9, 2), date(2024, 9, 2))


def test_serious_illness_allows_the_70_year_badge_24_months_early() -> None:
    due = next_badge(date(1960, 9, 2), [], date(2024, 1, 1), range(30, 66), "illness")
    assert due == BadgeDue(70, date(2030, 9, 2), date(2028, 9, 2))


def test_posthumous_award_may_be_12_months_early_even_for_70_years() -> None:
    due = next_badge(date(1960, 9, 2), [], date(2024, 1, 1), range(30, 66), "posthumous")
    assert due == BadgeDue(70, date(2030, 9, 2), date(2029, 9, 2))


def test_early_award_table_covers_every_milestone() -> None:
    assert set(EARLY_AWARD_MONTHS) == {"illness", "posthumous"}
    for table in EARLY_AWARD_MONTHS.values():
        assert set(table) == set(BADGE_MILESTONES)


def test_an_unknown_early_reason_is_rejected() -> None:
    with pytest.raises(ValueError, match="lý do"):
        next_badge(date(1990, 1, 1), [], date(2024, 1, 1), early_reason="seniority")


# --- discipline and posts --------------------------------------------------------------------


def test_discipline_forms_have_vietnamese_labels() -> None:
    assert DISCIPLINE_FORM_LABELS == {
        DisciplineForm.REPRIMAND: "Khiển trách",
        DisciplineForm.WARNING: "Cảnh cáo",
        DisciplineForm.REMOVAL_FROM_POST: "Cách chức",
        DisciplineForm.EXPULSION: "Khai trừ",
    }


def test_probationary_members_may_only_be_reprimanded_or_warned() -> None:
    assert {DisciplineForm.REPRIMAND, DisciplineForm.WARNING} == PROBATIONARY_ALLOWED_FORMS


def test_every_party_post_has_a_label() -> None:
    assert set(PARTY_POST_LABELS) == set(PartyPost)


def test_every_post_except_ordinary_member_requires_an_official_member() -> None:
    assert set(PartyPost) - OFFICIAL_ONLY_POSTS == {PartyPost.MEMBER}
    assert post_requires_official(PartyPost.SECRETARY)
    assert post_requires_official(PartyPost.GROUP_LEADER)
    assert not post_requires_official(PartyPost.MEMBER)


# --- check_member_dates ----------------------------------------------------------------------

TODAY = date(2024, 6, 1)


def check(**overrides: object) -> list[tuple[str, str]]:
    """Run check_member_dates on a valid official member with some fields overridden."""
    values: dict[str, object] = {
        "birth_date": date(1990, 4, 10),
        "decision_date": date(2015, 3, 2),
        "ceremony_date": date(2015, 3, 26),
        "official_date": date(2016, 3, 26),
        "status": MemberStatus.OFFICIAL,
        "today": TODAY,
    }
    values.update(overrides)
    return check_member_dates(**values)  # type: ignore[arg-type]


def fields(errors: list[tuple[str, str]]) -> list[str]:
    """Return just the field names of the errors."""
    return [f for f, _ in errors]


def test_a_consistent_record_has_no_errors() -> None:
    assert check() == []


def test_a_probationary_record_without_official_date_has_no_errors() -> None:
    assert check(official_date=None, status=MemberStatus.PROBATIONARY) == []


def test_an_empty_record_has_no_date_errors() -> None:
    empty = {"birth_date": None, "decision_date": None, "ceremony_date": None}
    assert check(**empty, official_date=None, status=MemberStatus.EXEMPTED) == []


@pytest.mark.parametrize("field", ["birth_date", "decision_date", "ceremony_date", "official_date"])
def test_no_date_may_be_in_the_future(field: str) -> None:
    only_this: dict[str, object] = {
        "birth_date": None,
        "decision_date": None,
        "ceremony_date": None,
        "official_date": None,
    }
    only_this[field] = date(2024, 6, 2)
    errors = [e for e in check(**only_this, status=MemberStatus.EXEMPTED) if e[0] == field]
    assert len(errors) == 1
    assert "không được sau ngày hôm nay (01/06/2024)" in errors[0][1]


def test_the_member_must_be_18_full_years_old_at_the_decision() -> None:
    errors = check(birth_date=date(1997, 3, 3))
    assert fields(errors) == ["decision_date"]
    assert "QĐ 24-QĐ/TW mục 1.1" in errors[0][1]
    assert "03/03/2015" in errors[0][1]


def test_a_member_admitted_on_the_18th_birthday_is_accepted() -> None:
    assert check(birth_date=date(1997, 3, 2)) == []


def test_the_ceremony_may_not_precede_the_decision() -> None:
    errors = check(ceremony_date=date(2015, 3, 1), official_date=date(2016, 3, 1))
    assert errors == [("ceremony_date", "Ngày lễ kết nạp không được trước ngày quyết định kết nạp")]


def test_the_official_date_may_not_precede_the_ceremony() -> None:
    errors = check(official_date=date(2015, 3, 25))
    assert errors == [("official_date", "Ngày chính thức không được trước ngày lễ kết nạp")]


def test_the_official_date_must_be_twelve_months_after_the_ceremony() -> None:
    errors = check(official_date=date(2016, 4, 10))
    assert fields(errors) == ["official_date"]
    assert "Điều lệ Đảng, Điều 5" in errors[0][1]
    assert "26/03/2016" in errors[0][1]


def test_older_records_may_have_another_official_date_when_not_under_current_rules() -> None:
    assert check(official_date=date(2016, 4, 10), current_rules=False) == []


def test_an_official_member_needs_an_official_date() -> None:
    errors = check(official_date=None)
    assert errors == [("status", "Đảng viên chính thức phải có ngày chính thức")]


def test_a_probationary_member_has_no_official_date_yet() -> None:
    errors = check(status=MemberStatus.PROBATIONARY)
    assert errors == [("status", "Đảng viên dự bị chưa có ngày chính thức")]


def test_status_may_be_passed_as_a_plain_string() -> None:
    assert fields(check(official_date=None, status="official")) == ["status"]


def test_date_reaching_matches_a_day_by_day_search_on_random_gaps() -> None:
    rng = random.Random(11)
    first = date(2000, 1, 31)
    for _ in range(40):
        gaps = []
        for _ in range(rng.randint(0, 4)):
            start = date.fromordinal(first.toordinal() + rng.randint(-100, 1500))
            end = (
                None
                if rng.random() < 0.1
                else date.fromordinal(start.toordinal() + rng.randint(0, 300))
            )
            gaps.append(Gap(start, end))
        reached = date_reaching(first, gaps, 3)
        day = first
        limit = date(2010, 1, 1)
        while day < limit and party_age(first, gaps, day).years < 3:
            day = date.fromordinal(day.toordinal() + 1)
        assert reached == (day if day < limit else None), gaps


def test_an_official_date_without_a_ceremony_date_is_refused() -> None:
    errors = check(ceremony_date=None)
    assert ("ceremony_date", "Có ngày chính thức thì phải có ngày vào Đảng (lễ kết nạp)") in errors
