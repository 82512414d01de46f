"""bench/evaluations.py runs end to end at a tiny size (PostgreSQL only: it seeds with COPY).

The computation runs in this process here (the bench runs it as a child process to measure its
memory); the calibration page is timed twice instead of twenty times.
"""

from __future__ import annotations

import pytest
from django.db import connection

from bench import evaluations as bench
from cosodang.core.testing import World, make_member
from cosodang.evaluations.models import OrgRating, Rating
from cosodang.evaluations.tests.builders_ratings import make_post

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the bench seeds with COPY (PostgreSQL)"
    ),
]


@pytest.fixture
def seeded(world: World):  # type: ignore[no-untyped-def]
    for i in range(30):
        make_member(world.cell_a, rank="dai_uy" if i % 2 else "thieu_ta")
    make_post(world.secretary_member, party_post="bi_thu", org=world.cell_a)
    period, _ = bench.seed()
    return period


def test_the_seed_gives_every_member_inputs_and_every_cell_a_collective(
    world: World, seeded
) -> None:  # type: ignore[no-untyped-def]
    from cosodang.members.models import Member

    assert Rating.objects.filter(period=seeded).count() == Member.objects.count()
    assert OrgRating.objects.filter(period=seeded, org=world.cell_a).exists()
    head = Rating.objects.get(period=seeded, member=world.secretary_member)
    assert (head.is_head, head.headed_org_id) == (True, world.cell_a.pk)


def test_the_computation_proposes_and_decides_every_member(world: World, seeded) -> None:  # type: ignore[no-untyped-def]
    result = bench.compute()
    assert result["proposed"] == Rating.objects.filter(period=seeded).count()
    assert not Rating.objects.filter(period=seeded, level="").exists()
    assert result["decision"]["waiting_heads"] == 0


def test_reset_puts_every_rating_back_to_proposed(world: World, seeded) -> None:  # type: ignore[no-untyped-def]
    bench.compute()
    bench.reset(seeded)
    assert not Rating.objects.filter(period=seeded).exclude(state="proposed").exists()


def test_the_calibration_row_times_the_page_and_its_sql_floor(world: World, seeded) -> None:  # type: ignore[no-untyped-def]
    bench.compute()
    row, after = bench.calibration_rows(seeded, 2, staff=world.staff_a, province=world.province_a)
    assert row.status in (bench.PASS, bench.FAIL)
    assert after.key == "calibration_after_proposal" and after.values["runs"] >= 1
    assert after.values["p95_ms"] > 0
    assert (
        row.values["people"]
        == Rating.objects.filter(period=seeded, org_path__startswith=world.province_a.path).count()
    )
    assert row.values["p95_ms"] > 0
