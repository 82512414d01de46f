"""Builders of admission cases for the tests, each step taken through the services."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from cosodang.admissions import services
from cosodang.admissions.models import AdmissionCase, Candidate
from cosodang.core.testing import World

OPENED = date(2024, 6, 3)
DOC_DAY = date(2024, 6, 10)
SUBMITTED = date(2024, 7, 1)
CELL_VOTE = date(2024, 7, 5)
COMMITTEE_VOTE = date(2024, 7, 22)
DECISION = date(2024, 8, 15)
RECEIVED = date(2024, 8, 16)
CEREMONY = date(2024, 9, 5)
PROBATION_END = date(2025, 9, 5)
RECOGNITION_VOTE = date(2025, 9, 10)
RECOGNITION_COMMITTEE = date(2025, 9, 22)
RECOGNITION_DECISION = date(2025, 10, 1)
DOSSIER_DOCS = ("CN-NTVĐ", "1-KNĐ", "2-KNĐ", "TTLL", "3-KNĐ", "5-KNĐ")


def pdf(name: str = "scan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 test", content_type="application/pdf")


def make_candidate(world: World, **data: Any) -> Candidate:
    fields: dict[str, Any] = {
        "full_name": "Đỗ Minh Khoa",
        "sex": "M",
        "birth_date": date(1998, 3, 10),
        "general_education": "12/12",
        "work_unit": "Đội 1, Phòng Cảnh sát hình sự",
        "residence": "Phường Láng, Hà Nội",
        "in_pool_since": date(2024, 1, 2),
    }
    fields.update(data)
    return services.create_candidate(actor=world.secretary_a, org=world.cell_a, data=fields)


def upload(world: World, case: AdmissionCase, *codes: str, day: date = DOC_DAY) -> None:
    for code in codes:
        services.add_document(
            actor=world.secretary_a, case=case, code=code, doc_date=day, upload=pdf(f"{code}.pdf")
        )


def dossier_case(world: World, **candidate: Any) -> AdmissionCase:
    """Return a case whose dossier is complete (not yet submitted)."""
    cand = make_candidate(world, **candidate)
    actor = world.secretary_a
    case = services.open_case(actor=actor, candidate=cand, opened_on=OPENED)
    services.update_dossier(
        actor=actor,
        case=case,
        cert_number="125/CN",
        cert_issuer="Trung tâm chính trị quận Đống Đa",
        cert_date=date(2024, 5, 15),
        verified_relatives=["self", "parents"],
    )
    for m in (world.member_a, world.secretary_member):
        services.add_introducer(
            actor=actor, case=case, kind="member", member=m, months_together=24, letter_date=DOC_DAY
        )
    upload(world, case, *DOSSIER_DOCS)
    return case


def refresh(case: AdmissionCase) -> AdmissionCase:
    return AdmissionCase.objects.get(pk=case.pk)


def submitted_case(world: World, **candidate: Any) -> AdmissionCase:
    case = dossier_case(world, **candidate)
    return services.submit_dossier(actor=world.secretary_a, case=case, on=SUBMITTED)


def cell_passed_case(world: World) -> AdmissionCase:
    case = submitted_case(world)
    services.record_cell_vote(
        actor=world.secretary_a,
        case=case,
        meeting_date=CELL_VOTE,
        votes_for=4,
        against=0,
        abstain=0,
    )
    upload(world, refresh(case), "6-KNĐ", day=CELL_VOTE)
    return refresh(case)


def decided_case(world: World) -> AdmissionCase:
    case = cell_passed_case(world)
    services.record_committee_vote(
        actor=world.staff_a,
        case=case,
        meeting_date=COMMITTEE_VOTE,
        eligible=9,
        votes_for=7,
        against=1,
        abstain=1,
    )
    upload(world, refresh(case), "8-KNĐ", day=COMMITTEE_VOTE)
    services.decide_admission(
        actor=world.staff_a,
        case=refresh(case),
        decision_date=DECISION,
        decision_number="215-QĐ/ĐU",
        received_date=RECEIVED,
    )
    upload(world, refresh(case), "9-KNĐ", day=DECISION)
    return refresh(case)


def probation_case(world: World) -> AdmissionCase:
    case = decided_case(world)
    services.hold_ceremony(actor=world.secretary_a, case=case, ceremony_date=CEREMONY)
    services.assign_helper(actor=world.secretary_a, case=refresh(case), helper=world.member_a)
    return refresh(case)


def recognition_ready_case(world: World) -> AdmissionCase:
    case = probation_case(world)
    upload(world, case, "CN-ĐVM", "10-KNĐ", "11-KNĐ", "12-KNĐ", day=PROBATION_END)
    return refresh(case)
