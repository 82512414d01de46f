"""The admission settings: the working-day calendar and the rule pack for a day."""

from __future__ import annotations

from datetime import date
from functools import cache

from django.conf import settings

from cosodang.core.workdays import Calendar, calendar_from

from .packs import RulePack, pack_for

__all__ = ["RulePack", "pack_for", "work_calendar"]


def _dates(name: str) -> list[date]:
    return [date.fromisoformat(str(d)) for d in getattr(settings, name, ()) or ()]


@cache
def work_calendar() -> Calendar:
    """Return the working-day calendar with the days off/on added in settings.

    COSODANG_EXTRA_DAYS_OFF / COSODANG_EXTRA_WORKDAYS: ISO dates the `holidays` package does not
    know yet (a late Government decision), so deadlines stay right without a release.
    """
    return calendar_from(_dates("COSODANG_EXTRA_DAYS_OFF"), _dates("COSODANG_EXTRA_WORKDAYS"))
