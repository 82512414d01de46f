"""Demo admission cases at every stage, in the demo secretary's cell (after `seed_demo`).

Every step goes through the services, as the demo secretary (cell steps) and the Hà Nội
committee staff (committee steps), with dates counted back from today so that the board shows
deadlines that are comfortable, close (red) and overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from cosodang.accounts.models import User
from cosodang.core.vn import add_months
from cosodang.core.workdays import add_workdays
from cosodang.members import services as member_services
from cosodang.members.models import Member
from cosodang.members.rules import MemberStatus, PartyPost
from cosodang.orgs.models import PartyOrg

from . import services
from .config import work_calendar
from .documents import GENERATED_CODES
from .models import AdmissionCase, Candidate

DEMO_CELL_CODE = "HN-PC02-D01"
SECRETARY = "bithu.hanoi"
STAFF = "canbo.hanoi"


@dataclass(frozen=True)
class DemoCandidate:
    name: str
    sex: str
    birth: date
    stage: str


CANDIDATES = (
    DemoCandidate("Nguyễn Hoàng Anh", "M", date(1999, 4, 12), "dossier"),
    DemoCandidate("Trần Thị Thu Trang", "F", date(2000, 9, 3), "cell_review"),
    DemoCandidate("Lê Quang Huy", "M", date(1998, 1, 25), "committee_review"),
    DemoCandidate("Phạm Minh Đức", "M", date(1997, 7, 8), "awaiting_ceremony"),
    DemoCandidate("Vũ Ngọc Lan", "F", date(1998, 11, 30), "probation"),
    DemoCandidate("Đặng Văn Sơn", "M", date(1996, 5, 14), "official"),
    DemoCandidate("Bùi Thanh Tâm", "M", date(1999, 2, 2), "stopped"),
    DemoCandidate("Hoàng Thị Yến", "F", date(2001, 6, 21), "pool"),
)


def _back(today: date, workdays: int) -> date:
    """Return the day `workdays` working days before `today`."""
    day, counted = today, 0
    cal = work_calendar()
    while counted < workdays:
        day -= timedelta(days=1)
        if cal.is_workday(day):
            counted += 1
    return day


def _file(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n% demo\n", content_type="application/pdf")


def _docs(actor: Any, case: AdmissionCase, codes: tuple[str, ...], day: date) -> None:
    for code in codes:
        if code in GENERATED_CODES:
            services.generate_document(actor=actor, case=case, code=code, doc_date=day)
        else:
            services.add_document(
                actor=actor, case=case, code=code, doc_date=day, upload=_file(f"{code}.pdf")
            )


def _official(cell: PartyOrg, before: date) -> list[Member]:
    return list(
        Member.objects.filter(
            org=cell, status=MemberStatus.OFFICIAL, official_date__lte=before - timedelta(days=400)
        ).order_by("id")[:3]
    )


def _refresh(case: AdmissionCase) -> AdmissionCase:
    return AdmissionCase.objects.get(pk=case.pk)


@transaction.atomic
def seed(today: date | None = None) -> int:
    """Create the demo candidates and cases; return how many (0 if already there)."""
    today = today or timezone.localdate()
    cell = PartyOrg.objects.filter(code=DEMO_CELL_CODE).first()
    sec = User.objects.filter(username=SECRETARY).first()
    staff = User.objects.filter(username=STAFF).first()
    if cell is None or sec is None or staff is None:
        raise RuntimeError("Chưa có dữ liệu mẫu: chạy manage.py seed_demo trước.")
    if Candidate.objects.filter(org=cell, full_name=CANDIDATES[0].name).exists():
        return 0
    _committee(cell, staff, today)
    made = 0
    for spec in CANDIDATES:
        _one(spec, cell, sec, staff, today)
        made += 1
    return made


COMMITTEE_SIZE = 9


def _committee(cell: PartyOrg, actor: User, today: date) -> None:
    """Elect the grassroots committee in the registry, so votes count it (not a typed number)."""
    body = services.grassroots_org(cell)
    start = add_months(today, -30)  # before the earliest demo committee meeting
    if body is None or services.committee_members_on(body, start):
        return
    members = list(
        Member.objects.filter(
            org_path__startswith=body.path,
            status=MemberStatus.OFFICIAL,
            official_date__lte=start,
        ).order_by("id")[:COMMITTEE_SIZE]
    )
    posts = [PartyPost.SECRETARY, PartyPost.DEPUTY_SECRETARY]
    posts += [PartyPost.COMMITTEE_MEMBER] * (COMMITTEE_SIZE - len(posts))
    for member, post in zip(members, posts, strict=False):
        member_services.add_position(
            actor=actor, member=member, start=start, party_post=post.value, org=body
        )


def _committee_votes(cell: PartyOrg, day: date) -> int:
    body = services.grassroots_org(cell)
    return services.committee_members_on(body, day) if body is not None else 0


def _timeline(stage: str, today: date) -> dict[str, date]:
    """Dates of each step, counted back so the stage's deadline lands where the demo wants."""
    if stage in ("dossier", "cell_review", "pool"):
        opened = today - timedelta(days=40)
        return {
            "opened": opened,
            "docs": opened + timedelta(days=5),
            "submit": today - timedelta(days=3),
        }
    if stage in ("committee_review", "stopped"):
        vote = _back(today, 56)  # 4 working days left before the 60-wd decision deadline
    elif stage == "awaiting_ceremony":
        vote = _back(today, 80)
    elif stage == "probation":
        vote = add_months(today, -13) - timedelta(days=60)
    else:
        vote = add_months(today, -26)
    opened = vote - timedelta(days=45)
    dates = {
        "opened": opened,
        "docs": opened + timedelta(days=5),
        "submit": vote - timedelta(days=10),
        "vote": vote,
        "committee": add_workdays(vote, 10)[0],
        "decision": add_workdays(vote, 20)[0],
        "received": add_workdays(vote, 22)[0],
    }
    if stage == "awaiting_ceremony":
        # Received 34 working days ago: the 30-wd ceremony deadline has passed (red).
        dates["received"] = _back(today, 34)
        dates["decision"] = dates["received"] - timedelta(days=1)
        dates["committee"] = dates["decision"] - timedelta(days=7)
    dates["ceremony"] = add_workdays(dates["received"], 8)[0]
    dates["end"] = add_months(dates["ceremony"], 12)
    return dates


