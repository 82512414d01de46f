"""Peer comments on a phone, in a real browser (Playwright driving Debian's Chromium).

A member of a period that enables peer comments goes from the landing page to the peer page,
comments on a colleague of their cell and sees it marked; a second comment on the same
colleague is refused with the Vietnamese message; a member of another cell is neither listed
nor reachable (404). Every response the page receives must answer < 400.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from cosodang.core.testing import PASSWORD, build_world, make_member, make_org
from cosodang.evaluations.models import Assessment
from cosodang.evaluations.services import cycle
from cosodang.evaluations.tests.cycle_support import make_period
from cosodang.orgs.rules import OrgType

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/dang-nhap/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/to-chuc/")


def test_a_member_comments_on_a_colleague_once_and_never_outside_the_cell(  # type: ignore[no-untyped-def]
    live_server, page
) -> None:
    world = build_world()
    period = make_period(world, peer_review=True)
    colleague = world.member_a  # Nguyễn Thị Hà, same cell as the member
    sibling_cell = make_org("Chi bộ Đội 2", OrgType.CELL, world.branch_a, "HN-PC02-D2")
    outsider = make_member(sibling_cell, "Vũ Đình Khải")  # inside the period, another cell
    base = live_server.url
    failed: list[str] = []
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))

    # From the landing page to the peer page, on a phone.
    login(page, base, world.plain_member_a.username)
    page.goto(f"{base}/danh-gia/")
    page.click(f"#peer-review-{period.pk}")
    peers = page.locator("#peer-list")
    expect(peers).to_contain_text(colleague.full_name)
    expect(peers).not_to_contain_text(outsider.full_name)
    expect(peers).not_to_contain_text(world.member_b.full_name)

    # A comment on a colleague of the cell: recorded, and marked on the list.
    page.click(f"#peer-{colleague.pk}")
    expect(page.locator("h1")).to_contain_text(colleague.full_name)
    page.fill("textarea[name=text]", "Đồng chí cần chủ động hơn trong công tác phối hợp.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("#peer-form button[type=submit]")
    expect(page.locator(".msg-success")).to_contain_text(
        f"Đã ghi góp ý cho đồng chí {colleague.full_name}"
    )
    row = page.locator("#peer-list li", has_text=colleague.full_name)
    expect(row).to_contain_text("Đã góp ý")
    expect(page.locator(f"#peer-{colleague.pk}")).to_have_count(0)

    # A second comment on the same colleague (the form reached again): the Vietnamese message,
    # what was typed kept, nothing written.
    page.goto(f"{base}/danh-gia/ky/{period.pk}/gop-y/?dv={colleague.pk}")
    page.fill("textarea[name=text]", "Góp ý lần hai.")
    page.click("#peer-form button[type=submit]")
    expect(page.locator("#peer-form .errorlist")).to_contain_text(cycle.PEER_TWICE)
    expect(page.locator("textarea[name=text]")).to_have_value("Góp ý lần hai.")
    assert list(Assessment.objects.filter(source="peer").values_list("member_id", "text")) == [
        (colleague.pk, "Đồng chí cần chủ động hơn trong công tác phối hợp.")
    ]

    # A member of another cell cannot be reached, even by typing the address (the session's
    # cookies; a request outside the page's own responses).
    for member in (outsider, world.member_b):
        answer = page.request.get(f"{base}/danh-gia/ky/{period.pk}/gop-y/?dv={member.pk}")
        assert answer.status == 404
        assert member.full_name not in answer.text()

    # Every page and asset the browser loaded answered < 400.
    assert failed == []
