"""The review cycle in a real browser (Playwright driving Debian's Chromium).

A member submits their self-review on a phone-sized viewport; the secretary proposes the
cell's levels; the grassroots committee calibrates and decides; the result is published and
the member sees it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cosodang.core.testing import PASSWORD, World, build_world
from cosodang.evaluations.selectors import cycle as sel
from cosodang.evaluations.services import cycle
from cosodang.evaluations.tests.cycle_support import ensure_packs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/dang-nhap/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/to-chuc/")


def one_day_period(world: World):  # type: ignore[no-untyped-def]
    """A period of the grassroots branch whose review, meeting, decision and publication all
    fall on today (the plan's dates may coincide), published for a week."""
    ensure_packs()
    today = timezone.localdate()
    plan = dict.fromkeys(
        ("opens_on", "self_review_due", "cell_meeting_by", "decision_by", "publish_from"), today
    )
    plan |= {"publish_until": today + timedelta(days=7), "closes_on": today + timedelta(days=10)}
    period = cycle.create_period(
        actor=world.staff_a, org=world.branch_a, kind="year", year=today.year, plan=plan
    )
    cycle.open_period(actor=world.staff_a, period=period)
    return period


def test_member_submits_on_a_phone_and_sees_the_published_result(  # type: ignore[no-untyped-def]
    live_server, new_page
) -> None:
    world = build_world()
    period = one_day_period(world)
    base = live_server.url

    # 1. The member, on a phone, fills in and submits their self-review.
    phone = new_page(390, 844)
    login(phone, base, world.plain_member_a.username)
    phone.goto(f"{base}/danh-gia/")
    phone.click(f"#fill-self-review-{period.pk}")
    phone.fill("textarea[name=ideology]", "Kiên định mục tiêu, lý tưởng của Đảng.")
    phone.fill("textarea[name=task_results]", "Hoàn thành 10 nhiệm vụ, 4 vượt yêu cầu.")
    phone.fill("input[name=tasks_total]", "10")
    phone.fill("input[name=tasks_on_time]", "10")
    phone.fill("input[name=tasks_above_requirement]", "4")
    phone.check("input[name=m_A3]")
    phone.fill("input[name=mnote_A3]", "Chưa thường xuyên tự học nghị quyết.")
    for spec in sel.criterion_specs(period, "2A"):
        phone.fill(f"input[name=criterion_{spec.code}]", str(spec.points * 9 / 10))
    phone.check("input[name=proposed_level][value=HTXSNV]")
    # Nothing on the form is wider than the phone's screen.
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    phone.click("#submit-review")
    expect(phone.locator("#review-state")).to_have_text("Đã nộp")
    expect(phone.locator("#proposed-level")).to_have_text("HTXSNV")

    # 2. The secretary proposes the cell's levels.
    desk = new_page(1280, 900)
    login(desk, base, world.secretary_a.username)
    desk.goto(f"{base}/danh-gia/chi-bo/{world.cell_a.pk}/?ky={period.pk}")
    expect(desk.locator("#progress-table")).to_contain_text("Đã nộp")
    desk.goto(f"{base}/danh-gia/xep-loai/{world.cell_a.pk}/de-xuat/?ky={period.pk}")
    desk.click("#propose-button")
    expect(desk.locator(".msg-success")).to_contain_text("Đã đề xuất")

    # 3. The grassroots committee calibrates and decides, then publishes.
    staff = new_page(1280, 900)
    login(staff, base, world.staff_a.username)
    staff.goto(f"{base}/danh-gia/xep-loai/{world.branch_a.pk}/hieu-chinh/?ky={period.pk}")
    staff.click("#decide-button")
    expect(staff.locator(".msg-success")).to_contain_text("Đã quyết định")
    staff.goto(f"{base}/danh-gia/ky/{period.pk}/")
    staff.click("#step-publish")
    expect(staff.locator(".msg-success")).to_contain_text("Đã công khai")
    expect(staff.locator("#period-state")).to_have_text("Đang công khai kết quả")

    # 4. The member sees their published result.
    phone.goto(f"{base}/danh-gia/ky/{period.pk}/ket-qua/")
    expect(phone.locator("#own-level")).not_to_be_empty()
    expect(phone.locator("#results-table")).to_contain_text("Hoàng Thị Lan")
