"""Peer comments where the period enables them: a member comments on the other members of
their own cell, from a phone page reached from the landing page, or through the API."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse

from cosodang.accounts.models import Role
from cosodang.accounts.services import create_api_token
from cosodang.core.testing import World, make_member, make_org, make_user
from cosodang.evaluations.models import Assessment
from cosodang.evaluations.services import cycle
from cosodang.evaluations.tests.cycle_support import make_period
from cosodang.orgs.rules import OrgType

pytestmark = pytest.mark.django_db


def client(user) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(user)
    return c


def api(user) -> Client:  # type: ignore[no-untyped-def]
    _, raw = create_api_token(actor=user, user=user, name="kiem-thu")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def peer_url(period, member=None) -> str:  # type: ignore[no-untyped-def]
    url = reverse("evaluations:peer_review", args=[period.pk])
    return f"{url}?dv={member.pk}" if member is not None else url


def comment(world: World, period, member, text: str = "Cần chủ động hơn"):  # type: ignore[no-untyped-def]
    return cycle.add_assessment(
        actor=world.plain_member_a, period=period, member=member, source="peer", text=text
    )


# --- service ---------------------------------------------------------------------------------


def test_a_peer_comment_is_attributed_to_its_author_by_name(world: World) -> None:
    period = make_period(world, peer_review=True)
    row = comment(world, period, world.member_a)
    assert (row.author, row.author_name) == (world.plain_member_a, "Hoàng Thị Lan")


def test_a_peer_comment_ignores_an_author_name_given_by_the_writer(world: World) -> None:
    period = make_period(world, peer_review=True)
    row = cycle.add_assessment(
        actor=world.plain_member_a,
        period=period,
        member=world.member_a,
        source="peer",
        text="Góp ý",
        author_name="Chi ủy",
    )
    assert row.author_name == "Hoàng Thị Lan"


def test_a_member_cannot_comment_on_themselves(world: World) -> None:
    period = make_period(world, peer_review=True)
    with pytest.raises(ValidationError, match="chính mình"):
        comment(world, period, world.plain_member_a.member)


def test_a_second_comment_on_the_same_member_in_the_period_is_refused(world: World) -> None:
    period = make_period(world, peer_review=True)
    comment(world, period, world.member_a)
    with pytest.raises(ValidationError, match="mỗi kỳ một lần"):
        comment(world, period, world.member_a, "Lần hai")


def test_a_refused_second_comment_writes_nothing(world: World) -> None:
    period = make_period(world, peer_review=True)
    comment(world, period, world.member_a)
    with pytest.raises(ValidationError):
        comment(world, period, world.member_a, "Lần hai")
    assert Assessment.objects.filter(source="peer").count() == 1


def test_two_members_may_each_comment_on_the_same_member(world: World) -> None:
    period = make_period(world, peer_review=True)
    comment(world, period, world.member_a)
    cycle.add_assessment(
        actor=world.secretary_a, period=period, member=world.member_a, source="peer", text="Tốt"
    )
    assert Assessment.objects.filter(member=world.member_a, source="peer").count() == 2


def test_a_member_of_another_cell_gets_404(world: World) -> None:
    period = make_period(world, peer_review=True)
    with pytest.raises(Http404):
        comment(world, period, world.member_b)


def test_a_member_of_a_sibling_cell_in_the_same_branch_gets_404(world: World) -> None:
    period = make_period(world, peer_review=True)
    sibling = make_member(make_org("Chi bộ Đội 2", OrgType.CELL, world.branch_a, "HN-PC02-D2"))
    with pytest.raises(Http404):
        comment(world, period, sibling)


def test_a_peer_comment_is_refused_when_the_period_is_not_open(world: World) -> None:
    period = make_period(world, peer_review=True, state="draft")
    with pytest.raises(ValidationError, match="giai đoạn kiểm điểm"):
        comment(world, period, world.member_a)


def test_staff_without_a_member_record_in_the_cell_cannot_write_a_peer_comment(
    world: World,
) -> None:
    period = make_period(world, peer_review=True)
    with pytest.raises(ValidationError, match="cùng chi bộ"):
        cycle.add_assessment(
            actor=world.staff_a, period=period, member=world.member_a, source="peer", text="Tốt"
        )


# --- pages -----------------------------------------------------------------------------------


def test_the_landing_page_links_a_member_to_peer_comments_when_enabled(world: World) -> None:
    period = make_period(world, peer_review=True)
    page = client(world.plain_member_a).get(reverse("evaluations:index"))
    assert peer_url(period) in page.content.decode()


def test_the_landing_page_has_no_peer_link_when_the_period_disables_it(world: World) -> None:
    make_period(world)
    page = client(world.plain_member_a).get(reverse("evaluations:index"))
    assert "my-peer-reviews" not in page.content.decode()


def test_the_peer_page_lists_the_other_members_of_the_cell_only(world: World) -> None:
    period = make_period(world, peer_review=True)
    page = client(world.plain_member_a).get(peer_url(period))
    names = [m.full_name for m, _ in page.context["candidates"]]
    assert names == ["Trần Văn Bình", "Lê Minh Cường", "Nguyễn Thị Hà"]


def test_the_peer_page_marks_members_already_commented_on(world: World) -> None:
    period = make_period(world, peer_review=True)
    comment(world, period, world.member_a)
    page = client(world.plain_member_a).get(peer_url(period))
    assert dict(page.context["candidates"])[world.member_a] is True


def test_the_peer_page_reads_a_fixed_number_of_queries(
    world: World, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    period = make_period(world, peer_review=True)
    for i in range(10):
        make_member(world.cell_a, f"Đảng viên {i}")
    c = client(world.plain_member_a)
    with django_assert_max_num_queries(12):
        c.get(peer_url(period))


def test_the_peer_page_says_so_when_the_period_disables_peer_comments(world: World) -> None:
    period = make_period(world)
    page = client(world.plain_member_a).get(peer_url(period))
    assert "không mở góp ý" in page.content.decode()


def test_posting_the_peer_form_records_the_comment(world: World) -> None:
    period = make_period(world, peer_review=True)
    client(world.plain_member_a).post(
        peer_url(period), {"member": world.member_a.pk, "text": "Cần chủ động hơn"}
    )
    assert Assessment.objects.get(source="peer").text == "Cần chủ động hơn"


def test_posting_the_peer_form_on_oneself_shows_the_message(world: World) -> None:
    period = make_period(world, peer_review=True)
    page = client(world.plain_member_a).post(
        peer_url(period), {"member": world.plain_member_a.member.pk, "text": "Tự khen"}
    )
    assert "chính mình" in page.content.decode()


def test_the_peer_form_for_a_member_of_another_cell_answers_404(world: World) -> None:
    period = make_period(world, peer_review=True)
    page = client(world.plain_member_a).get(peer_url(period, world.member_b))
    assert page.status_code == 404


def test_the_peer_page_answers_404_to_a_member_of_another_province(world: World) -> None:
    period = make_period(world, peer_review=True)
    other = make_user("member_b", role=Role.MEMBER, org=world.cell_b, member=world.member_b)
    assert client(other).get(peer_url(period)).status_code == 404


def test_the_cell_page_counts_peer_comments_with_the_other_sources(world: World) -> None:
    period = make_period(world, peer_review=True)
    comment(world, period, world.member_a)
    page = client(world.secretary_a).get(
        reverse("evaluations:cell", args=[world.cell_a.pk]) + f"?ky={period.pk}"
    )
    assert "Đảng viên góp ý (1)" in page.content.decode()


def test_the_secretary_reads_a_peer_comment_on_the_member_assessment_page(world: World) -> None:
    period = make_period(world, peer_review=True)
    comment(world, period, world.member_a, "Cần chủ động hơn trong công tác")
    page = client(world.secretary_a).get(
        reverse("evaluations:assess", args=[world.member_a.pk]) + f"?ky={period.pk}"
    )
    assert "Cần chủ động hơn trong công tác" in page.content.decode()


# --- API -------------------------------------------------------------------------------------


def post_peer(user, period, member_id: int) -> object:  # type: ignore[no-untyped-def]
    return api(user).post(
        f"/api/v1/evaluations/periods/{period.pk}/assessments",
        data=json.dumps({"member_id": member_id, "source": "peer", "text": "Góp ý"}),
        content_type="application/json",
    )


def test_a_member_writes_a_peer_comment_through_the_api(world: World) -> None:
    period = make_period(world, peer_review=True)
    response = post_peer(world.plain_member_a, period, world.member_a.pk)
    assert (response.status_code, response.json()["source"]) == (201, "peer")


def test_the_api_refuses_a_peer_comment_on_oneself_with_422(world: World) -> None:
    period = make_period(world, peer_review=True)
    response = post_peer(world.plain_member_a, period, world.plain_member_a.member.pk)
    assert response.status_code == 422


def test_the_api_refuses_a_peer_comment_when_the_period_disables_them(world: World) -> None:
    period = make_period(world)
    response = post_peer(world.plain_member_a, period, world.member_a.pk)
    assert response.status_code == 422


def test_the_api_answers_404_for_a_member_of_another_cell(world: World) -> None:
    period = make_period(world, peer_review=True)
    response = post_peer(world.plain_member_a, period, world.member_b.pk)
    assert response.status_code == 404


def test_a_plain_member_cannot_write_another_source_through_the_api(world: World) -> None:
    period = make_period(world, peer_review=True)
    response = api(world.plain_member_a).post(
        f"/api/v1/evaluations/periods/{period.pk}/assessments",
        data=json.dumps({"member_id": world.member_a.pk, "source": "cell_committee", "text": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 404
