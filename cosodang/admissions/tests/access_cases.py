"""Who may reach each admissions URL and API operation (collected by the access matrix)."""

from __future__ import annotations

from datetime import date
from typing import Any

from cosodang.admissions import services
from cosodang.admissions.models import AdmissionCase, Candidate, Notification
from cosodang.admissions.tests.builders import pdf
from cosodang.admissions.views import STEPS
from cosodang.core.access import Action
from cosodang.core.testing import World
from cosodang.core.tests.access_support import (
    API_PREFIX,
    DAY,
    EDITORS_OF_CELL_A,
    ISO_DAY,
    MANAGERS_OF_A,
    NO_EDITOR,
    VIEWERS_OF_CELL_A,
    ApiOp,
    Case,
    NoObject,
)
from cosodang.core.vn import fold, name_sort_key

NO_VIEWER = {"member_a": 404}
OPENED = date(2024, 6, 3)


def _candidate(w: World) -> Any:
    """Create a candidate of cell A directly (no audit event: API calls count them)."""
    return Candidate.objects.create(
        org=w.cell_a,
        org_path=w.cell_a.path,
        full_name="Đỗ Minh Khoa",
        name_folded=fold("Đỗ Minh Khoa"),
        sort_key=name_sort_key("Đỗ Minh Khoa"),
        sex="M",
        birth_date=date(1998, 3, 10),
        in_pool_since=date(2024, 1, 2),
    )


def _case(w: World) -> Any:
    """Create a case of cell A in its dossier stage directly (no audit event)."""
    return AdmissionCase.objects.create(
        candidate=_candidate(w), org=w.cell_a, org_path=w.cell_a.path, opened_on=OPENED
    )


def _document(w: World) -> Any:
    return services.add_document(
        actor=w.secretary_a, case=_case(w), code="1-KNĐ", doc_date=date(2024, 6, 10), upload=pdf()
    )


def _introducer(w: World) -> Any:
    return services.add_introducer(
        actor=w.secretary_a,
        case=_case(w),
        kind="member",
        member=w.member_a,
        months_together=24,
        letter_date=date(2024, 6, 10),
    )


def _notification(w: World) -> Any:
    case = _case(w)
    return Notification.objects.create(
        user=w.secretary_a,
        case=case,
        org_path=case.org_path,
        kind="test",
        due=date(2026, 1, 30),
        message="Nhắc việc",
    )


TARGETS = {
    "adm_candidate_a": _candidate,
    "adm_case_a": _case,
    "adm_document_a": _document,
    "adm_introducer_a": _introducer,
    "adm_notification_a": _notification,
}


def _candidate_post(w: World) -> dict[str, Any]:
    return {
        "org": w.cell_a.pk,
        "full_name": "Đỗ Minh Khoa",
        "sex": "M",
        "birth_date": "10/03/1998",
        "ethnicity": "Kinh",
        "religion": "Không",
        "general_education": "12/12",
        "in_pool_since": "02/01/2024",
    }


STEP_POSTS: dict[str, dict[str, Any]] = {
    "dossier": {"cert_number": "1", "cert_issuer": "TT", "cert_date": DAY},
    "introducer": {"kind": "youth_union", "months_together": 0, "letter_date": DAY},
    "upload": {"code": "1-KNĐ", "doc_date": DAY},
    "generate": {"code": "1-KNĐ", "doc_date": DAY},
    "submit": {"on": DAY},
    "cell-vote": {"meeting_date": DAY, "votes_for": 1, "against": 0, "abstain": 0},
    "branch": {"on": DAY},
    "committee-vote": {
        "meeting_date": DAY,
        "eligible": 3,
        "votes_for": 3,
        "against": 0,
        "abstain": 0,
    },
    "extend": {"days": 5, "reason": "Lý do"},
    "extend-recognition": {"reason": "Lý do"},
    "decision": {"decision_date": DAY, "decision_number": "1", "received_date": DAY},
    "ceremony": {"ceremony_date": DAY},
    "helper": {"helper": ""},
    "note": {"day": DAY, "text": "Tốt"},
    "recognise": {"decision_date": DAY},
    "remove": {"on": DAY, "reason": "Lý do"},
    "stop": {"on": DAY, "reason": "Lý do"},
}


def _step_allowed(slug: str) -> frozenset[str]:
    return EDITORS_OF_CELL_A if STEPS[slug].action == Action.MANAGE_ADMISSION else MANAGERS_OF_A


