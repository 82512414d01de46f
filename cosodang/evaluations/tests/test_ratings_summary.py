"""The calibration summary (CalibrationGroup) equals a fresh aggregate of the ratings after
every kind of write: the bulk passes, a cell's proposal, an override, an upheld objection,
publication, close and reopen. The fresh aggregate here is computed independently of the
product's code (statistics.quantiles, plain counts)."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cosodang.core.testing import World, make_member, make_org
from cosodang.evaluations.models import CalibrationGroup, Period, Rating
from cosodang.evaluations.selectors import ratings as sel
from cosodang.evaluations.services import calibration as calibration_services
from cosodang.evaluations.services import cycle, decisions, rating_inputs
from cosodang.evaluations.services import ratings as svc
from cosodang.evaluations.tests.builders_ratings import make_rating, make_review
from cosodang.evaluations.tests.cycle_support import make_period, shift
from cosodang.orgs.models import PartyOrg
from cosodang.orgs.rules import OrgType

pytestmark = pytest.mark.django_db

LEVELS = ("HTXSNV", "HTTNV", "HTNV", "KHTNV")


def fresh(period: Period, org: PartyOrg) -> dict[str, dict[str, Any]]:
    """The page's numbers of every group of the scope, straight from the rating rows."""
    groups: dict[str, list[Rating]] = {}
    for r in Rating.objects.filter(period=period, org_path__startswith=org.path):
        groups.setdefault(r.position_group, []).append(r)
    out = {}
    for group, rows in groups.items():
        scores = sorted(r.score for r in rows if r.score is not None)
        values: dict[str, Any] = {"rated": len(rows), "scored": len(scores)}
        if len(scores) >= 2:
            q1, median, q3 = statistics.quantiles(scores, n=4, method="inclusive")
        else:
            q1 = median = q3 = scores[0] if scores else None
        values.update(
            score_sum=sum(scores, Decimal(0)),
            score_min=scores[0] if scores else None,
            score_q1=q1,
            score_median=median,
            score_q3=q3,
            score_max=scores[-1] if scores else None,
        )
        for lv in LEVELS:
            values[f"proposed_{lv.lower()}"] = sum(1 for r in rows if r.proposed_level == lv)
            values[f"level_{lv.lower()}"] = sum(
                1 for r in rows if (r.level or r.proposed_level) == lv
            )
        out[group] = values
    return out


def summary(period: Period, org: PartyOrg) -> dict[str, dict[str, Any]]:
    """What the calibration page reads for the organisation (recounting stale rows)."""
    return {
        r["position_group"]: {k: r[k] for k in calibration_services.SUMMARY_FIELDS}
        for r in sel._summary_rows(period, org)
    }


@pytest.fixture
def scene(world: World) -> dict[str, Any]:
    """Province A: two cells of the grassroots branch, one cell right under the province."""
    period = make_period(world)
    cell2 = make_org("Chi bộ Đội 2", OrgType.CELL, world.branch_a)
    cell3 = make_org("Chi bộ Văn phòng", OrgType.CELL, world.province_a)
    plain = world.plain_member_a.member
    scores = ["80", "82.5", "84", "85", "86.25", "88", "81", "83", "40", "95", "97", "60"]
    for i, score in enumerate(scores):
        cell = (world.cell_a, cell2, cell3)[i % 3]
        make_rating(
            period,
            plain if i == 0 else make_member(cell),
            score=Decimal(score),
            proposed_level="HTXSNV" if Decimal(score) > 90 else "HTTNV",
            tasks_above_requirement=5,
            position_group="ta|chi_huy_truong" if i % 4 == 0 else "uy|can_bo",
        )
    make_rating(period, make_member(cell3), score=None, proposed_level="")
    decisions.recompute_and_decide(actor=world.staff_a, period=period, org=world.province_a)
    return {"period": period, "cell2": cell2, "cell3": cell3}