def _one(spec: DemoCandidate, cell: PartyOrg, sec: User, staff: User, today: date) -> None:
    d = _timeline(spec.stage, today)
    introducers = _official(cell, d["opened"])
    cand = services.create_candidate(
        actor=sec,
        org=cell,
        data={
            "full_name": spec.name,
            "sex": spec.sex,
            "birth_date": spec.birth,
            "general_education": "12/12",
            "work_unit": "Đội 1, Phòng Cảnh sát hình sự, Công an thành phố Hà Nội",
            "residence": "Hà Nội",
            "in_pool_since": d["opened"] - timedelta(days=180),
            "follower": introducers[0] if introducers else None,
        },
    )
    if spec.stage == "pool":
        return
    case = services.open_case(actor=sec, candidate=cand, opened_on=d["opened"])
    services.update_dossier(
        actor=sec,
        case=case,
        cert_number=f"{100 + cand.pk}/CN-NTVĐ",
        cert_issuer="Trường Chính trị thành phố Hà Nội",
        cert_date=d["opened"] - timedelta(days=30),
        verified_relatives=["self", "parents"],
    )
    for m in introducers[:2]:
        services.add_introducer(
            actor=sec, case=case, kind="member", member=m, months_together=24, letter_date=d["docs"]
        )
    if spec.stage == "dossier":
        _docs(sec, case, ("1-KNĐ", "2-KNĐ"), d["docs"])  # the rest is still missing
        return
    _docs(sec, case, ("CN-NTVĐ", "1-KNĐ", "2-KNĐ", "TTLL", "3-KNĐ", "5-KNĐ"), d["docs"])
    case = services.submit_dossier(actor=sec, case=_refresh(case), on=d["submit"])
    if spec.stage == "cell_review":
        return
    eligible = services.official_members_on(cell, d["vote"])
    agree = 1 if spec.stage == "stopped" else eligible
    services.record_cell_vote(
        actor=sec,
        case=_refresh(case),
        meeting_date=d["vote"],
        votes_for=agree,
        against=eligible - agree,
        abstain=0,
        resolution_number="NQ/CB",
    )
    if spec.stage == "stopped":
        return
    _docs(sec, _refresh(case), ("6-KNĐ",), d["vote"])
    if spec.stage == "committee_review":
        return
    size = _committee_votes(cell, d["committee"]) or COMMITTEE_SIZE
    services.record_committee_vote(
        actor=staff,
        case=_refresh(case),
        meeting_date=d["committee"],
        eligible=COMMITTEE_SIZE,  # used only if the registry holds no committee
        votes_for=size - 1,
        against=0,
        abstain=1,
    )
    _docs(staff, _refresh(case), ("8-KNĐ",), d["committee"])
    services.decide_admission(
        actor=staff,
        case=_refresh(case),
        decision_date=d["decision"],
        decision_number=f"{200 + cand.pk}-QĐ/ĐU",
        received_date=d["received"],
    )
    _docs(staff, _refresh(case), ("9-KNĐ",), d["decision"])
    if spec.stage == "awaiting_ceremony":
        return
    services.hold_ceremony(actor=sec, case=_refresh(case), ceremony_date=d["ceremony"])
    if introducers:
        services.assign_helper(actor=sec, case=_refresh(case), helper=introducers[0])
    services.add_probation_note(
        actor=sec,
        case=_refresh(case),
        day=d["ceremony"] + timedelta(days=90),
        text="Hoàn thành tốt nhiệm vụ; tích cực học tập Điều lệ Đảng.",
    )
    if spec.stage == "probation":
        return
    vote = add_workdays(d["end"], 5)[0]
    _docs(sec, _refresh(case), ("CN-ĐVM", "10-KNĐ", "11-KNĐ", "12-KNĐ"), d["end"])
    eligible = services.official_members_on(cell, vote)
    services.record_cell_vote(
        actor=sec,
        case=_refresh(case),
        meeting_date=vote,
        votes_for=eligible,
        against=0,
        abstain=0,
        proposal="recognise",
    )
    _docs(sec, _refresh(case), ("13-KNĐ",), vote)
    committee = add_workdays(vote, 7)[0]
    size = _committee_votes(cell, committee) or COMMITTEE_SIZE
    services.record_committee_vote(
        actor=staff,
        case=_refresh(case),
        meeting_date=committee,
        eligible=COMMITTEE_SIZE,  # used only if the registry holds no committee
        votes_for=size,
        against=0,
        abstain=0,
    )
    _docs(staff, _refresh(case), ("15-KNĐ",), committee)
    services.recognise(
        actor=staff, case=_refresh(case), decision_date=add_workdays(committee, 10)[0]
    )
