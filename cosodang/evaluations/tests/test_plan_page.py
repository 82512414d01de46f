"""The «Sửa kế hoạch» page: the deciding committee corrects a period's plan dates after the
period was made, while it is not closed (views/plan.py → services.cycle.update_plan)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from cosodang.core.models import AuditEvent
from cosodang.core.testing import World
from cosodang.evaluations import rules_cycle as rc
from cosodang.evaluations.models import Period, PeriodEvent
from cosodang.evaluations.services import cycle
from cosodang.evaluations.tests.cycle_support import make_period

pytestmark = pytest.mark.django_db


def client(user) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(user)
    return c


def plan_url(period: Period) -> str:
    return reverse("evaluations:period_plan", args=[period.pk])


def detail_url(period: Period) -> str:
    return reverse("evaluations:period_detail", args=[period.pk])


def vn(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def plan_post(period: Period, **changes: date | str) -> dict[str, str]:
    """The period's current plan as the form posts it, with some dates changed."""
    data = {name: vn(getattr(period, name)) for name, _ in rc.PLAN_FIELDS}
    data.update({k: vn(v) if isinstance(v, date) else v for k, v in changes.items()})
    return data


def plan_of(period: Period) -> dict[str, date]:
    period.refresh_from_db()
    return {name: getattr(period, name) for name, _ in rc.PLAN_FIELDS}


def close(period: Period) -> Period:
    Period.objects.filter(pk=period.pk).update(state="closed")
    period.refresh_from_db()
    return period


# --- the form --------------------------------------------------------------------------------


def test_the_form_is_prefilled_with_the_current_plan(
    world: World, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    period = make_period(world)
    c = client(world.staff_a)
    with django_assert_max_num_queries(4):
        page = c.get(plan_url(period))
    html = page.content.decode()
    assert page.status_code == 200
    for name, _ in rc.PLAN_FIELDS:
        assert f'name="{name}" value="{vn(getattr(period, name))}"' in html
    assert 'id="save-plan"' in html


def test_saving_the_form_changes_the_plan_and_returns_to_the_period_page(world: World) -> None:
    period = make_period(world)
    later = period.closes_on + timedelta(days=7)
    response = client(world.staff_a).post(plan_url(period), plan_post(period, closes_on=later))
    assert response.status_code == 302 and response.url == detail_url(period)
    assert plan_of(period)["closes_on"] == later
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Đã sửa kế hoạch kỳ đánh giá {period.label}."
    ]


def test_saving_the_plan_is_one_audit_event_and_one_step_of_the_timeline(world: World) -> None:
    period = make_period(world)
    events = AuditEvent.objects.count()
    client(world.staff_a).post(
        plan_url(period), plan_post(period, decision_by=period.decision_by + timedelta(days=1))
    )
    assert AuditEvent.objects.count() == events + 1
    assert AuditEvent.objects.filter(action="evaluations.update_plan").count() == 1
    assert PeriodEvent.objects.filter(period=period, action="update_plan").count() == 1


def test_the_period_page_shows_the_new_dates_and_the_message(world: World) -> None:
    period = make_period(world)
    later = period.closes_on + timedelta(days=7)
    page = client(world.staff_a).post(
        plan_url(period), plan_post(period, closes_on=later), follow=True
    )
    html = page.content.decode()
    assert page.redirect_chain[-1][0] == detail_url(period)
    assert "Đã sửa kế hoạch kỳ đánh giá" in html and vn(later) in html


def test_dates_out_of_order_show_the_vietnamese_message_and_keep_what_was_typed(
    world: World,
) -> None:
    period = make_period(world)
    before = plan_of(period)
    early = period.opens_on - timedelta(days=1)
    later_close = period.closes_on + timedelta(days=3)
    page = client(world.staff_a).post(
        plan_url(period), plan_post(period, self_review_due=early, closes_on=later_close)
    )
    assert page.status_code == 200
    errors = page.context["form"].errors["self_review_due"]
    assert "không được trước ngày mở kiểm điểm" in errors[0]
    html = page.content.decode()
    assert "Chưa lưu" in html
    # Nothing the user typed is lost, and nothing is saved.
    assert f'name="self_review_due" value="{vn(early)}"' in html
    assert f'name="closes_on" value="{vn(later_close)}"' in html
    assert plan_of(period) == before


