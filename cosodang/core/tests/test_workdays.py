"""Working-day arithmetic across Tết, 30/4–1/5 and Quốc khánh (core/workdays.py)."""

from __future__ import annotations

from datetime import date

import pytest

from cosodang.core.workdays import (
    MAX_WORKDAYS,
    add_workdays,
    calendar_from,
    workdays_between,
)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # Tết Bính Ngọ 2026: Mon 16/02 – Fri 20/02 off.
        (date(2026, 2, 13), 1, date(2026, 2, 23)),
        (date(2026, 2, 12), 2, date(2026, 2, 23)),
        # Tết Đinh Mùi 2027: Thu 04/02 – Wed 10/02 off.
        (date(2027, 2, 3), 1, date(2027, 2, 11)),
        # 30/4 (Thu) and 1/5 (Fri) 2026, then the weekend.
        (date(2026, 4, 29), 1, date(2026, 5, 4)),
        # 2027: 1/5 falls on a Saturday, its substitute day off is Mon 3/5.
        (date(2027, 4, 29), 1, date(2027, 5, 4)),
        # Quốc khánh 2026: Mon 31/8 (swapped with Sat 22/8), Tue 1/9 and Wed 2/9 off.
        (date(2026, 8, 28), 1, date(2026, 9, 3)),
        # Quốc khánh 2027: Thu 2/9 and Fri 3/9 off.
        (date(2027, 9, 1), 1, date(2027, 9, 6)),
        # Giỗ Tổ 2026 falls on Sunday 26/4: Monday 27/4 is its substitute day off.
        (date(2026, 4, 24), 1, date(2026, 4, 28)),
        # An ordinary week: Friday + 1 is Monday.
        (date(2026, 3, 6), 1, date(2026, 3, 9)),
        (date(2026, 3, 2), 5, date(2026, 3, 9)),
    ],
)
def test_add_workdays_skips_weekends_and_public_holidays(
    start: date, n: int, expected: date
) -> None:
    assert add_workdays(start, n)[0] == expected


def test_a_saturday_swapped_into_a_working_day_counts_as_one() -> None:
    # Saturday 22/08/2026 is worked in exchange for Monday 31/08/2026.
    assert add_workdays(date(2026, 8, 21), 1)[0] == date(2026, 8, 22)


def test_the_skipped_holidays_of_tet_2026_are_listed_with_their_names() -> None:
    _, skipped = add_workdays(date(2026, 2, 13), 1)
    assert [s.day for s in skipped] == [date(2026, 2, d) for d in range(16, 21)]
    assert "Tết" in skipped[1].name


def test_a_holiday_on_a_weekend_is_not_listed_as_skipped() -> None:
    # 06/02/2027 (Saturday) is Tết Nguyên Đán: it costs no working day.
    _, skipped = add_workdays(date(2027, 2, 3), 1)
    assert date(2027, 2, 6) not in [s.day for s in skipped]


def test_zero_workdays_from_a_working_day_is_that_day() -> None:
    assert add_workdays(date(2026, 3, 4), 0)[0] == date(2026, 3, 4)


def test_zero_workdays_from_a_holiday_is_the_next_working_day() -> None:
    assert add_workdays(date(2026, 2, 17), 0)[0] == date(2026, 2, 23)


def test_sixty_workdays_from_a_cell_resolution_before_tet_2026() -> None:
    # 60 wd from 05/01/2026 crosses Tết (5 days) and no other holiday.
    assert add_workdays(date(2026, 1, 5), 60)[0] == date(2026, 4, 6)


@pytest.mark.parametrize("n", [1, 5, 30, 60, 250])
def test_workdays_between_inverts_add_workdays(n: int) -> None:
    start = date(2026, 1, 30)
    assert workdays_between(start, add_workdays(start, n)[0]) == n


def test_workdays_between_is_negative_when_the_end_is_earlier() -> None:
    assert workdays_between(date(2026, 3, 9), date(2026, 3, 6)) == -1


def test_workdays_between_the_same_day_is_zero() -> None:
    assert workdays_between(date(2026, 3, 9), date(2026, 3, 9)) == 0


def test_negative_workdays_are_refused() -> None:
    with pytest.raises(ValueError, match="không được âm"):
        add_workdays(date(2026, 3, 9), -1)


def test_absurdly_many_workdays_are_refused() -> None:
    with pytest.raises(ValueError, match="tối đa"):
        add_workdays(date(2026, 3, 9), MAX_WORKDAYS + 1)


def test_a_start_outside_the_supported_years_is_refused() -> None:
    with pytest.raises(ValueError, match="năm"):
        add_workdays(date(1500, 1, 1), 1)


def test_a_configured_extra_day_off_is_skipped() -> None:
    cal = calendar_from(extra_days_off=[date(2026, 3, 9)])
    assert add_workdays(date(2026, 3, 6), 1, cal)[0] == date(2026, 3, 10)


def test_a_configured_extra_workday_counts() -> None:
    cal = calendar_from(extra_workdays=[date(2026, 2, 16)])
    assert add_workdays(date(2026, 2, 13), 1, cal)[0] == date(2026, 2, 16)
