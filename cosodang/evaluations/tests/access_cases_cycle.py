"""Access classification of the review-cycle URLs (see core/tests/access_support.py)."""

from __future__ import annotations

from typing import Any

from cosodang.core.testing import World
from cosodang.core.tests.access_support import (
    API_PREFIX,
    EDITORS_OF_CELL_A,
    MANAGERS_OF_A,
    VIEWERS_OF_CELL_A,
    ApiOp,
    Case,
    NoObject,
)
from cosodang.evaluations import rules_cycle as rc
from cosodang.evaluations.models import Objection, Period, Rating, SelfReview
from cosodang.evaluations.tests.cycle_support import ensure_packs, make_rating, plan_around

# Everyone of A with a role or a member record in A's cell; not the sibling province's staff.
PEOPLE_OF_A = frozenset({"admin", "staff_a", "secretary_a", "member_a", "inspector_a"})
# Personas with a member record in a cell of the period (their own self-review).
MEMBERS_OF_A = frozenset({"secretary_a", "member_a"})
NOT_DECIDERS = {"secretary_a": 404, "member_a": 404, "inspector_a": 404}


def period_a(w: World) -> Period:
    """Province A's open 2025 period, written directly (no audit event: the API cases count
    audit events around the call that builds the URL)."""
    found = Period.objects.filter(org=w.province_a, kind="year", year=2025).first()
    if found:
        return found
    from cosodang.evaluations.selectors.packs import stored_pack_for_date

    ensure_packs()
    start, end = rc.period_bounds("year", 2025, None)
    return Period.objects.create(
        org=w.province_a,
        org_path=w.province_a.path,
        kind="year",
        year=2025,
        start=start,
        end=end,
        pack=stored_pack_for_date(end),
        state="open",
        **plan_around(),
    )


def peer_period_a(w: World) -> Period:
    """Province A's open 2025 Q1 period with peer comments enabled (written directly)."""
    found = Period.objects.filter(org=w.province_a, kind="quarter", year=2025, quarter=1).first()
    if found:
        return found
    from cosodang.evaluations.selectors.packs import stored_pack_for_date

    ensure_packs()
    start, end = rc.period_bounds("quarter", 2025, 1)
    return Period.objects.create(
        org=w.province_a,
        org_path=w.province_a.path,
        kind="quarter",
        year=2025,
        quarter=1,
        start=start,
        end=end,
        pack=stored_pack_for_date(end),
        state="open",
        peer_review=True,
        **plan_around(),
    )


def review_of(w: World, member: Any) -> SelfReview:
    period = period_a(w)
    found = SelfReview.objects.filter(period=period, member=member).first()
    return found or SelfReview.objects.create(
        period=period,
        member=member,
        org_path=member.org_path,
        form="2A",
        state="submitted",
        task_results="Hoàn thành",
        proposed_level="HTTNV",
    )


def own_rating(w: World) -> Rating:
    period = period_a(w)
    member = w.plain_member_a.member
    found = Rating.objects.filter(period=period, member=member).first()
    return found or make_rating(period, member, state="published")


def own_objection(w: World) -> Objection:
    rating = own_rating(w)
    found = Objection.objects.filter(rating=rating).first()
    return found or Objection.objects.create(
        rating=rating, org_path=rating.org_path, lodged_by=w.plain_member_a, text="Lý do"
    )


TARGETS = {
    "cycle_period_a": period_a,
    "cycle_review_a": lambda w: review_of(w, w.member_a),
    "cycle_own_review": lambda w: review_of(w, w.plain_member_a.member),
    "cycle_own_rating": own_rating,
    "cycle_own_objection": own_objection,
    "cycle_peer_period_a": peer_period_a,
}


def _post(**data: str):  # type: ignore[no-untyped-def]
    return lambda w: data


OBJECT_CASES = [
    Case("evaluations:period_detail", "cycle_period_a", PEOPLE_OF_A),
    Case("evaluations:results", "cycle_period_a", PEOPLE_OF_A),
    Case(
        "evaluations:self_review_edit",
        "cycle_period_a",
        MEMBERS_OF_A,
        post=_post(action="save", ideology="Kiên định"),
    ),
    *[
        Case(name, "cycle_period_a", MANAGERS_OF_A, get_page=False, post=_post())
        for name in (
            "evaluations:period_open",
            "evaluations:period_publish",
            "evaluations:period_close",
        )
    ],
    # Correcting the plan: the deciding committee, as for planning and opening the period.
    Case(
        "evaluations:period_plan",
        "cycle_period_a",
        MANAGERS_OF_A,
        post=lambda w: {k: v.strftime("%d/%m/%Y") for k, v in plan_around().items()},
    ),
    # Only a superior committee of the period's organisation (here: the superuser).
    Case(
        "evaluations:period_reopen",
        "cycle_period_a",
        frozenset({"admin"}),
        get_page=False,
        post=_post(reason="Xếp loại lại"),
    ),
    Case("evaluations:self_review_detail", "cycle_review_a", VIEWERS_OF_CELL_A),
    Case("evaluations:self_review_detail", "cycle_own_review", VIEWERS_OF_CELL_A | {"member_a"}),
    Case("evaluations:self_review_docx", "cycle_review_a", VIEWERS_OF_CELL_A),
    Case("evaluations:self_review_docx", "cycle_own_review", VIEWERS_OF_CELL_A | {"member_a"}),
    Case(
        "evaluations:self_review_return",
        "cycle_review_a",
        EDITORS_OF_CELL_A,
        get_page=False,
        post=_post(note="Bổ sung minh chứng"),
    ),
    Case("evaluations:cell", "cell_a", VIEWERS_OF_CELL_A),
    Case(
        "evaluations:assess",
        "member_a",
        EDITORS_OF_CELL_A,
        post=_post(source="cell_committee", text="Hoàn thành tốt"),
    ),
    # Peer comments: the members of a cell of the period (a member record), not the roles.
    Case(
        "evaluations:peer_review",
        "cycle_peer_period_a",
        MEMBERS_OF_A,
        post=lambda w: {"member": str(w.member_a.pk), "text": "Cần chủ động hơn"},
    ),
    Case("evaluations:member_history", "member_a", VIEWERS_OF_CELL_A),
    Case("evaluations:member_history", "own_member", VIEWERS_OF_CELL_A | {"member_a"}),
    Case(
        "evaluations:objection_create",
        "cycle_own_rating",
        frozenset({"member_a"}),
        get_page=False,
        post=_post(text="Tôi đề nghị xem xét lại"),
    ),
    Case(
        "evaluations:objection_answer",
        "cycle_own_objection",
        MANAGERS_OF_A,
        post=_post(decision="dismiss", answer="Không đủ căn cứ"),
    ),
]

