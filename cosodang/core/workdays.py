"""Working days (ngày làm việc): weekends and Vietnamese public holidays are skipped.

Regulation deadlines (e.g. "within 60 working days of the cell's resolution") count working
days. Public holidays come from the `holidays` package (country VN: Tết Dương lịch, the Tết
Nguyên Đán days the Government grants each year, Giỗ Tổ Hùng Vương, 30/4, 1/5, Quốc khánh,
and the substitute days off, nghỉ bù). A Saturday the Government swaps into a working day
(e.g. 26/04/2025, 22/08/2026) counts as one. Days the package does not know (a late
Government decision) can be added or removed without a release, through two settings read by
the caller: `extra_days_off` and `extra_workdays`.

Pure module: no ORM, no request. `add_workdays(date(2026, 2, 13), 1)` answers 23/02/2026,
having skipped the five Tết days off.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays

# Beyond this many working days no Party deadline exists; callers refuse larger inputs.
MAX_WORKDAYS = 2000
MIN_YEAR = 1990
MAX_YEAR = 2100


@lru_cache(maxsize=128)
def _vn_year(year: int) -> tuple[dict[date, str], frozenset[date]]:
    """Return the public holidays of one year and its weekend days worked, from the package."""
    vn = holidays.country_holidays("VN", years=year, language="vi")
    return dict(vn.items()), frozenset(d for d in vn.weekend_workdays if d.year == year)


@dataclass(frozen=True)
class Calendar:
    """The working-day calendar: VN public holidays plus configured exceptions."""

    extra_days_off: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)

    def holiday_name(self, day: date) -> str | None:
        """Return the name of the public holiday (or configured day off) on `day`, if any."""
        if day in self.extra_workdays:
            return None
        if day in self.extra_days_off:
            return "Ngày nghỉ (theo quyết định bổ sung)"
        return _vn_year(day.year)[0].get(day)

    def is_workday(self, day: date) -> bool:
        """Tell whether `day` is a working day."""
        if day in self.extra_workdays:
            return True
        if day in self.extra_days_off:
            return False
        holidays_of_year, weekend_worked = _vn_year(day.year)
        if day in holidays_of_year:
            return False
        return day.weekday() < 5 or day in weekend_worked


DEFAULT = Calendar()


def calendar_from(
    extra_days_off: Iterable[date] = (), extra_workdays: Iterable[date] = ()
) -> Calendar:
    """Return a calendar with these extra days off and extra working days."""
    return Calendar(frozenset(extra_days_off), frozenset(extra_workdays))


@dataclass(frozen=True)
class SkippedHoliday:
    """A public holiday that fell on a weekday inside a counted span."""

    day: date
    name: str


def _check(start: date, n: int) -> None:
    if n < 0:
        raise ValueError("Số ngày làm việc không được âm.")
    if n > MAX_WORKDAYS:
        raise ValueError(f"Số ngày làm việc tối đa là {MAX_WORKDAYS}.")
    if not MIN_YEAR <= start.year <= MAX_YEAR:
        raise ValueError(f"Ngày bắt đầu phải trong các năm {MIN_YEAR}–{MAX_YEAR}.")


def add_workdays(start: date, n: int, cal: Calendar = DEFAULT) -> tuple[date, list[SkippedHoliday]]:
    """Return the n-th working day after `start` and the holidays skipped on the way.

    n = 0 answers `start` itself when it is a working day, else the next working day. Only
    holidays that fall on what would otherwise be a working day are listed as skipped.
    """
    _check(start, n)
    skipped: list[SkippedHoliday] = []
    day = start
    if n == 0:
        while not cal.is_workday(day):
            _note_skip(cal, day, skipped)
            day += timedelta(days=1)
        return day, skipped
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if cal.is_workday(day):
            counted += 1
        else:
            _note_skip(cal, day, skipped)
    return day, skipped


def _note_skip(cal: Calendar, day: date, skipped: list[SkippedHoliday]) -> None:
    name = cal.holiday_name(day)
    if name is not None and day.weekday() < 5:
        skipped.append(SkippedHoliday(day, name))


def workdays_between(start: date, end: date, cal: Calendar = DEFAULT) -> int:
    """Count working days after `start` up to and including `end` (negative if end < start).

    So `workdays_between(d, add_workdays(d, n)[0]) == n` for every n > 0.
    """
    if end < start:
        return -workdays_between(end, start, cal)
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if cal.is_workday(day):
            count += 1
    return count
