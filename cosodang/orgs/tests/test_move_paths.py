"""Moving an organisation moves every copy of its path: rows follow it to the new superior.

Apps keep their organisation's path on their rows for the access scope (`scope_path`); after
a move those copies must equal the organisation's new path, or the old superior's staff would
go on seeing the rows and the new one's would not. The audit trail is the one exception: an
event keeps the path it was written with (its hash covers it).
"""

from __future__ import annotations

from datetime import date

import pytest
from django.http import Http404

from cosodang.admissions import selectors as admission_selectors
from cosodang.admissions.tests.builders import dossier_case
from cosodang.core.models import AuditEvent
from cosodang.core.testing import World
from cosodang.evaluations.models import CalibrationGroup, Rating, SelfReview
from cosodang.evaluations.tests.builders_ratings import make_period, make_rating, make_review
from cosodang.members.models import Member, OrgMemberCount
from cosodang.orgs import services
from cosodang.orgs.models import PartyOrg

pytestmark = pytest.mark.django_db

DAY = date(2026, 1, 15)


def _move_branch(world: World) -> PartyOrg:
    services.move_org(
        actor=world.admin, org=world.branch_a, new_parent=world.province_b, effective=DAY
    )
    return PartyOrg.objects.get(pk=world.cell_a.pk)


def test_every_scoped_model_with_its_own_path_column_follows_moves_except_the_audit_trail() -> None:
    copies = {f"{model._meta.label}.{field}" for model, field in services.path_copies()}
    assert {
        "members.Member.org_path",
        "members.OrgMemberCount.org_path",
        "members.ImportBatch.org_path",
        "evaluations.Period.org_path",
        "evaluations.SelfReview.org_path",
        "evaluations.Assessment.org_path",
        "evaluations.Rating.org_path",
        "evaluations.OrgRating.org_path",
        "evaluations.Objection.org_path",
        "evaluations.PeriodEvent.org_path",
        "evaluations.CalibrationGroup.org_path",
        "evaluations.StoredPack.owner_path",
        "admissions.Candidate.org_path",
        "admissions.AdmissionCase.org_path",
        "admissions.Notification.org_path",
    } <= copies
    assert "core.AuditEvent.org_path" not in copies
    assert not any(label.startswith("orgs.PartyOrg") for label in copies)


def test_an_admission_case_follows_its_cell_to_the_new_superior(world: World) -> None:
    case = dossier_case(world)
    cell = _move_branch(world)
    case.refresh_from_db()
    assert case.org_path == cell.path and case.candidate.org_path == cell.path
    assert admission_selectors.get_case(world.staff_b, case.pk).pk == case.pk
    with pytest.raises(Http404):
        admission_selectors.get_case(world.staff_a, case.pk)


def test_ratings_and_self_reviews_follow_and_the_summaries_above_are_marked_stale(
    world: World,
) -> None:
    period = make_period(world.root)
    make_review(period, world.member_a)
    make_rating(period, world.member_a)
    above = [world.root, world.province_a, world.province_b]
    for org in above:
        CalibrationGroup.objects.create(
            period=period, org=org, org_path=org.path, position_group="uy|can_bo"
        )
    cell = _move_branch(world)
    assert set(Rating.objects.values_list("org_path", flat=True)) == {cell.path}
    assert set(SelfReview.objects.values_list("org_path", flat=True)) == {cell.path}
    stale = dict(CalibrationGroup.objects.values_list("org_id", "stale"))
    assert stale == {world.root.pk: True, world.province_a.pk: True, world.province_b.pk: True}


def test_nothing_outside_the_moved_subtree_changes(world: World) -> None:
    before = dict(Member.objects.values_list("pk", "org_path"))
    counters = dict(OrgMemberCount.objects.values_list("org_id", "org_path"))
    cell = _move_branch(world)
    after = dict(Member.objects.values_list("pk", "org_path"))
    moved = {pk for pk, path in before.items() if path.startswith(world.branch_a.path)}
    assert moved and all(after[pk] == cell.path for pk in moved)
    assert {pk: p for pk, p in after.items() if pk not in moved} == {
        pk: p for pk, p in before.items() if pk not in moved
    }
    assert OrgMemberCount.objects.get(org_id=world.cell_a.pk).org_path == cell.path
    assert OrgMemberCount.objects.get(org_id=world.cell_b.pk).org_path == counters[world.cell_b.pk]


def test_audit_events_keep_the_path_they_were_written_with(world: World) -> None:
    dossier_case(world)
    old = world.cell_a.path
    written = AuditEvent.objects.filter(org_path=old).count()
    _move_branch(world)
    assert written and AuditEvent.objects.filter(org_path=old).count() == written