def test_an_impossible_date_is_refused_in_vietnamese(world: World) -> None:
    period = make_period(world)
    page = client(world.staff_a).post(plan_url(period), plan_post(period, opens_on="31/02/2025"))
    assert page.context["form"].errors["opens_on"] == ["Ngày không hợp lệ (dd/mm/yyyy)."]
    assert 'value="31/02/2025"' in page.content.decode()


def test_a_missing_date_is_refused_and_nothing_changes(world: World) -> None:
    period = make_period(world)
    before = plan_of(period)
    page = client(world.staff_a).post(plan_url(period), plan_post(period, publish_until=""))
    assert page.status_code == 200 and page.context["form"].errors["publish_until"]
    assert plan_of(period) == before


@pytest.mark.parametrize("state", ["draft", "open", "published"])
def test_the_plan_changes_in_every_state_before_the_period_closes(world: World, state: str) -> None:
    period = make_period(world, state=state)
    later = period.closes_on + timedelta(days=2)
    response = client(world.staff_a).post(plan_url(period), plan_post(period, closes_on=later))
    assert response.status_code == 302 and plan_of(period)["closes_on"] == later


# --- a closed period -------------------------------------------------------------------------


def test_a_closed_period_shows_why_its_plan_cannot_change(world: World) -> None:
    period = close(make_period(world))
    html = client(world.staff_a).get(plan_url(period)).content.decode()
    assert cycle.PLAN_LOCKED in html
    assert 'id="save-plan"' not in html


def test_posting_to_a_closed_period_shows_the_service_message_and_saves_nothing(
    world: World,
) -> None:
    period = close(make_period(world))
    before = plan_of(period)
    events = AuditEvent.objects.count()
    page = client(world.staff_a).post(
        plan_url(period), plan_post(period, closes_on=period.closes_on + timedelta(days=2))
    )
    assert page.status_code == 200
    assert page.context["form"].non_field_errors() == [cycle.PLAN_LOCKED]
    assert cycle.PLAN_LOCKED in page.content.decode()
    assert plan_of(period) == before and AuditEvent.objects.count() == events


# --- the button on the period page and who reaches the page ----------------------------------


def test_the_period_page_offers_the_deciding_staff_to_edit_the_plan(world: World) -> None:
    period = make_period(world)
    html = client(world.staff_a).get(detail_url(period)).content.decode()
    assert 'id="edit-plan"' in html and plan_url(period) in html


def test_the_period_page_offers_no_plan_edit_once_closed(world: World) -> None:
    period = close(make_period(world))
    html = client(world.staff_a).get(detail_url(period)).content.decode()
    assert plan_url(period) not in html


@pytest.mark.parametrize("persona", ["secretary_a", "plain_member_a"])
def test_the_period_page_offers_others_no_plan_edit(world: World, persona: str) -> None:
    period = make_period(world)
    html = client(getattr(world, persona)).get(detail_url(period)).content.decode()
    assert plan_url(period) not in html


@pytest.mark.parametrize("persona", ["secretary_a", "plain_member_a", "staff_b"])
def test_who_does_not_decide_the_period_gets_404_and_changes_nothing(
    world: World, persona: str
) -> None:
    period = make_period(world)
    before = plan_of(period)
    c = client(getattr(world, persona))
    assert c.get(plan_url(period)).status_code == 404
    posted = c.post(plan_url(period), plan_post(period, closes_on=period.closes_on + timedelta(1)))
    assert posted.status_code == 404 and plan_of(period) == before
