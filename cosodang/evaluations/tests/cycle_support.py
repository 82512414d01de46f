"""Builders for the review-cycle tests: packs in the database, a period with a plan around
today, ratings in a given state."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from cosodang.core.testing import World
from cosodang.evaluations.models import Period, Rating, StoredPack
from cosodang.members.models import Member
from cosodang.orgs.models import PartyOrg


def ensure_packs() -> None:
    """Load the built-in packs (the post_migrate handler does it; a flushed test DB may not)."""
    if StoredPack.objects.filter(builtin=True).exists():
        return
    from cosodang.evaluations.services.packs import sync_builtin_packs

    sync_builtin_packs()


def plan_around(today: date | None = None, **changes: date) -> dict[str, date]:
    """Return a plan whose self-review window is open today (due in 5 days)."""
    t = today or timezone.localdate()
    plan = {
        "opens_on": t - timedelta(days=10),
        "self_review_due": t + timedelta(days=5),
        "cell_meeting_by": t + timedelta(days=10),
        "decision_by": t + timedelta(days=15),
        "publish_from": t + timedelta(days=16),
        "publish_until": t + timedelta(days=25),
        "closes_on": t + timedelta(days=30),
    }
    plan.update(changes)
    return plan


def make_period(
    world: World,
    *,
    org: PartyOrg | None = None,
    kind: str = "year",
    year: int = 2025,
    quarter: int | None = None,
    state: str = "open",
    peer_review: bool = False,
    anchor: date | None = None,
    **plan: date,
) -> Period:
    """Create a period of province A (by staff_a) and put it in `state` directly."""
    from cosodang.evaluations.services import cycle

    ensure_packs()
    period = cycle.create_period(
        actor=world.staff_a,
        org=org or world.province_a,
        kind=kind,
        year=year,
        quarter=quarter,
        plan=plan_around(anchor, **plan),
        peer_review=peer_review,
    )
    if state != period.state:
        Period.objects.filter(pk=period.pk).update(state=state)
        period.refresh_from_db()
    return period


def make_rating(
    period: Period, member: Member, *, level: str = "HTTNV", state: str = "decided", **fields: Any
) -> Rating:
    """Create a member's rating in a period directly (the ratings area writes them for real)."""
    return Rating.objects.create(
        period=period,
        member=member,
        org=member.org,
        org_path=member.org_path,
        subject_kind=fields.pop("subject_kind", "member"),
        position_group=fields.pop("position_group", "cap-uy|dang-vien"),
        proposed_level=fields.pop("proposed_level", level),
        level=level,
        state=state,
        **fields,
    )


def publication_open(world: World, **kw: Any) -> Period:
    """Return a published period whose publication window started yesterday."""
    anchor = timezone.localdate() - timedelta(days=17)
    return make_period(world, state="published", anchor=anchor, **kw)


def shift(period: Period, days: int) -> date:
    """Return a day relative to the period's publication start."""
    return period.publish_from + timedelta(days=days)
