"""The demo admission cases (seed_admissions) on top of a small seed_demo."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from cosodang.admissions.models import AdmissionCase, Candidate

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_db() -> None:
    call_command("seed_demo", members=300, seed=7, stdout=StringIO())


def test_seed_admissions_fills_every_stage_of_the_board(demo_db) -> None:
    call_command("seed_admissions", stdout=StringIO())
    states = set(AdmissionCase.objects.values_list("state", flat=True))
    assert states == {
        "dossier",
        "cell_review",
        "committee_review",
        "awaiting_ceremony",
        "probation",
        "official",
        "stopped",
    }


def test_seed_admissions_twice_adds_nothing(demo_db) -> None:
    call_command("seed_admissions", stdout=StringIO())
    out = StringIO()
    call_command("seed_admissions", stdout=out)
    assert Candidate.objects.count() == 8 and "bỏ qua" in out.getvalue()


def test_seed_admissions_without_the_demo_refuses(db) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_admissions", stdout=StringIO())


def test_seed_admissions_elects_the_grassroots_committee_the_votes_count(demo_db) -> None:
    from cosodang.admissions.models import Vote

    call_command("seed_admissions", stdout=StringIO())
    committee = Vote.objects.filter(kind__startswith="committee")
    assert committee.exists()
    assert set(committee.values_list("eligible_source", flat=True)) == {"registry"}
