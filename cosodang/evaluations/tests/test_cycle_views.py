"""Pages of the review cycle: landing, periods, the member's self-review, the cell's progress,
results and objections, the member's history."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from docx import Document

from cosodang.core.testing import World, make_member
from cosodang.evaluations.models import Objection, Period, SelfReview
from cosodang.evaluations.selectors import cycle as sel
from cosodang.evaluations.services import cycle
from cosodang.evaluations.services.rating_inputs import proposal_reasons
from cosodang.evaluations.tests.cycle_support import (
    make_period,
    make_rating,
    plan_around,
    publication_open,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def client(user) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(user)
    return c


def review_post(period: Period, **changes: str) -> dict[str, str]:
    data = {
        "ideology": "Kiên định",
        "task_results": "Hoàn thành 12 nhiệm vụ",
        "tasks_total": "12",
        "tasks_on_time": "12",
        "tasks_above_requirement": "4",
        "tasks_late": "0",
        "m_B4": "on",
        "mnote_B4": "Còn thích được khen",
        "proposed_level": "HTTNV",
        "action": "save",
    }
    for spec in sel.criterion_specs(period, "2A"):
        data[f"criterion_{spec.code}"] = str(spec.points - 1)
    data.update(changes)
    return data


# --- landing ---------------------------------------------------------------------------------


def test_the_landing_page_asks_a_member_to_fill_their_self_review(world: World) -> None:
    period = make_period(world)
    response = client(world.plain_member_a).get(reverse("evaluations:index"))
    assert reverse("evaluations:self_review_edit", args=[period.pk]) in response.content.decode()


def test_the_landing_page_shows_the_secretary_their_cell(world: World) -> None:
    period = make_period(world)
    response = client(world.secretary_a).get(reverse("evaluations:index"))
    assert f"{reverse('evaluations:cell', args=[world.cell_a.pk])}?ky={period.pk}" in (
        response.content.decode()
    )


def test_the_landing_page_lists_the_periods_staff_decide(world: World) -> None:
    make_period(world)
    response = client(world.staff_a).get(reverse("evaluations:index"))
    assert [p.org for p in response.context["data"].decided] == [world.province_a]


def test_staff_of_another_province_do_not_see_the_period(world: World) -> None:
    make_period(world)
    response = client(world.staff_b).get(reverse("evaluations:index"))
    assert response.context["data"].periods == []


def test_the_landing_page_query_count_is_bounded(
    world: World, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for year in (2023, 2024, 2025):
        make_period(world, year=year)
    c = client(world.secretary_a)
    with django_assert_max_num_queries(16):
        c.get(reverse("evaluations:index"))


# --- periods ---------------------------------------------------------------------------------


def period_form(**changes: str) -> dict[str, str]:
    plan = plan_around()
    data = {"kind": "year", "year": "2025", "quarter": ""}
    data.update({k: v.strftime("%d/%m/%Y") for k, v in plan.items()})
    data.update(changes)
    return data


def test_staff_plan_a_period_from_the_form(world: World) -> None:
    response = client(world.staff_a).post(
        reverse("evaluations:period_create"), period_form(org=str(world.province_a.pk))
    )
    period = Period.objects.get()
    assert response.status_code == 302 and period.pack.code == "QD366"


def test_a_plan_out_of_order_shows_the_vietnamese_message_naming_both_dates(world: World) -> None:
    plan = plan_around()
    early = (plan["opens_on"] - timedelta(days=1)).strftime("%d/%m/%Y")
    response = client(world.staff_a).post(
        reverse("evaluations:period_create"),
        period_form(org=str(world.province_a.pk), self_review_due=early),
    )
    errors = response.context["form"].errors["self_review_due"]
    assert "không được trước ngày mở kiểm điểm" in errors[0]
    assert not Period.objects.exists()


def test_the_form_offers_only_organisations_the_user_decides(world: World) -> None:
    response = client(world.staff_b).get(reverse("evaluations:period_create"))
    offered = set(response.context["form"].fields["org"].queryset)
    assert world.province_a not in offered and world.province_b in offered


def test_the_period_page_shows_each_cell_progress(
    world: World, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    period = make_period(world)
    c = client(world.staff_a)
    with django_assert_max_num_queries(16):
        response = c.get(reverse("evaluations:period_detail", args=[period.pk]))
    rows = response.context["cells"]
    assert [(r.org, r.members) for r in rows] == [(world.cell_a, 4)]


def test_opening_a_draft_period_from_its_page(world: World) -> None:
    period = make_period(world, state="draft")
    client(world.staff_a).post(reverse("evaluations:period_open", args=[period.pk]))
    period.refresh_from_db()
    assert period.state == "open"


def test_a_refused_step_shows_its_reason(world: World) -> None:
    period = make_period(world)
    response = client(world.staff_a).post(
        reverse("evaluations:period_publish", args=[period.pk]), follow=True
    )
    assert "Chưa có kết quả nào" in response.content.decode()


# --- the member's self-review ----------------------------------------------------------------


def test_a_member_saves_a_draft_from_the_phone_form(world: World) -> None:
    period = make_period(world)
    client(world.plain_member_a).post(
        reverse("evaluations:self_review_edit", args=[period.pk]), review_post(period)
    )
    review = SelfReview.objects.get()
    assert (review.state, review.manifestations["B4"]["flag"], review.self_score) == (
        "draft",
        True,
        sel.criterion_specs(period, "2A")[0].points * 0 + review.self_score,
    )
    assert review.self_score == sum(s.points - 1 for s in sel.criterion_specs(period, "2A"))


def test_a_member_submits_and_lands_on_the_review(world: World) -> None:
    period = make_period(world)
    response = client(world.plain_member_a).post(
        reverse("evaluations:self_review_edit", args=[period.pk]),
        review_post(period, action="submit"),
    )
    review = SelfReview.objects.get()
    assert response["Location"] == reverse("evaluations:self_review_detail", args=[review.pk])
    assert review.state == "submitted"


def test_a_score_above_the_maximum_is_shown_on_its_field(world: World) -> None:
    period = make_period(world)
    spec = sel.criterion_specs(period, "2A")[0]
    response = client(world.plain_member_a).post(
        reverse("evaluations:self_review_edit", args=[period.pk]),
        review_post(period, **{f"criterion_{spec.code}": str(spec.points + 5)}),
    )
    assert f"từ 0 đến {spec.points}" in response.context["form"].errors[f"criterion_{spec.code}"][0]
    assert not SelfReview.objects.exists()


def test_the_form_lists_the_27_manifestations(world: World) -> None:
    period = make_period(world)
    response = client(world.plain_member_a).get(
        reverse("evaluations:self_review_edit", args=[period.pk])
    )
    content = response.content.decode()
    assert content.count('name="m_') == 27


def test_the_yearly_form_shows_the_quarters_results(world: World) -> None:
    quarter = make_period(world, kind="quarter", quarter=1, year=2025)
    make_rating(quarter, world.plain_member_a.member, level="HTXSNV", score=92)
    period = make_period(world, year=2025)
    response = client(world.plain_member_a).get(
        reverse("evaluations:self_review_edit", args=[period.pk])
    )
    assert [(q.quarter, q.level) for q in response.context["quarters"]] == [(1, "HTXSNV")]


def test_the_secretary_does_not_see_a_draft_self_review(world: World) -> None:
    period = make_period(world)
    review = cycle.save_self_review(actor=world.plain_member_a, period=period, data={})
    response = client(world.secretary_a).get(
        reverse("evaluations:self_review_detail", args=[review.pk])
    )
    assert response.context["hidden"] is True


def test_the_self_review_downloads_as_docx_with_its_sections(world: World) -> None:
    period = make_period(world)
    review = cycle.save_self_review(
        actor=world.plain_member_a,
        period=period,
        data={"task_results": "Phá 3 chuyên án", "proposed_level": "HTTNV"},
        submit=True,
    )
    response = client(world.secretary_a).get(
        reverse("evaluations:self_review_docx", args=[review.pk])
    )
    doc = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "BẢN KIỂM ĐIỂM CÁ NHÂN" in text and "Phá 3 chuyên án" in text
    assert len(doc.tables[2].rows) == 28  # header + the 27 manifestations


def test_the_secretary_returns_a_review_with_a_note(world: World) -> None:
    period = make_period(world)
    review = cycle.save_self_review(
        actor=world.plain_member_a,
        period=period,
        data={"task_results": "x", "proposed_level": "HTNV"},
        submit=True,
    )
    client(world.secretary_a).post(
        reverse("evaluations:self_review_return", args=[review.pk]), {"note": "Bổ sung số liệu"}
    )
    review.refresh_from_db()
    assert (review.state, review.return_note) == ("returned", "Bổ sung số liệu")


# --- the cell --------------------------------------------------------------------------------


def test_the_cell_page_lists_what_is_missing_for_each_member(
    world: World, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    period = make_period(world)
    cycle.add_assessment(
        actor=world.secretary_a,
        period=period,
        member=world.member_a,
        source="cell_committee",
        text="Tốt",
    )
    for i in range(10):
        make_member(world.cell_a, f"Đảng viên Thêm {i}")
    c = client(world.secretary_a)
    with django_assert_max_num_queries(12):
        response = c.get(reverse("evaluations:cell", args=[world.cell_a.pk]), {"ky": period.pk})
    row = next(r for r in response.context["rows"] if r.member == world.member_a)
    assert row.present == ["cell_committee"]
    assert row.missing == ["cell_collective", "residence", "commander"]


def test_the_cell_page_with_another_province_period_is_404(world: World) -> None:
    other = make_period(world, org=world.province_a)
    response = client(world.secretary_a).get(
        reverse("evaluations:cell", args=[world.cell_a.pk]), {"ky": other.pk + 999}
    )
    assert response.status_code == 404


def test_the_secretary_records_the_collective_comment_with_the_meeting_date(world: World) -> None:
    period = make_period(world)
    client(world.secretary_a).post(
        reverse("evaluations:assess", args=[world.member_a.pk]) + f"?ky={period.pk}",
        {
            "source": "cell_collective",
            "text": "Tập thể nhất trí mức HTTNV",
            "meeting_date": TODAY.strftime("%d/%m/%Y"),
        },
    )
    row = world.member_a.assessments.get()
    assert (row.source, row.meeting_date) == ("cell_collective", TODAY)


# --- results, objections, history ------------------------------------------------------------


def test_published_results_are_visible_to_the_member_with_their_own(world: World) -> None:
    period = publication_open(world)
    make_rating(period, world.member_a, state="published")
    make_rating(period, world.plain_member_a.member, level="HTXSNV", state="published")
    response = client(world.plain_member_a).get(reverse("evaluations:results", args=[period.pk]))
    assert response.context["own"].level == "HTXSNV"
    assert len(response.context["ratings"]) == 2
    assert response.context["can_object"] is True


def test_the_member_objects_from_the_results_page(world: World) -> None:
    period = publication_open(world)
    rating = make_rating(period, world.plain_member_a.member, state="published")
    client(world.plain_member_a).post(
        reverse("evaluations:objection_create", args=[rating.pk]), {"text": "Tôi vượt chỉ tiêu"}
    )
    assert Objection.objects.get().text == "Tôi vượt chỉ tiêu"


def test_staff_answer_an_objection_upholding_it(world: World) -> None:
    period = publication_open(world)
    rating = make_rating(period, world.plain_member_a.member, state="published")
    objection = cycle.lodge_objection(actor=world.plain_member_a, rating=rating, text="Lý do")
    client(world.staff_a).post(
        reverse("evaluations:objection_answer", args=[objection.pk]),
        {"decision": "uphold", "new_level": "HTXSNV", "answer": "Đủ căn cứ"},
    )
    rating.refresh_from_db()
    assert rating.level == "HTXSNV"


def test_the_results_page_query_count_is_bounded(
    world: World, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    period = make_period(world, state="published")
    for i in range(10):
        make_rating(period, make_member(world.cell_a, f"Kết Quả {i}"), state="published")
    c = client(world.staff_a)
    with django_assert_max_num_queries(12):
        c.get(reverse("evaluations:results", args=[period.pk]))


def test_the_history_shows_every_period_with_level_score_and_reasons(
    world: World, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for year in (2023, 2024, 2025):
        period = make_period(world, year=year, state="closed")
        rating = make_rating(
            period,
            world.member_a,
            level="HTTNV",
            score=80,
            tasks_total=10,
            tasks_on_time=10,
            state="locked",
        )
    c = client(world.secretary_a)
    with django_assert_max_num_queries(14):
        response = c.get(reverse("evaluations:member_history", args=[world.member_a.pk]))
    rows = response.context["rows"]
    assert [r.period.year for r in rows] == [2025, 2024, 2023]
    # Reasons are rebuilt by the engine from the rating's stored inputs (none are stored).
    reasons = proposal_reasons(rating)
    assert reasons and rows[0].reasons == reasons and rows[0].score == 80
    assert any(r["rule"] == "thresholds.HTTNV" and r["passed"] for r in rows[0].reasons)


def test_a_member_sees_only_published_results_in_their_history(world: World) -> None:
    period = make_period(world)
    make_rating(period, world.plain_member_a.member, state="decided")
    member = world.plain_member_a.member
    response = client(world.plain_member_a).get(
        reverse("evaluations:member_history", args=[member.pk])
    )
    assert response.context["rows"] == []


def test_the_secretary_switches_a_member_to_form_2c_from_the_assess_page(world: World) -> None:
    period = make_period(world)
    client(world.secretary_a).post(
        reverse("evaluations:assess", args=[world.member_a.pk]) + f"?ky={period.pk}",
        {"form_code": "2C"},
    )
    assert SelfReview.objects.get(member=world.member_a).form == "2C"


def test_the_member_profile_links_to_the_evaluation_history(world: World) -> None:
    response = client(world.plain_member_a).get(
        reverse("members:detail", args=[world.plain_member_a.member.pk])
    )
    url = reverse("evaluations:member_history", args=[world.plain_member_a.member.pk])
    assert url in response.content.decode()


# --- links into the ratings area -------------------------------------------------------------


def test_the_period_page_leads_deciding_staff_to_calibration_and_the_report(world: World) -> None:
    period = make_period(world)
    page = client(world.staff_a).get(reverse("evaluations:period_detail", args=[period.pk]))
    html = page.content.decode()
    query = f"?ky={period.pk}"
    assert reverse("evaluations:calibration", args=[period.org.pk]) + query in html
    assert reverse("evaluations:report", args=[period.org.pk]) + query in html


def test_the_period_page_offers_a_secretary_no_calibration(world: World) -> None:
    period = make_period(world)
    page = client(world.secretary_a).get(reverse("evaluations:period_detail", args=[period.pk]))
    assert reverse("evaluations:calibration", args=[period.org.pk]) not in page.content.decode()


def test_the_cell_page_leads_the_secretary_to_the_proposal(world: World) -> None:
    period = make_period(world)
    url = f"{reverse('evaluations:cell', args=[world.cell_a.pk])}?ky={period.pk}"
    html = client(world.secretary_a).get(url).content.decode()
    assert f"{reverse('evaluations:propose', args=[world.cell_a.pk])}?ky={period.pk}" in html


def test_the_period_page_names_each_cells_parent_to_tell_same_names_apart(
    world: World,
) -> None:
    period = make_period(world)
    page = client(world.staff_a).get(reverse("evaluations:period_detail", args=[period.pk]))
    assert world.cell_a.parent.name in page.content.decode()
