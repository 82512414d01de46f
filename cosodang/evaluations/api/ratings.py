"""API of the evaluations app: ratings — results, the subtree report and calibration.

Each operation is about one organisation the caller may VIEW_EVALUATION (else 404, like a
missing one) and a period covering it (`period`, the newest when absent).
"""

from __future__ import annotations

from decimal import Decimal

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from cosodang.core.access import Action
from cosodang.evaluations.models import Period
from cosodang.evaluations.selectors import ratings as sel
from cosodang.orgs.models import PartyOrg

router = Router(tags=["Đánh giá, xếp loại: kết quả"])


class ScopeQuery(Schema):
    period: int | None = Field(None, description="Mã kỳ đánh giá; bỏ trống: kỳ mới nhất.")


class PageQuery(ScopeQuery):
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0)


class ResultOut(Schema):
    """One member's result in the period."""

    rating_id: int
    member_id: int
    full_name: str
    org_id: int
    org_name: str
    position_group: str
    score: Decimal | None
    proposed_level: str
    level: str
    state: str


class ResultPage(Schema):
    period_id: int
    period: str
    count: int
    items: list[ResultOut]


class ReportRowOut(Schema):
    """Counts by level of one organisation's subtree (decided, else proposed levels)."""

    org_id: int
    code: str
    name: str
    depth: int
    total: int
    counts: dict[str, int]
    percentages: dict[str, float]


class ReportOut(Schema):
    period_id: int
    period: str
    rows: list[ReportRowOut]


class GroupOut(Schema):
    """A position group: distribution of scores, level counts and quota use."""

    code: str
    label: str
    count: int
    min: float | None
    q1: float | None
    median: float | None
    q3: float | None
    max: float | None
    mean: float | None
    levels: dict[str, int]
    proposed_htxsnv: int
    allowed_htxsnv: int


class CalibrationOut(Schema):
    period_id: int
    period: str
    groups: list[GroupOut]
    outliers: int


def _scope(request: HttpRequest, org_id: int, period_id: int | None) -> tuple[PartyOrg, Period]:
    org = sel.get_org(request.user, org_id, Action.VIEW_EVALUATION)
    period = sel.pick_period(org, period_id)
    if period is None:
        raise Http404("Không tìm thấy")
    return org, period


@router.get(
    "/ratings/{org_id}/results",
    response=ResultPage,
    summary="Kết quả xếp loại đảng viên của một tổ chức (cả cây) trong một kỳ",
    url_name="ratings_results",
)
def ratings_results(request: HttpRequest, org_id: int, q: Query[PageQuery]) -> dict[str, object]:
    """List the results of the organisation's subtree, by cell then name."""
    org, period = _scope(request, org_id, q.period)
    qs = sel.result_rows(period, org)
    items = [
        {
            "rating_id": r.pk,
            "member_id": r.member_id,
            "full_name": r.member.full_name,
            "org_id": r.org_id,
            "org_name": r.org.name,
            "position_group": r.position_group,
            "score": r.score,
            "proposed_level": r.proposed_level,
            "level": r.level,
            "state": r.state,
        }
        for r in qs[q.offset : q.offset + q.limit]
    ]
    return {"period_id": period.pk, "period": period.label, "count": qs.count(), "items": items}


@router.get(
    "/ratings/{org_id}/report",
    response=ReportOut,
    summary="Báo cáo số lượng, tỷ lệ theo mức của mọi tổ chức trong cây",
    url_name="ratings_report",
)
def ratings_report(request: HttpRequest, org_id: int, q: Query[ScopeQuery]) -> dict[str, object]:
    """Return counts and percentages by level for every organisation of the subtree."""
    org, period = _scope(request, org_id, q.period)
    rows = [
        {
            "org_id": r.org_id,
            "code": r.code,
            "name": r.name,
            "depth": r.depth,
            "total": r.total,
            "counts": r.counts,
            "percentages": {lv: round(r.pct(lv), 2) for lv in sel.LEVELS},
        }
        for r in sel.subtree_report(period, org)
    ]
    return {"period_id": period.pk, "period": period.label, "rows": rows}


@router.get(
    "/ratings/{org_id}/calibration",
    response=CalibrationOut,
    summary="So sánh vị trí tương đương: phân bố điểm, số lượng theo mức, tỷ lệ HTXSNV",
    url_name="ratings_calibration",
)
def ratings_calibration(
    request: HttpRequest, org_id: int, q: Query[ScopeQuery]
) -> dict[str, object]:
    """Return every position group of the scope with its distribution and quota use."""
    org, period = _scope(request, org_id, q.period)
    data = sel.calibration(period, org)
    groups = []
    for g in data.groups:
        d = g.dist
        groups.append(
            {
                "code": g.code,
                "label": g.label,
                "count": g.count,
                "min": d.min if d else None,
                "q1": d.q1 if d else None,
                "median": d.median if d else None,
                "q3": d.q3 if d else None,
                "max": d.max if d else None,
                "mean": d.mean if d else None,
                "levels": dict(g.current_cells),
                "proposed_htxsnv": g.proposed.get("HTXSNV", 0),
                "allowed_htxsnv": g.allowed,
            }
        )
    return {
        "period_id": period.pk,
        "period": period.label,
        "groups": groups,
        "outliers": data.outliers_total,
    }
