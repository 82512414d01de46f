"""The review-cycle demo data (seed_evaluations) on top of the member demo."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from cosodang.evaluations import demo
from cosodang.evaluations.models import Assessment, Period, Rating, SelfReview
from cosodang.members import demo as member_demo

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 5)


@pytest.fixture
def seeded(db) -> demo.SeedReport:  # type: ignore[no-untyped-def]
    member_demo.seed(members=200)
    return demo.seed_evaluations(today=TODAY)


def test_the_demo_opens_this_year_period_for_the_demo_province(seeded: demo.SeedReport) -> None:
    assert seeded.period is not None
    assert (seeded.period.org.code, seeded.period.year, seeded.period.state) == ("HN", 2026, "open")


def test_the_demo_self_review_window_is_open_on_its_day(seeded: demo.SeedReport) -> None:
    assert seeded.period is not None
    assert seeded.period.opens_on <= TODAY <= seeded.period.self_review_due


def test_the_demo_member_is_left_their_own_self_review_to_fill(seeded: demo.SeedReport) -> None:
    from cosodang.accounts.models import User

    member_id = User.objects.get(username="dangvien.hanoi").member_id
    assert not SelfReview.objects.filter(period=seeded.period, member_id=member_id).exists()


def test_the_demo_has_self_reviews_assessments_and_last_year_results(
    seeded: demo.SeedReport,
) -> None:
    assert SelfReview.objects.filter(period=seeded.period, state="submitted").exists()
    assert Assessment.objects.filter(source="residence", exempt=True).exists()
    assert Rating.objects.filter(period=seeded.previous, state="locked").count() == seeded.ratings


def test_the_command_skips_a_province_that_already_has_periods(seeded: demo.SeedReport) -> None:
    out = StringIO()
    call_command("seed_evaluations", stdout=out)
    assert "bỏ qua" in out.getvalue() and Period.objects.count() == 2