OBJECT_CASES: list[Case] = [
    # The candidate page shows the edit form to the cell (POST); viewers only read it.
    Case("admissions:candidate", "adm_candidate_a", VIEWERS_OF_CELL_A, post=_candidate_post),
    Case(
        "admissions:open_case",
        "adm_candidate_a",
        EDITORS_OF_CELL_A,
        get_page=False,
        post=lambda w: {"opened_on": DAY},
    ),
    Case("admissions:case", "adm_case_a", VIEWERS_OF_CELL_A),
    *[
        Case(
            "admissions:step",
            "adm_case_a",
            _step_allowed(slug),
            extra={"step": slug},
            get_page=False,
            post=lambda w, s=slug: STEP_POSTS[s],
        )
        for slug in STEPS
    ],
    Case(
        "admissions:introducer_remove",
        "adm_introducer_a",
        EDITORS_OF_CELL_A,
        get_page=False,
        post=lambda w: {},
    ),
    Case("admissions:document", "adm_document_a", VIEWERS_OF_CELL_A),
    # A reminder belongs to its addressee alone: everybody else, the superuser included, gets 404.
    Case(
        "admissions:notification_read",
        "adm_notification_a",
        frozenset({"secretary_a"}),
        get_page=False,
        post=lambda w: {},
    ),
]

CASES = f"{API_PREFIX}/admissions/cases"
API_OPERATIONS: dict[tuple[str, str], ApiOp | str] = {
    ("GET", f"{CASES}/"): "list: starts from list_cases(actor) (visible_to VIEW_ADMISSION)",
    ("GET", f"{API_PREFIX}/workdays/add"): "working-day arithmetic: no Party data",
}
for _op in [
    ApiOp("GET", f"{CASES}/{{case_id}}", "adm_case_a", VIEWERS_OF_CELL_A),
    ApiOp(
        "POST",
        f"{CASES}/{{case_id}}/steps",
        "adm_case_a",
        EDITORS_OF_CELL_A,
        body=lambda w: {"step": "stop", "on": ISO_DAY, "reason": "Chuyển công tác"},
    ),
    ApiOp("GET", f"{CASES}/{{case_id}}/votes", "adm_case_a", VIEWERS_OF_CELL_A),
    ApiOp(
        "POST",
        f"{CASES}/{{case_id}}/votes",
        "adm_case_a",
        EDITORS_OF_CELL_A,
        body=lambda w: {"body": "cell", "meeting_date": ISO_DAY, "votes_for": 1},
    ),
    ApiOp("GET", f"{CASES}/{{case_id}}/documents", "adm_case_a", VIEWERS_OF_CELL_A),
    ApiOp(
        "POST",
        f"{CASES}/{{case_id}}/documents",
        "adm_case_a",
        EDITORS_OF_CELL_A,
        body=lambda w: {"code": "1-KNĐ", "doc_date": ISO_DAY},
    ),
]:
    API_OPERATIONS[(_op.method, _op.path)] = _op

EXTRA_API_CASES: list[ApiOp] = [
    # Committee votes and decisions belong to the committee: a cell secretary gets 404.
    ApiOp(
        "POST",
        f"{CASES}/{{case_id}}/votes",
        "adm_case_a",
        MANAGERS_OF_A,
        body=lambda w: {
            "body": "committee",
            "meeting_date": ISO_DAY,
            "votes_for": 3,
            "eligible": 3,
        },
    ),
    ApiOp(
        "POST",
        f"{CASES}/{{case_id}}/steps",
        "adm_case_a",
        MANAGERS_OF_A,
        body=lambda w: {
            "step": "decide_admission",
            "on": ISO_DAY,
            "decision_number": "1",
            "received_date": ISO_DAY,
        },
    ),
]

API_OBJECT_URL_NAMES = {
    "api:get_admission_case",
    "api:take_admission_step",
    "api:list_admission_votes",
    "api:list_admission_documents",
    "api:record_admission_vote",
    "api:generate_admission_document",
}

NO_OBJECT_URLS: dict[str, NoObject] = {
    "admissions:board": NoObject(
        "list: the cases of list_cases(actor) and the user's own reminders", overrides=NO_VIEWER
    ),
    "admissions:workdays": NoObject("working-day calculator: no Party data"),
    "admissions:candidate_create": NoObject(
        "the cell is picked from list_assignable_orgs(actor, MANAGE_ADMISSION) and checked "
        "again by the service",
        overrides=NO_EDITOR,
    ),
    "admissions:audit": NoObject(
        "list: audit_rows(actor) starts from visible_to; ?org= is checked by get_audit_org "
        "(get_for, VIEW_ADMISSION); the picker lists visible_to(actor) organisations only",
        overrides=NO_VIEWER,
    ),
    "admissions:audit_export": NoObject(
        "list: the audit view's rows (same selector and filters)", overrides=NO_VIEWER
    ),
    "admissions:statistics": NoObject(
        "aggregates over visible_to(actor, VIEW_ADMISSION)", overrides=NO_VIEWER
    ),
    "admissions:statistics_export": NoObject(
        "the statistics page's aggregates (same selector and organisation filter)",
        overrides=NO_VIEWER,
    ),
    "admissions:parameters": NoObject("the rule packs: regulation data, no Party data"),
    "api:list_admission_cases": NoObject("list: starts from list_cases(actor)", api=True),
    "api:add_workdays": NoObject(
        "working-day arithmetic, no Party data; without start/days it answers 422",
        status=422,
        api=True,
    ),
}