def _orgs(world: World, scene: dict[str, Any]) -> list[PartyOrg]:
    return [world.province_a, world.branch_a, world.cell_a, scene["cell2"], scene["cell3"]]


def _recompute_and_decide(world: World, scene: dict[str, Any]) -> None:
    decisions.recompute_and_decide(
        actor=world.staff_a, period=scene["period"], org=world.province_a
    )


def _decide_branch(world: World, scene: dict[str, Any]) -> None:
    Rating.objects.filter(period=scene["period"]).update(level="", state="proposed", note="")
    decisions.decide(actor=world.staff_a, period=scene["period"], org=world.branch_a)


def _recompute_proposals(world: World, scene: dict[str, Any]) -> None:
    Rating.objects.filter(period=scene["period"], score__gt=90).update(score=Decimal("91.5"))
    decisions.recompute_proposals(actor=world.staff_a, period=scene["period"], org=world.branch_a)


def _propose_cell(world: World, scene: dict[str, Any]) -> None:
    period = scene["period"]
    Rating.objects.filter(period=period, org=world.cell_a).update(
        level="", state="proposed", note=""
    )
    for member in world.cell_a.members.all():
        make_review(period, member, self_score=Decimal("77.25"))
    svc.propose_cell(
        actor=world.secretary_a,
        period=period,
        org=world.cell_a,
        adjustments={
            world.member_a.pk: rating_inputs.Adjustment({"score": "99"}, "Chi ủy chấm lại"),
        },
    )


def _decide_one(world: World, scene: dict[str, Any]) -> None:
    rating = Rating.objects.filter(period=scene["period"], level="HTTNV").order_by("id").first()
    decisions.decide_one(actor=world.staff_a, rating=rating, level="HTNV", reason="Cấp ủy xem lại")


def _publish(world: World, scene: dict[str, Any]) -> None:
    cycle.publish_results(
        actor=world.staff_a, period=scene["period"], today=shift(scene["period"], 0)
    )


def _objection_upheld(world: World, scene: dict[str, Any]) -> None:
    _publish(world, scene)
    period = scene["period"]
    rating = Rating.objects.get(period=period, member=world.plain_member_a.member)
    objection = cycle.lodge_objection(
        actor=world.plain_member_a, rating=rating, text="Lý do", today=shift(period, 1)
    )
    cycle.answer_objection(
        actor=world.staff_a,
        objection=objection,
        upheld=True,
        answer="Đủ minh chứng",
        new_level="KHTNV",
    )


def _close_and_reopen(world: World, scene: dict[str, Any]) -> None:
    _publish(world, scene)
    period = scene["period"]
    period.refresh_from_db()
    cycle.close_period(
        actor=world.staff_a, period=period, today=period.closes_on + timedelta(days=1)
    )
    cycle.reopen_period(actor=world.admin, period=period, reason="Cấp trên xem lại")


WRITES: list[tuple[str, Callable[[World, dict[str, Any]], None]]] = [
    ("recompute_and_decide", _recompute_and_decide),
    ("decide at the branch", _decide_branch),
    ("recompute_proposals", _recompute_proposals),
    ("a cell's proposal", _propose_cell),
    ("an override", _decide_one),
    ("an upheld objection", _objection_upheld),
    ("publication", _publish),
    ("close and reopen", _close_and_reopen),
]


@pytest.mark.parametrize(("name", "write"), WRITES, ids=[n for n, _ in WRITES])
def test_after_each_kind_of_write_the_summary_equals_a_fresh_aggregate(
    world: World, scene: dict[str, Any], name: str, write: Any
) -> None:
    write(world, scene)
    for org in _orgs(world, scene):
        assert summary(scene["period"], org) == fresh(scene["period"], org), (name, org.name)


def test_the_bulk_pass_writes_rows_for_the_committees_and_none_for_cells(
    world: World, scene: dict[str, Any]
) -> None:
    paths = set(
        CalibrationGroup.objects.filter(period=scene["period"]).values_list("org_path", flat=True)
    )
    assert paths == {world.province_a.path, world.branch_a.path}


