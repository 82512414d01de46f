"""The rule simulator on a phone-sized screen, in a real browser (Playwright + Chromium)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cosodang.core.testing import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_secretary_rates_a_subject_on_a_phone_and_reads_the_reasons(live_server, page):  # type: ignore[no-untyped-def]
    world = build_world()
    base = live_server.url
    page.goto(f"{base}/dang-nhap/")
    page.fill("input[name=username]", world.secretary_a.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/to-chuc/")

    page.goto(f"{base}/danh-gia/mo-phong/")
    page.fill("input[name=date]", "31/12/2025")
    page.fill("input[name=score]", "85")
    page.fill("input[name=tasks_total]", "10")
    page.fill("input[name=tasks_on_time]", "10")
    page.fill("input[name=tasks_above_requirement]", "5")
    page.click("button:has-text('Xếp loại')")

    expect(page.locator("#result-level")).to_have_text("HTTNV")
    expect(page.locator("#result")).to_contain_text("HTXSNV: điểm ≥ 90 (thực tế: 85) — không đạt.")
    # Nothing wider than the phone: no sideways scrolling.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
