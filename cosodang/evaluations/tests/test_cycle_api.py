"""API of the review cycle: periods, own self-review, assessments, objections."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from cosodang.accounts.services import create_api_token
from cosodang.core.testing import World
from cosodang.evaluations.models import Period
from cosodang.evaluations.tests.cycle_support import (
    ensure_packs,
    make_period,
    make_rating,
    plan_around,
    publication_open,
)

pytestmark = pytest.mark.django_db
BASE = "/api/v1/evaluations"


def api(user) -> Client:  # type: ignore[no-untyped-def]
    _, raw = create_api_token(actor=user, user=user, name="kiem-thu")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def send(client: Client, method: str, url: str, body: dict[str, Any]) -> Any:
    return client.generic(method, url, data=json.dumps(body), content_type="application/json")


def period_body(world: World, **changes: Any) -> dict[str, Any]:
    body = {
        "org_id": world.province_a.pk,
        "kind": "year",
        "year": 2025,
        **{k: v.isoformat() for k, v in plan_around().items()},
    }
    body.update(changes)
    return body


def test_staff_create_a_period_and_get_its_pack(world: World) -> None:
    ensure_packs()
    response = send(api(world.staff_a), "POST", f"{BASE}/periods", period_body(world))
    assert response.status_code == 201 and response.json()["pack"] == "QD366"


def test_a_plan_out_of_order_answers_422_naming_the_field(world: World) -> None:
    ensure_packs()
    body = period_body(world, closes_on="2000-01-01")
    response = send(api(world.staff_a), "POST", f"{BASE}/periods", body)
    assert response.status_code == 422
    assert [d["loc"] for d in response.json()["detail"]] == [["closes_on"]]


def test_an_unknown_field_answers_422(world: World) -> None:
    ensure_packs()
    response = send(api(world.staff_a), "POST", f"{BASE}/periods", period_body(world, bad=1))
    assert response.status_code == 422


def test_the_period_list_holds_only_periods_in_scope(world: World) -> None:
    make_period(world)
    assert api(world.staff_b).get(f"{BASE}/periods").json() == []
    assert len(api(world.plain_member_a).get(f"{BASE}/periods").json()) == 1


def test_a_member_reads_a_fresh_draft_of_their_self_review(world: World) -> None:
    period = make_period(world)
    body = api(world.plain_member_a).get(f"{BASE}/periods/{period.pk}/self-review").json()
    assert (body["id"], body["state"], body["form"]) == (None, "draft", "2A")


def test_a_member_puts_and_submits_their_self_review(world: World) -> None:
    period = make_period(world)
    client = api(world.plain_member_a)
    url = f"{BASE}/periods/{period.pk}/self-review"
    put = send(
        client,
        "PUT",
        url,
        {
            "task_results": "Hoàn thành",
            "tasks_total": 5,
            "tasks_on_time": 5,
            "manifestations": {"A3": {"flag": True, "note": "Lười học nghị quyết"}},
        },
    )
    assert put.status_code == 200 and put.json()["manifestations"]["A3"]["flag"] is True
    submitted = send(client, "POST", f"{url}/submit", {"proposed_level": "HTTNV"})
    assert submitted.status_code == 200 and submitted.json()["state"] == "submitted"


def test_contradicting_task_counts_answer_422_with_the_field(world: World) -> None:
    period = make_period(world)
    response = send(
        api(world.plain_member_a),
        "PUT",
        f"{BASE}/periods/{period.pk}/self-review",
        {"tasks_total": 2, "tasks_on_time": 3},
    )
    assert response.status_code == 422
    assert ["tasks_on_time"] in [d["loc"] for d in response.json()["detail"]]


def test_the_secretary_records_an_assessment_and_lists_it(world: World) -> None:
    period = make_period(world)
    client = api(world.secretary_a)
    created = send(
        client,
        "POST",
        f"{BASE}/periods/{period.pk}/assessments",
        {"member_id": world.member_a.pk, "source": "commander", "level": "HTTNV"},
    )
    assert created.status_code == 201
    listed = client.get(f"{BASE}/periods/{period.pk}/assessments").json()
    assert [(a["source"], a["author"]) for a in listed] == [("commander", "secretary_a")]


def test_a_member_objects_and_staff_answer_through_the_api(world: World) -> None:
    period = publication_open(world)
    rating = make_rating(period, world.plain_member_a.member, state="published")
    lodged = send(
        api(world.plain_member_a),
        "POST",
        f"{BASE}/ratings/{rating.pk}/objections",
        {"text": "Đề nghị xem xét"},
    )
    assert lodged.status_code == 201
    answered = send(
        api(world.staff_a),
        "POST",
        f"{BASE}/objections/{lodged.json()['id']}/answer",
        {"upheld": True, "new_level": "HTXSNV", "answer": "Đủ căn cứ"},
    )
    assert answered.json()["state"] == "upheld"


def test_upholding_without_a_new_level_answers_422(world: World) -> None:
    period = publication_open(world)
    rating = make_rating(period, world.plain_member_a.member, state="published")
    lodged = send(
        api(world.plain_member_a),
        "POST",
        f"{BASE}/ratings/{rating.pk}/objections",
        {"text": "Đề nghị xem xét"},
    )
    response = send(
        api(world.staff_a),
        "POST",
        f"{BASE}/objections/{lodged.json()['id']}/answer",
        {"upheld": True, "answer": "Đủ căn cứ"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["new_level"]
    assert Period.objects.count() == 1