def test_a_summary_row_holds_exact_quartiles(world: World, scene: dict[str, Any]) -> None:
    row = CalibrationGroup.objects.get(
        period=scene["period"], org=world.province_a, position_group="uy|can_bo"
    )
    scores = sorted(
        Rating.objects.filter(period=scene["period"], position_group="uy|can_bo")
        .exclude(score=None)
        .values_list("score", flat=True)
    )
    assert row.score_q1 == statistics.quantiles(scores, n=4, method="inclusive")[0]


def test_an_override_moves_one_count_without_marking_anything_stale(
    world: World, scene: dict[str, Any]
) -> None:
    _decide_one(world, scene)
    assert not CalibrationGroup.objects.filter(period=scene["period"], stale=True).exists()


def test_a_cells_proposal_marks_its_ancestors_groups_stale_until_read(
    world: World, scene: dict[str, Any]
) -> None:
    _propose_cell(world, scene)
    stale = CalibrationGroup.objects.filter(period=scene["period"], stale=True)
    assert set(stale.values_list("org_path", flat=True)) == {
        world.province_a.path,
        world.branch_a.path,
    }
    summary(scene["period"], world.branch_a)
    assert not stale.filter(org=world.branch_a).exists()


def test_a_pass_below_marks_the_rows_above_it_stale(world: World, scene: dict[str, Any]) -> None:
    _decide_branch(world, scene)
    rows = CalibrationGroup.objects.filter(period=scene["period"])
    assert rows.filter(org=world.province_a, stale=True).exists()
    assert not rows.filter(org=world.branch_a, stale=True).exists()


def test_a_group_left_empty_by_a_proposal_loses_its_row(
    world: World, scene: dict[str, Any]
) -> None:
    period = scene["period"]
    Rating.objects.filter(period=period).exclude(org=world.cell_a).delete()
    Rating.objects.filter(period=period).update(
        position_group="uy|can_bo", level="", state="proposed"
    )
    calibration_services.mark_calibration_stale(
        period, world.cell_a.path, ["ta|chi_huy_truong", "uy|can_bo"]
    )
    assert set(summary(period, world.branch_a)) == {"uy|can_bo"}
    assert not CalibrationGroup.objects.filter(
        org=world.branch_a, position_group="ta|chi_huy_truong"
    ).exists()


def test_the_calibration_page_reads_the_summary_not_the_ratings(
    world: World, scene: dict[str, Any], client: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(world.staff_a)
    url = reverse("evaluations:calibration", args=[world.province_a.pk])
    with CaptureQueriesContext(connection) as ctx, django_assert_max_num_queries(12):
        response = client.get(url, {"ky": scene["period"].pk})
    grouped = [q["sql"] for q in ctx.captured_queries if "GROUP BY" in q["sql"]]
    assert grouped == []
    groups = {g.code: g for g in response.context["data"].groups}
    expected = fresh(scene["period"], world.province_a)
    assert {code: g.dist.count for code, g in groups.items() if g.dist} == {
        code: v["scored"] for code, v in expected.items() if v["scored"]
    }


def test_refresh_calibration_recounts_after_a_write_that_bypassed_the_services(
    world: World, scene: dict[str, Any]
) -> None:
    from io import StringIO

    from django.core.management import call_command

    period = scene["period"]
    # A repair in SQL: a score changed without the services knowing.
    Rating.objects.filter(period=period, score=Decimal("40")).update(score=Decimal("75"))
    assert summary(period, world.province_a) != fresh(period, world.province_a)
    out = StringIO()
    call_command("refresh_calibration", "--period", str(period.pk), stdout=out)
    assert "cần tính lại" in out.getvalue()
    assert summary(period, world.province_a) == fresh(period, world.province_a)


def test_refresh_calibration_names_an_unknown_period(db: None) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Không có kỳ đánh giá mã 999999"):
        call_command("refresh_calibration", "--period", "999999")
