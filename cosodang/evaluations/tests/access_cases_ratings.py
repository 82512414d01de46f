"""Access matrix entries of the ratings area (see core/tests/access_support.py).

Every ratings page is about one organisation (in the path) and a period covering it; the
targets make sure province A has an open yearly period with one proposed rating (member_a).
"""

from __future__ import annotations

from typing import Any

from cosodang.core.testing import World
from cosodang.core.tests.access_support import (
    API_PREFIX,
    EDITORS_OF_CELL_A,
    MANAGERS_OF_A,
    VIEWERS_OF_CELL_A,
    VIEWERS_OF_PROVINCE_A,
    ApiOp,
    Case,
)
from cosodang.evaluations.models import Period, Rating
from cosodang.evaluations.tests.builders_ratings import make_period, make_rating


def period_a(w: World) -> Period:
    """Return province A's open period of 2025, with member_a's proposed rating (made once)."""
    found = Period.objects.filter(org=w.province_a, year=2025, kind="year").first()
    if found is not None:
        return found
    period = make_period(w.province_a)
    make_rating(period, w.member_a)
    return period


def _with_period(get: Any) -> Any:
    def target(w: World) -> Any:
        period_a(w)
        return get(w)

    return target


def rating_a(w: World) -> Rating:
    return Rating.objects.get(period=period_a(w), member=w.member_a)


TARGETS = {
    "ratings_province_a": _with_period(lambda w: w.province_a),
    "ratings_branch_a": _with_period(lambda w: w.branch_a),
    "ratings_cell_a": _with_period(lambda w: w.cell_a),
    "ratings_rating_a": rating_a,
    "ratings_period_a": period_a,
}

COLLECTIVE_POST = {
    "score": "80",
    "tasks_total": "10",
    "tasks_on_time": "10",
    "tasks_above_requirement": "0",
    "tasks_late": "0",
}

OBJECT_CASES = [
    Case("evaluations:calibration", "ratings_province_a", VIEWERS_OF_PROVINCE_A),
    Case("evaluations:calibration", "ratings_cell_a", VIEWERS_OF_CELL_A),
    Case("evaluations:propose", "ratings_cell_a", EDITORS_OF_CELL_A, post=lambda w: {}),
    Case(
        "evaluations:rate_collective",
        "ratings_cell_a",
        EDITORS_OF_CELL_A,
        post=lambda w: COLLECTIVE_POST,
    ),
    Case(
        "evaluations:decide", "ratings_branch_a", MANAGERS_OF_A, get_page=False, post=lambda w: {}
    ),
    Case(
        "evaluations:decide_one",
        "ratings_rating_a",
        MANAGERS_OF_A,
        post=lambda w: {"level": "HTNV", "reason": "Xem xét lại"},
    ),
    Case("evaluations:result_list_xlsx", "ratings_province_a", VIEWERS_OF_PROVINCE_A),
    Case("evaluations:result_list_docx", "ratings_cell_a", VIEWERS_OF_CELL_A),
    Case("evaluations:report", "ratings_province_a", VIEWERS_OF_PROVINCE_A),
    Case("evaluations:report_xlsx", "ratings_province_a", VIEWERS_OF_PROVINCE_A),
]

API_OPERATIONS: dict[tuple[str, str], ApiOp | str] = {}
for _op in [
    ApiOp(
        "GET",
        f"{API_PREFIX}/evaluations/ratings/{{org_id}}/results",
        "ratings_province_a",
        VIEWERS_OF_PROVINCE_A,
    ),
    ApiOp(
        "GET",
        f"{API_PREFIX}/evaluations/ratings/{{org_id}}/report",
        "ratings_province_a",
        VIEWERS_OF_PROVINCE_A,
    ),
    ApiOp(
        "GET",
        f"{API_PREFIX}/evaluations/ratings/{{org_id}}/calibration",
        "ratings_province_a",
        VIEWERS_OF_PROVINCE_A,
    ),
]:
    API_OPERATIONS[(_op.method, _op.path)] = _op

EXTRA_API_CASES = [
    ApiOp(
        "GET",
        f"{API_PREFIX}/evaluations/ratings/{{org_id}}/results",
        "ratings_cell_a",
        VIEWERS_OF_CELL_A,
    ),
]

API_OBJECT_URL_NAMES = {"api:ratings_results", "api:ratings_report", "api:ratings_calibration"}
