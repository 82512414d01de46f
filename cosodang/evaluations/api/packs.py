"""API of the evaluations app: stored rule packs (read-only) and the rule simulator."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from cosodang.evaluations import packs
from cosodang.evaluations.models import StoredPack
from cosodang.evaluations.rules import SubjectInputError
from cosodang.evaluations.schema import Level, SubjectKind
from cosodang.evaluations.selectors import packs as selectors

router = Router(tags=["Đánh giá, xếp loại: gói quy tắc"])

MAX_TASKS = 100_000  # far above any real count; keeps the arithmetic small
_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
# The engine names the simulated period; the caller gave only its date.
_FIELD_ALIASES = {"period": "date"}


class DisciplineIn(Schema):
    """A disciplinary decision: form code of the pack (e.g. `khien_trach`) and date."""

    model_config = ConfigDict(extra="forbid")

    form: str = Field(..., max_length=40, examples=["khien_trach"])
    date: dt.date


class SimulateIn(Schema):
    """One subject's inputs for the rule simulator (issue 4)."""

    model_config = ConfigDict(extra="forbid")

    pack: str | None = Field(
        None,
        max_length=40,
        description="Mã gói quy tắc (ví dụ QD366); bỏ trống: chọn gói có hiệu lực vào `date`.",
        examples=["QD366"],
    )
    date: dt.date = Field(
        ...,
        description="Ngày kết thúc kỳ đánh giá; kỳ mô phỏng là năm chứa ngày này.",
    )
    subject_kind: SubjectKind
    score: Decimal | None = Field(
        None, ge=0, le=100, description="Điểm 0–100, tối đa 2 chữ số thập phân."
    )
    tasks_total: int = Field(..., ge=0, le=MAX_TASKS)
    tasks_on_time: int = Field(..., ge=0, le=MAX_TASKS)
    tasks_above_requirement: int = Field(0, ge=0, le=MAX_TASKS)
    tasks_late: int = Field(0, ge=0, le=MAX_TASKS)
    disciplines: list[DisciplineIn] = Field(default_factory=list, max_length=100)
    degradation_concluded: bool = False
    professional_level: Level | None = None
    collective_level: Level | None = Field(None, description="Chỉ cho người đứng đầu.")
    grades: dict[str, str] | None = Field(
        None,
        description="Chỉ cho gói xếp mức từng tiêu chí (QĐ 132, QĐ 124): mã tiêu chí → mức.",
    )
    framework: str | None = Field(
        None, max_length=60, description="Mã khung tiêu chí, nếu khác khung mặc định."
    )


class ReasonOut(Schema):
    """One threshold or condition checked: passed is false when it blocked or fired."""

    rule: str
    passed: bool
    detail: str


class SimulateOut(Schema):
    """The proposed level, the pack used and every check made."""

    level: Level
    pack: str
    reasons: list[ReasonOut]


class ErrorItem(Schema):
    """One refused field."""

    loc: list[str | int]
    msg: str
    type: str = ""


class ErrorOut(Schema):
    """Input refused: each field named in `loc`."""

    detail: list[ErrorItem]


class PackOut(Schema):
    """A stored rule pack as listed."""

    id: int
    code: str
    title: str
    effective_from: dt.date
    effective_to: dt.date | None
    builtin: bool
    owner_id: int | None
    derived_from: str | None
    unconfirmed: int


class ParameterOut(Schema):
    """A rule table marked not confirmed, with its note."""

    path: str
    note: str


class PackDetailOut(PackOut):
    """A stored rule pack with its content and its unconfirmed parameters."""

    unconfirmed_parameters: list[ParameterOut]
    data: dict[str, Any]


class PackPage(Schema):
    """The packs the caller may read."""

    count: int
    items: list[PackOut]


def _loc(field: str) -> list[str | int]:
    parts: list[str | int] = [int(index) if index else name for name, index in _PART.findall(field)]
    if parts and isinstance(parts[0], str):
        parts[0] = _FIELD_ALIASES.get(parts[0], parts[0])
    return ["body", "payload", *parts]


def _refused(field: str, message: str) -> Status:
    return Status(422, {"detail": [{"loc": _loc(field), "msg": message, "type": "value_error"}]})


def _pack_out(stored: StoredPack) -> dict[str, Any]:
    pack = selectors.rule_pack(stored)
    return {
        "id": stored.pk,
        "code": stored.code,
        "title": stored.title,
        "effective_from": stored.effective_from,
        "effective_to": stored.effective_to,
        "builtin": stored.builtin,
        "owner_id": stored.owner_id,
        "derived_from": stored.derived_from.code if stored.derived_from else None,
        "unconfirmed": len(packs.unconfirmed_parameters(pack)),
    }


@router.post(
    "/simulate",
    response={200: SimulateOut, 422: ErrorOut},
    summary="Mô phỏng xếp loại một đối tượng theo gói quy tắc",
    url_name="evaluations_simulate",
)
def simulate(request: HttpRequest, payload: SimulateIn) -> Any:
    """Return the level and reasons for one subject; nothing is stored.

    Callers need VIEW_EVALUATION somewhere (staff, secretaries, inspectors); others get 404.
    """
    if not selectors.may_simulate(request.user):
        raise Http404("Không tìm thấy")
    try:
        sim = selectors.simulate(
            request.user,
            pack_code=payload.pack,
            on=payload.date,
            subject_kind=payload.subject_kind.value,
            score=payload.score,
            tasks_total=payload.tasks_total,
            tasks_on_time=payload.tasks_on_time,
            tasks_above_requirement=payload.tasks_above_requirement,
            tasks_late=payload.tasks_late,
            disciplines=[(d.form, d.date) for d in payload.disciplines],
            degradation_concluded=payload.degradation_concluded,
            professional_level=payload.professional_level,
            collective_level=payload.collective_level,
            grades=payload.grades,
            framework=payload.framework,
        )
    except (selectors.SimulationError, SubjectInputError) as exc:
        return _refused(exc.field, exc.message)
    result = sim.result
    return {
        "level": result.level,
        "pack": result.pack_code,
        "reasons": [
            {"rule": r.rule, "passed": r.passed, "detail": r.detail} for r in result.reasons
        ],
    }


@router.get(
    "/packs/",
    response=PackPage,
    summary="Danh sách gói quy tắc xếp loại",
    url_name="evaluations_list_packs",
)
def list_packs(request: HttpRequest) -> dict[str, Any]:
    """List the built-in packs and the clones within the caller's scope."""
    items = [_pack_out(s) for s in selectors.list_packs(request.user)]
    return {"count": len(items), "items": items}


@router.get(
    "/packs/{pack_id}",
    response=PackDetailOut,
    summary="Chi tiết gói quy tắc xếp loại",
    url_name="evaluations_get_pack",
)
def get_pack(request: HttpRequest, pack_id: int) -> dict[str, Any]:
    """Show one pack: its content and the parameters not confirmed against the regulation."""
    stored = selectors.get_stored_pack(request.user, pack_id)
    pack = selectors.rule_pack(stored)
    return {
        **_pack_out(stored),
        "unconfirmed_parameters": [
            {"path": i.path, "note": i.message} for i in packs.unconfirmed_parameters(pack)
        ],
        "data": stored.data,
    }
