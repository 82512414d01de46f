"""A secretary walks a case from candidate to ceremony on a phone, in a real browser.

Playwright drives Debian's Chromium (as cosodang/tests/test_browser.py): add a candidate, open
the case, fill the dossier, upload scans and generate a form, submit, record the cell's vote;
the committee's vote and decision are recorded by the committee (through the services here);
then the secretary records the ceremony and sees the case move on the deadline board.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from cosodang.admissions import services
from cosodang.admissions.models import AdmissionCase
from cosodang.core.testing import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def vn(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def step(page: Page, slug: str, fields: dict[str, str]) -> None:
    """Fill the step form `slug` on the case page and send it."""
    form = page.locator(f"#step-{slug} form")
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")


def upload(page: Page, code: str, day: date) -> None:
    form = page.locator("#step-upload form")
    form.locator("select[name=code]").select_option(code)
    form.locator("[name=doc_date]").fill(vn(day))
    form.locator("input[name=upload]").set_input_files(
        files=[{"name": f"{code}.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 x"}]
    )
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    expect(page.locator("#document-table")).to_contain_text(f"{code}.pdf")


def test_a_secretary_walks_a_case_from_candidate_to_ceremony(live_server, page) -> None:  # type: ignore[no-untyped-def]
    world = build_world()
    base = live_server.url
    today = date.today()
    opened, docs_day = today - timedelta(days=40), today - timedelta(days=35)
    vote_day = today - timedelta(days=10)

    page.goto(f"{base}/dang-nhap/")
    page.fill("input[name=username]", world.secretary_a.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/to-chuc/")

    # The board, then a new candidate.
    page.goto(f"{base}/ket-nap/")
    page.click("#add-candidate")
    page.fill("input[name=full_name]", "Đỗ Minh Khoa")
    page.select_option("select[name=sex]", "M")
    page.fill("input[name=birth_date]", "10/03/1998")
    page.fill("input[name=in_pool_since]", vn(opened - timedelta(days=200)))
    page.click("button[type=submit]:has-text('Lưu')")
    page.wait_for_selector("h1:has-text('Đỗ Minh Khoa')")

    # Open the case.
    page.fill("#open-case input[name=opened_on]", vn(opened))
    page.click("#open-case button[type=submit]")
    page.wait_for_selector("#case-state:has-text('Lập hồ sơ')")

    # The dossier: certificate and background check, two introducers, documents.
    form = page.locator("#step-dossier form")
    form.locator("[name=cert_number]").fill("125/CN-NTVĐ")
    form.locator("[name=cert_issuer]").fill("Trường Chính trị thành phố Hà Nội")
    form.locator("[name=cert_date]").fill(vn(opened - timedelta(days=20)))
    form.locator("input[value=self]").check()
    form.locator("input[value=parents]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    for name in ("Nguyễn Thị Hà", "Trần Văn Bình"):
        form = page.locator("#step-introducer form")
        form.locator("select[name=member]").select_option(label=name)
        form.locator("[name=months_together]").fill("24")
        form.locator("[name=letter_date]").fill(vn(docs_day))
        form.locator("button[type=submit]").click()
        page.wait_for_load_state("load")
    expect(page.locator("#introducers")).to_contain_text("Trần Văn Bình")

    for code in ("CN-NTVĐ", "2-KNĐ", "TTLL", "3-KNĐ", "5-KNĐ"):
        upload(page, code, docs_day)
    # The application is generated from the case data as .docx.
    form = page.locator("#step-generate form")
    form.locator("select[name=code]").select_option("1-KNĐ")
    form.locator("[name=doc_date]").fill(vn(docs_day))
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    expect(page.locator("#document-table")).to_contain_text(".docx")
    expect(page.locator("#checklist tr[data-code='1-KNĐ']")).to_contain_text("Có")

    # Submit to the cell, then the cell's vote (4 official members, all agree).
    step(page, "submit", {"on": vn(vote_day - timedelta(days=5))})
    expect(page.locator("#case-state")).to_have_text("Chờ chi bộ xét kết nạp")
    step(
        page,
        "cell-vote",
        {"meeting_date": vn(vote_day), "votes_for": "4", "against": "0", "abstain": "0"},
    )
    expect(page.locator("#case-state")).to_have_text("Chờ đảng ủy cơ sở xét")
    upload(page, "6-KNĐ", vote_day)

    # On the board, the case waits for the committee with its 60-working-day deadline.
    page.goto(f"{base}/ket-nap/")
    row = page.locator("#stage-committee_review tbody tr")
    expect(row).to_contain_text("Đỗ Minh Khoa")
    expect(row).to_contain_text("Ra quyết định kết nạp")

    # The committee votes and decides (staff of the province, through the services).
    case = AdmissionCase.objects.get()
    services.record_committee_vote(
        actor=world.staff_a,
        case=case,
        meeting_date=vote_day + timedelta(days=2),
        eligible=9,
        votes_for=9,
        against=0,
        abstain=0,
    )
    services.generate_document(
        actor=world.staff_a, case=case, code="8-KNĐ", doc_date=vote_day + timedelta(days=2)
    )
    services.decide_admission(
        actor=world.staff_a,
        case=case,
        decision_date=vote_day + timedelta(days=4),
        decision_number="215-QĐ/ĐU",
        received_date=vote_day + timedelta(days=5),
    )
    services.generate_document(
        actor=world.staff_a, case=case, code="9-KNĐ", doc_date=vote_day + timedelta(days=4)
    )

    # The board now asks the secretary for the ceremony, within 30 working days.
    page.goto(f"{base}/ket-nap/")
    row = page.locator("#stage-awaiting_ceremony tbody tr")
    expect(row).to_contain_text("Tổ chức lễ kết nạp")
    expect(page.locator("#stage-committee_review")).to_contain_text("Không có hồ sơ")
    row.locator("a.btn").click()
    page.wait_for_selector("#step-ceremony")
    step(page, "ceremony", {"ceremony_date": vn(today)})
    expect(page.locator("#case-state")).to_have_text("Đảng viên dự bị")
    expect(page.locator("#timeline-table")).to_contain_text("Lễ kết nạp ngày")

    # Back on the board: the case is in probation, its next deadline a year away.
    page.goto(f"{base}/ket-nap/")
    row = page.locator("#stage-probation tbody tr")
    expect(row).to_contain_text("Đỗ Minh Khoa")
    expect(row).to_contain_text("Chi bộ xét công nhận đảng viên chính thức")
    expect(page.locator("#stage-awaiting_ceremony")).to_contain_text("Không có hồ sơ")
