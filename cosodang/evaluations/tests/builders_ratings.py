"""Builders for the ratings tests: periods, self-reviews, assessments, ratings written directly.

They write models without services (no audit), so the ratings tests do not depend on the cycle
area's services; the services under test are the ratings ones.
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Any

from cosodang.evaluations import packs
from cosodang.evaluations.models import (
    Assessment,
    OrgRating,
    Period,
    SelfReview,
    StoredPack,
)
from cosodang.evaluations.models import Rating as RatingModel
from cosodang.members.models import Member, Position
from cosodang.orgs.models import PartyOrg

_seq = itertools.count(1)


def stored_pack(code: str = "QD366") -> StoredPack:
    """Return the stored built-in pack (loaded after migrate), creating it if absent."""
    found = StoredPack.objects.filter(code=code).first()
    if found is not None:
        return found
    pack = next(p for p in packs.load_all() if p.code == code)
    return StoredPack.objects.create(
        code=pack.code,
        title=pack.title,
        effective_from=pack.effective_from,
        effective_to=pack.effective_to,
        data=packs.to_dict(pack),
        builtin=True,
        source_file=f"{code.lower()}.toml",
        owner_path="",
    )


def make_period(org: PartyOrg, *, year: int = 2025, state: str = "open", **fields: Any) -> Period:
    """Create a yearly period of an organisation subtree (QĐ 366 for 2025)."""
    data: dict[str, Any] = {
        "kind": "year",
        "year": year,
        "start": date(year, 1, 1),
        "end": date(year, 12, 31),
        "pack": stored_pack("QD366" if year >= 2025 else "QD124"),
        "opens_on": date(year, 11, 1),
        "self_review_due": date(year, 11, 20),
        "cell_meeting_by": date(year, 11, 30),
        "decision_by": date(year, 12, 10),
        "publish_from": date(year, 12, 11),
        "publish_until": date(year, 12, 25),
        "closes_on": date(year, 12, 31),
        "state": state,
    }
    data.update(fields)
    return Period.objects.create(org=org, org_path=org.path, **data)


def make_review(period: Period, member: Member, **fields: Any) -> SelfReview:
    """Create a submitted self-review scoring 85 with 10 tasks all on time, 2 above."""
    data: dict[str, Any] = {
        "form": "2A",
        "state": "submitted",
        "self_score": Decimal("85"),
        "tasks_total": 10,
        "tasks_on_time": 10,
        "tasks_above_requirement": 2,
        "tasks_late": 0,
        "proposed_level": "HTTNV",
    }
    data.update(fields)
    return SelfReview.objects.create(period=period, member=member, org_path=member.org_path, **data)


def make_assessment(
    period: Period, member: Member, source: str, author: Any, **fields: Any
) -> Assessment:
    """Create one source's assessment of a member."""
    return Assessment.objects.create(
        period=period,
        member=member,
        org_path=member.org_path,
        source=source,
        author=author,
        author_name=str(author),
        **fields,
    )


def make_rating(period: Period, member: Member, **fields: Any) -> RatingModel:
    """Create a proposed rating with consolidated inputs (score 85, 10 tasks on time)."""
    data: dict[str, Any] = {
        "org": member.org,
        "org_path": member.org_path,
        "subject_kind": "member",
        "position_group": "uy|can_bo",
        "score": Decimal("85"),
        "tasks_total": 10,
        "tasks_on_time": 10,
        "tasks_above_requirement": 2,
        "proposed_level": "HTTNV",
        "state": "proposed",
    }
    data.update(fields)
    return RatingModel.objects.create(period=period, member=member, **data)


def make_org_rating(period: Period, org: PartyOrg, **fields: Any) -> OrgRating:
    """Create a collective's rating (proposed HTTNV unless told otherwise)."""
    data: dict[str, Any] = {"proposed_level": "HTTNV", "tasks_total": 10, "tasks_on_time": 10}
    data.update(fields)
    return OrgRating.objects.create(period=period, org=org, org_path=org.path, **data)


def make_post(
    member: Member, *, party_post: str = "", title: str = "", org: Any = None
) -> Position:
    """Give a member a current post (a Party post at an org, or a police title)."""
    return Position.objects.create(
        member=member,
        kind="party" if party_post else "police",
        party_post=party_post,
        title=title,
        org=org,
        start=date(2020, 1, 1),
    )
