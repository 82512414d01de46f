"""A secretary's round trip in a real browser (Playwright driving Debian's Chromium).

Log in, find a member by typing a name without diacritics, open the profile, edit a field,
and see the change in the audit view.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cosodang.core.testing import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_secretary_searches_edits_and_sees_the_change_in_the_audit_view(live_server, page):  # type: ignore[no-untyped-def]
    world = build_world()
    base = live_server.url

    page.goto(f"{base}/dang-nhap/")
    page.fill("input[name=username]", world.secretary_a.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/to-chuc/")

    page.goto(f"{base}/dang-vien/")
    page.fill("input[name=q]", "nguyen thi ha")
    # The results block is replaced by htmx as the user types: wait for the filtered list.
    expect(page.locator("#member-table tbody tr")).to_have_count(1)
    expect(page.locator("#member-table")).to_contain_text("Nguyễn Thị Hà")

    page.click("#member-table >> text=Nguyễn Thị Hà")
    page.wait_for_selector("h1:has-text('Nguyễn Thị Hà')")
    page.click("#edit-member")
    page.fill("input[name=police_position]", "Phó Đội trưởng")
    page.click("button[type=submit]:has-text('Lưu')")
    page.wait_for_selector("h1:has-text('Nguyễn Thị Hà')")
    page.click(".tabs >> text=Công tác, trình độ")
    expect(page.locator("#member-position")).to_have_text("Phó Đội trưởng")

    page.goto(f"{base}/nhat-ky/")
    row = page.locator("#audit-table tbody tr").first
    assert "members.update_member" in row.inner_text()
    assert "Phó Đội trưởng" in row.inner_text()
    assert "Nguyễn Thị Hà" in row.inner_text()
