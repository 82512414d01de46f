"""One peer comment per author, subject and period: checked by services.cycle.add_assessment
(the Vietnamese message) and held by a partial unique constraint on Assessment (migration
0008), so that a concurrent writer's duplicate gets the same message and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from cosodang.core.models import AuditEvent
from cosodang.core.testing import World
from cosodang.evaluations.models import Assessment, Period
from cosodang.evaluations.services import cycle
from cosodang.evaluations.tests.cycle_support import make_period

pytestmark = pytest.mark.django_db


def direct(period: Period, member: Any, author: Any, source: str = "peer") -> Assessment:
    """Write an assessment row straight through the ORM (no service, no check)."""
    return Assessment.objects.create(
        period=period,
        member=member,
        org_path=member.org_path,
        source=source,
        author=author,
        author_name="Người viết",
        text="Góp ý",
    )


def comment(world: World, period: Period, member: Any, text: str = "Cần chủ động hơn") -> Any:
    return cycle.add_assessment(
        actor=world.plain_member_a, period=period, member=member, source="peer", text=text
    )


def blind_first_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the service's first duplicate check miss, as when a concurrent writer's row lands
    between the check and the insert; later checks (the race handler's) look for real."""
    real = cycle._duplicate_message
    calls: list[object] = []

    def check(*args: Any) -> str | None:
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(cycle, "_duplicate_message", check)


# --- the constraint --------------------------------------------------------------------------


def test_the_database_refuses_a_second_peer_comment_by_the_same_author(world: World) -> None:
    period = make_period(world, peer_review=True)
    direct(period, world.member_a, world.plain_member_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        direct(period, world.member_a, world.plain_member_a)
    assert Assessment.objects.filter(source="peer").count() == 1


def test_the_constraint_is_the_partial_unique_one_on_period_member_and_author() -> None:
    [constraint] = [
        c
        for c in Assessment._meta.constraints
        if c.name == "evaluations_assessment_one_peer_comment"
    ]
    assert constraint.fields == ("period", "member", "author")  # type: ignore[attr-defined]
    assert str(constraint.condition) == "(AND: ('source', 'peer'))"  # type: ignore[attr-defined]
    # The model's message is the service's, word for word.
    assert constraint.violation_error_message == cycle.PEER_TWICE


def test_other_authors_other_subjects_and_other_periods_are_allowed(world: World) -> None:
    period = make_period(world, peer_review=True)
    other_period = make_period(world, kind="quarter", quarter=1, peer_review=True)
    direct(period, world.member_a, world.plain_member_a)
    direct(period, world.member_a, world.secretary_a)
    direct(period, world.secretary_member, world.plain_member_a)
    direct(other_period, world.member_a, world.plain_member_a)
    assert Assessment.objects.filter(source="peer").count() == 4


def test_the_constraint_leaves_the_other_sources_alone(world: World) -> None:
    # The same person writes the cell committee's assessment and the commander's of a member.
    period = make_period(world, peer_review=True)
    direct(period, world.member_a, world.secretary_a, source="cell_committee")
    direct(period, world.member_a, world.secretary_a, source="commander")
    direct(period, world.member_a, world.secretary_a, source="peer")
    assert Assessment.objects.filter(member=world.member_a).count() == 3


# --- the service -----------------------------------------------------------------------------


def test_the_service_refuses_a_second_comment_with_the_vietnamese_message(world: World) -> None:
    period = make_period(world, peer_review=True)
    comment(world, period, world.member_a)
    with pytest.raises(ValidationError) as refused:
        comment(world, period, world.member_a, "Lần hai")
    assert refused.value.message_dict == {"source": [cycle.PEER_TWICE]}
    assert cycle.PEER_TWICE == "Bạn đã góp ý cho đồng chí này trong kỳ này (mỗi kỳ một lần)."


def test_a_race_caught_by_the_constraint_gets_the_same_message_and_writes_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    period = make_period(world, peer_review=True)
    first = comment(world, period, world.member_a, "Góp ý của phiên kia")
    events = AuditEvent.objects.count()
    blind_first_check(monkeypatch)
    with pytest.raises(ValidationError) as refused:
        comment(world, period, world.member_a, "Góp ý cùng lúc")
    # The handler re-read the rows after the failed insert: its savepoint kept the transaction
    # usable (PostgreSQL aborts a transaction on an error outside a savepoint).
    assert refused.value.message_dict == {"source": [cycle.PEER_TWICE]}
    rows = list(Assessment.objects.filter(source="peer").values_list("pk", "text"))
    assert rows == [(first.pk, "Góp ý của phiên kia")]
    assert AuditEvent.objects.count() == events


def test_after_a_refused_race_the_member_comments_on_another_colleague(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A refused race leaves the author free to go on with the next colleague.
    period = make_period(world, peer_review=True)
    comment(world, period, world.member_a)
    blind_first_check(monkeypatch)
    with pytest.raises(ValidationError):
        comment(world, period, world.member_a, "Lần hai")
    monkeypatch.undo()
    comment(world, period, world.secretary_member)
    assert Assessment.objects.filter(source="peer").count() == 2


def test_a_race_on_another_source_gets_that_source_message(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    period = make_period(world)
    cycle.add_assessment(
        actor=world.secretary_a,
        period=period,
        member=world.member_a,
        source="cell_committee",
        text="Hoàn thành tốt",
    )
    blind_first_check(monkeypatch)
    with pytest.raises(ValidationError) as refused:
        cycle.add_assessment(
            actor=world.staff_a,
            period=period,
            member=world.member_a,
            source="cell_committee",
            text="Cùng lúc",
        )
    assert refused.value.message_dict == {
        "source": ["Đã có chi ủy (chi bộ) nhận xét, đánh giá cho đảng viên này."]
    }
    assert Assessment.objects.filter(member=world.member_a).count() == 1


def test_an_integrity_error_that_is_no_duplicate_is_not_hidden(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    period = make_period(world, peer_review=True)

    def broken_save(self: Assessment, *args: Any, **kwargs: Any) -> None:
        raise IntegrityError("another constraint")

    monkeypatch.setattr(Assessment, "save", broken_save)
    with pytest.raises(IntegrityError):
        comment(world, period, world.member_a)


# --- the page --------------------------------------------------------------------------------


def test_posting_the_peer_form_twice_shows_the_vietnamese_message(world: World) -> None:
    period = make_period(world, peer_review=True)
    c = Client()
    c.force_login(world.plain_member_a)
    url = reverse("evaluations:peer_review", args=[period.pk])
    c.post(url, {"member": world.member_a.pk, "text": "Lần một"})
    page = c.post(url, {"member": world.member_a.pk, "text": "Lần hai"})
    assert page.status_code == 200
    assert cycle.PEER_TWICE in page.content.decode()
    # What was typed the second time is still on the form.
    assert "Lần hai" in page.content.decode()
    assert list(Assessment.objects.values_list("text", flat=True)) == ["Lần một"]
