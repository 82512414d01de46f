"""Quarterly results feed the year's proposal (HD 43): the yearly proposal page shows each
member's Q1–Q3 levels and scores, and the proposal keeps them as an informational reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cosodang.core.testing import World, make_member
from cosodang.evaluations.models import Period, Rating
from cosodang.evaluations.services import rating_inputs
from cosodang.evaluations.services import ratings as svc
from cosodang.evaluations.tests.builders_ratings import make_period, make_rating, make_review

pytestmark = pytest.mark.django_db


def quarter(world: World, q: int, year: int = 2025) -> Period:
    months = {1: (1, 3, 31), 2: (4, 6, 30), 3: (7, 9, 30)}[q]
    return make_period(
        world.province_a,
        year=year,
        kind="quarter",
        quarter=q,
        start=date(year, months[0], 1),
        end=date(year, months[1], months[2]),
        state="locked",
    )


def with_quarters(world: World) -> Period:
    """A yearly 2025 period; member_a rated Q1 HTTNV 85 (decided), Q2 HTXSNV 92.5 (decided),
    Q3 proposed HTNV 60 only."""
    make_rating(quarter(world, 1), world.member_a, level="HTTNV", score=Decimal("85"))
    make_rating(
        quarter(world, 2),
        world.member_a,
        level="HTXSNV",
        proposed_level="HTXSNV",
        score=Decimal("92.5"),
    )
    make_rating(quarter(world, 3), world.member_a, proposed_level="HTNV", score=Decimal("60"))
    year = make_period(world.province_a)
    make_review(year, world.member_a)
    return year


def propose(world: World, period: Period) -> Rating:
    svc.propose_cell(actor=world.secretary_a, period=period, org=world.cell_a)
    return Rating.objects.get(period=period, member=world.member_a)


def page(world: World, period: Period) -> str:
    client = Client()
    client.force_login(world.secretary_a)
    url = reverse("evaluations:propose", args=[world.cell_a.pk]) + f"?ky={period.pk}"
    return client.get(url).content.decode()


def quarter_reason(rating: Rating) -> dict:  # type: ignore[type-arg]
    reasons = rating_inputs.proposal_reasons(rating)
    return next(r for r in reasons if r["rule"] == rating_inputs.QUARTERS_RULE)


def test_the_yearly_proposal_page_shows_each_quarters_level_and_score(world: World) -> None:
    html = page(world, with_quarters(world))
    assert "Q1 HTTNV (85)" in html and "Q2 HTXSNV (92.5)" in html


def test_the_yearly_proposal_page_marks_a_quarter_only_proposed(world: World) -> None:
    html = page(world, with_quarters(world))
    assert 'Q3 HTNV (60) <span class="muted">đề xuất</span>' in html


def test_a_quarterly_proposal_page_has_no_quarters_column(world: World) -> None:
    with_quarters(world)
    assert "Các quý trong năm" not in page(world, Period.objects.get(kind="quarter", quarter=1))


def test_the_cell_rows_read_the_quarters_of_the_whole_cell_in_one_query(world: World) -> None:
    year = with_quarters(world)
    with CaptureQueriesContext(connection) as few:
        svc.cell_rows(year, world.cell_a)
    for i in range(8):
        make_rating(Period.objects.get(quarter=1), make_member(world.cell_a, f"Đảng viên {i}"))
    with CaptureQueriesContext(connection) as many:
        rows = svc.cell_rows(year, world.cell_a)
    assert (len(many), sum(len(r.quarters) for r in rows)) == (len(few), 11)


def test_a_quarter_of_another_year_is_not_shown(world: World) -> None:
    year = with_quarters(world)
    make_rating(quarter(world, 1, 2024), world.member_a, level="KHTNV")
    row = next(r for r in svc.cell_rows(year, world.cell_a) if r.member_id == world.member_a.pk)
    assert [q.quarter for q in row.quarters] == [1, 2, 3]


def test_the_proposal_records_the_quarters_among_its_reasons(world: World) -> None:
    rating = propose(world, with_quarters(world))
    detail = quarter_reason(rating)["detail"]
    assert detail == "Kết quả các quý: Q1 HTTNV (85), Q2 HTXSNV (92.5), Q3 HTNV (60) (đề xuất)"


def test_the_quarters_reason_is_informational(world: World) -> None:
    rating = propose(world, with_quarters(world))
    assert quarter_reason(rating)["passed"] is None


def test_the_quarters_do_not_change_the_level_the_engine_computes(world: World) -> None:
    year = make_period(world.province_a)
    make_review(year, world.member_a)
    plain = propose(world, year).proposed_level
    for q in (1, 2, 3):
        make_rating(quarter(world, q), world.member_a, level="KHTNV", proposed_level="KHTNV")
    assert propose(world, year).proposed_level == plain


def test_a_member_without_quarter_results_has_no_quarters_reason(world: World) -> None:
    year = make_period(world.province_a)
    make_review(year, world.member_a)
    rating = propose(world, year)
    assert all(
        r["rule"] != rating_inputs.QUARTERS_RULE for r in rating_inputs.proposal_reasons(rating)
    )


def test_the_committees_decision_page_shows_the_quarters_reason(world: World) -> None:
    rating = propose(world, with_quarters(world))
    client = Client()
    client.force_login(world.staff_a)
    html = client.get(reverse("evaluations:decide_one", args=[rating.pk])).content.decode()
    assert "• Kết quả các quý: Q1 HTTNV (85)" in html
