"""The working-day calculator of the API, mounted at /api/v1/workdays/."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Schema

from cosodang.core.workdays import MAX_WORKDAYS, add_workdays

from .config import work_calendar

router = Router(tags=["Ngày làm việc"])


class WorkdaysQuery(Schema):
    start: date
    days: int


class SkippedOut(Schema):
    date: str
    name: str


class WorkdaysOut(Schema):
    date: str
    skipped_holidays: list[SkippedOut]


@router.get("/add", response=WorkdaysOut, url_name="add_workdays")
def add(request: HttpRequest, query: Query[WorkdaysQuery]) -> dict[str, Any]:
    """Return the `days`-th working day after `start`, skipping weekends and VN public holidays."""
    if query.days < 0:
        raise ValidationError({"days": ["Số ngày làm việc (days) không được âm."]})
    if query.days > MAX_WORKDAYS:
        raise ValidationError({"days": [f"Số ngày làm việc (days) tối đa là {MAX_WORKDAYS}."]})
    try:
        day, skipped = add_workdays(query.start, query.days, work_calendar())
    except ValueError as exc:
        raise ValidationError({"start": [f"Ngày bắt đầu (start): {exc}"]}) from exc
    return {
        "date": day.isoformat(),
        "skipped_holidays": [{"date": s.day.isoformat(), "name": s.name} for s in skipped],
    }