NO_OBJECT_URLS = {
    "evaluations:index": NoObject("landing: periods from list_periods(actor), own records only"),
    "evaluations:period_create": NoObject(
        "the organisation is picked from decidable_orgs(actor) (DECIDE_EVALUATION) and checked "
        "again by create_period",
        overrides=NOT_DECIDERS,
    ),
    "api:list_periods": NoObject("list: starts from list_periods(actor)", api=True),
}

EVAL = f"{API_PREFIX}/evaluations"
# Personas who may read assessments (VIEW_EVALUATION): not the plain member.
ASSESSMENT_READERS = frozenset({"admin", "staff_a", "secretary_a", "inspector_a"})


def _period_body(w: World) -> dict[str, Any]:
    plan = {k: v.isoformat() for k, v in plan_around().items()}
    return {"org_id": w.province_a.pk, "kind": "year", "year": 2024, **plan}


API_OPERATIONS: dict[tuple[str, str], ApiOp | str] = {
    ("GET", f"{EVAL}/periods"): "list: starts from list_periods(actor)",
}
for _op in [
    ApiOp("GET", f"{EVAL}/periods/{{period_id}}", "cycle_period_a", PEOPLE_OF_A),
    ApiOp("POST", f"{EVAL}/periods", None, MANAGERS_OF_A, body=_period_body),
    ApiOp("GET", f"{EVAL}/periods/{{period_id}}/self-review", "cycle_period_a", MEMBERS_OF_A),
    ApiOp(
        "PUT",
        f"{EVAL}/periods/{{period_id}}/self-review",
        "cycle_period_a",
        MEMBERS_OF_A,
        body=lambda w: {"ideology": "Kiên định"},
    ),
    ApiOp(
        "POST",
        f"{EVAL}/periods/{{period_id}}/self-review/submit",
        "cycle_period_a",
        MEMBERS_OF_A,
        body=lambda w: {"task_results": "Hoàn thành", "proposed_level": "HTTNV"},
    ),
    ApiOp("GET", f"{EVAL}/periods/{{period_id}}/assessments", "cycle_period_a", ASSESSMENT_READERS),
    ApiOp(
        "POST",
        f"{EVAL}/periods/{{period_id}}/assessments",
        "cycle_period_a",
        EDITORS_OF_CELL_A,
        body=lambda w: {"member_id": w.member_a.pk, "source": "cell_committee", "text": "Tốt"},
    ),
    ApiOp(
        "POST",
        f"{EVAL}/ratings/{{rating_id}}/objections",
        "cycle_own_rating",
        frozenset({"member_a"}),
        body=lambda w: {"text": "Đề nghị xem xét lại"},
    ),
    ApiOp(
        "POST",
        f"{EVAL}/objections/{{objection_id}}/answer",
        "cycle_own_objection",
        MANAGERS_OF_A,
        body=lambda w: {"upheld": False, "answer": "Không đủ căn cứ"},
    ),
]:
    API_OPERATIONS[(_op.method, _op.path)] = _op

EXTRA_API_CASES: list[ApiOp] = [
    # A peer comment: the members of A's cell, and the roles that assess it (they get 422).
    ApiOp(
        "POST",
        f"{EVAL}/periods/{{period_id}}/assessments",
        "cycle_peer_period_a",
        EDITORS_OF_CELL_A | {"member_a"},
        body=lambda w: {"member_id": w.member_a.pk, "source": "peer", "text": "Góp ý"},
    ),
    # Filtering the assessments on a member of A.
    ApiOp(
        "GET",
        f"{EVAL}/periods/{{period_id}}/assessments",
        "cycle_period_a",
        ASSESSMENT_READERS,
        query=lambda w: {"member_id": w.member_a.pk},
    ),
]

API_OBJECT_URL_NAMES: set[str] = {
    "api:get_period",
    "api:create_period",
    "api:get_own_self_review",
    "api:put_own_self_review",
    "api:submit_own_self_review",
    "api:list_period_assessments",
    "api:create_assessment",
    "api:create_objection",
    "api:answer_objection",
}
