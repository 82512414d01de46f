"""Tests for the member export: filters and scope of the list, cell formats, lossless round trip."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from cosodang.core import audit
from cosodang.core.testing import World, make_member
from cosodang.members import exporting, importing
from cosodang.members.columns import BY_FIELD, COLUMNS, ORG_NAME, Kind
from cosodang.members.importing_rules import read_row
from cosodang.members.models import Member
from cosodang.members.selectors import MemberFilters
from cosodang.members.services import EDITABLE_FIELDS

from .test_import_support import H, read_xlsx, written_events

pytestmark = pytest.mark.django_db


def exported(client: Client, **params: Any) -> list[list[Any]]:
    response = client.get(reverse("members:export"), params)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="dang-vien-')
    return read_xlsx(b"".join(response.streaming_content))  # type: ignore[attr-defined]


def names(table: list[list[Any]]) -> list[str]:
    return [row[0] for row in table[1:]]


def full_member(world: World) -> Member:
    """Return a member with every editable field filled, diacritics and leading zeros included."""
    return make_member(
        world.cell_a,
        "Đặng Thị Ngọc Ánh",
        other_name="Út Ánh",
        sex="F",
        birth_date=date(1992, 12, 31),
        ethnicity="Ê Đê",
        religion="Phật giáo",
        national_id="000192001234",
        old_national_id="012345678",
        phone="0912345678",
        email="anh.dt@congan.vn",
        birth_place_country="Việt Nam",
        birth_place_province="Đắk Lắk",
        birth_place_detail="Bệnh viện Đa khoa tỉnh",
        hometown_province="Thừa Thiên Huế",
        hometown_commune="Phường Thuận Hóa",
        residence_province="Hà Nội",
        residence_commune="Phường Ba Đình",
        residence_detail="Số 7, ngõ 12 phố Điện Biên Phủ",
        card_number="000012345678",
        card_issue_place="Đảng ủy Công an Trung ương",
        card_issue_date=date(2016, 5, 19),
        old_card_number="0012345",
        first_decision_date=date(2012, 1, 5),
        decision_date=date(2014, 6, 2),
        ceremony_date=date(2014, 6, 20),
        official_date=date(2015, 8, 1),
        admitted_under_current_rules=False,
        status="exempted",
        status_date=date(2024, 2, 29),
        rank="thieu_ta",
        police_position="Phó Đội trưởng",
        work_unit="Phòng Cảnh sát hình sự",
        general_education="10/10",
        education="thac_si",
        theory_level="cao_cap",
    )


@pytest.fixture
def staff(world: World, client: Client) -> Client:
    client.force_login(world.staff_a)
    return client


# --- the list's filters and scope -------------------------------------------------------------


def test_export_has_the_schema_header_and_the_list_order(world: World, staff: Client) -> None:
    table = exported(staff)
    assert table[0] == [c.header for c in COLUMNS]
    listed = staff.get(reverse("members:list"))
    assert names(table) == [m.full_name for m in listed.context["page_obj"].object_list]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "nguyen thi ha"}, ["Nguyễn Thị Hà"]),
        ({"status": "probationary"}, ["Trần Văn Dự Bị"]),
        ({"org": "cell_a", "q": "lan"}, ["Hoàng Thị Lan"]),
    ],
    ids=["search", "status", "org-and-search"],
)
def test_export_honours_the_list_filters(
    world: World, staff: Client, params: dict[str, str], expected: list[str]
) -> None:
    make_member(world.cell_a, "Trần Văn Dự Bị", status="probationary")
    if "org" in params:
        params = {**params, "org": getattr(world, params["org"]).pk}
    assert names(exported(staff, **params)) == expected


def test_export_of_sibling_staff_holds_none_of_a(world: World, client: Client) -> None:
    client.force_login(world.staff_b)
    assert names(exported(client)) == ["Phạm Văn Dũng"]


def test_export_filtered_on_an_org_outside_the_scope_is_not_found(
    world: World, client: Client
) -> None:
    client.force_login(world.staff_b)
    response = client.get(reverse("members:export"), {"org": world.province_a.pk})
    assert response.status_code == 404


def test_a_plain_member_exports_their_own_record_with_identifiers_masked(
    world: World, client: Client
) -> None:
    client.force_login(world.plain_member_a)
    table = exported(client)
    own = world.plain_member_a.member
    assert names(table) == [own.full_name]
    row = dict(zip(table[0], table[1], strict=True))
    assert row[H["national_id"]] == audit.mask_identifier(own.national_id)


def test_the_list_page_links_the_export_with_its_filters(world: World, staff: Client) -> None:
    response = staff.get(reverse("members:list"), {"q": "hà", "status": "official"})
    html = response.content.decode()
    assert f"{reverse('members:export')}?q=h%C3%A0&amp;status=official" in html
    partial = staff.get(
        reverse("members:list"), {"q": "lan"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    assert "?q=lan&amp;status=" in partial.content.decode()


@pytest.mark.parametrize(
    ("persona", "shown"),
    [("staff_a", True), ("secretary_a", True), ("inspector_a", False), ("plain_member_a", False)],
)
def test_the_import_link_is_shown_to_users_who_may_edit(
    world: World, client: Client, persona: str, shown: bool
) -> None:
    client.force_login(getattr(world, persona))
    html = client.get(reverse("members:list")).content.decode()
    assert ('id="import-link"' in html) is shown


# --- cell formats -----------------------------------------------------------------------------


def test_identifiers_are_text_and_dates_are_real_dates(world: World) -> None:
    member = full_member(world)
    out = io.BytesIO()
    exporting.export_members(None, MemberFilters(q=member.national_id or ""), out)
    sheet = load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
    header = [c.value for c in sheet[1]]
    cells = {h: sheet.cell(row=2, column=i + 1) for i, h in enumerate(header)}
    nid, birth = cells[H["national_id"]], cells[H["birth_date"]]
    assert (nid.value, nid.data_type, nid.number_format) == ("000192001234", "s", "@")
    assert (birth.value.date(), birth.number_format) == (date(1992, 12, 31), "DD/MM/YYYY")
    assert cells[H["general_education"]].value == "10/10"
    assert cells[BY_FIELD[ORG_NAME].header].value == world.cell_a.name


def test_the_export_sheet_has_its_name_bold_frozen_header_and_column_widths(
    world: World,
) -> None:
    out = io.BytesIO()
    exporting.export_members(None, MemberFilters(), out)
    book = load_workbook(io.BytesIO(out.getvalue()))
    sheet = book.worksheets[0]
    assert book.sheetnames == ["Đảng viên"]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    widths = [sheet.column_dimensions[cell.column_letter].width for cell in sheet[1]]
    assert widths == [c.width for c in COLUMNS]


def test_every_text_column_is_text_formatted_and_every_date_column_a_date(world: World) -> None:
    member = full_member(world)
    out = io.BytesIO()
    exporting.export_members(None, MemberFilters(q=member.national_id or ""), out)
    row = load_workbook(io.BytesIO(out.getvalue())).worksheets[0][2]
    for column, cell in zip(COLUMNS, row, strict=True):
        if column.kind == Kind.DATE:
            assert (cell.data_type, cell.number_format) == ("d", "DD/MM/YYYY"), column.header
        elif column.kind in exporting.TEXT_KINDS:
            assert (cell.data_type, cell.number_format) == ("s", "@"), column.header
        else:
            assert (cell.data_type, cell.number_format) == ("s", "General"), column.header


def test_openpyxl_and_calamine_read_the_same_export(world: World) -> None:
    full_member(world)
    make_member(
        world.cell_a,
        "Lê Văn Ký Tự",
        work_unit='Phòng <PC02> & "Đội 1"\x01',
        residence_detail="Số 7\r\nngõ 12",
        other_name="",
    )
    out = io.BytesIO()
    exporting.export_members(world.staff_a, MemberFilters(), out)

    def plain(value: Any) -> Any:
        return value.date() if isinstance(value, datetime) else value

    by_openpyxl = [
        [plain(v) for v in row]
        for row in load_workbook(io.BytesIO(out.getvalue())).worksheets[0].values
    ]
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(out.getvalue())).get_sheet_by_index(0)
    by_calamine = [[None if v == "" else v for v in row] for row in sheet.to_python()]
    assert by_openpyxl == by_calamine
    special = by_openpyxl[names(by_openpyxl).index("Lê Văn Ký Tự") + 1]
    row = dict(zip(by_openpyxl[0], special, strict=True))
    assert row[H["work_unit"]] == 'Phòng <PC02> & "Đội 1"'  # control character dropped
    assert row[H["residence_detail"]] == "Số 7\r\nngõ 12"
    assert row[H["other_name"]] is None


# --- the round trip ---------------------------------------------------------------------------


def test_export_then_import_in_update_mode_changes_nothing(world: World) -> None:
    member = full_member(world)
    before = {m.pk: audit.snapshot(m) for m in Member.objects.all()}
    out = io.BytesIO()
    exporting.export_members(world.staff_a, MemberFilters(), out)

    batch = importing.start_import(
        actor=world.staff_a,
        data=out.getvalue(),
        filename="xuat.xlsx",
        org=world.province_a,
        mode="update",
    )
    batch = importing.confirm_import(actor=world.staff_a, batch=batch)

    assert batch.state == "done"
    assert batch.counts == {"new": 0, "updated": 0, "unchanged": 5, "skipped": 0, "rejected": 0}
    assert written_events().count() == 0
    assert {m.pk: audit.snapshot(m) for m in Member.objects.all()} == before
    assert Member.objects.get(pk=member.pk).full_name == "Đặng Thị Ngọc Ánh"


def test_every_exported_cell_reads_back_as_the_stored_value(world: World) -> None:
    member = full_member(world)
    out = io.BytesIO()
    exporting.export_members(world.staff_a, MemberFilters(q=member.national_id or ""), out)
    sheet = importing.open_sheet(out.getvalue(), org_required=True)
    [(number, cells)] = list(sheet.rows())
    row = read_row(number, cells, sheet.layout)
    assert row.errors == []
    for name in EDITABLE_FIELDS:
        stored = getattr(member, name)
        if stored in (None, ""):
            assert name not in row.values, name
        else:
            assert row.values[name] == stored, name
    assert row.values["org_code"] == world.cell_a.code


def test_a_round_trip_into_a_fresh_registry_recreates_the_same_members(world: World) -> None:
    member = full_member(world)
    keep = audit.snapshot(member)
    out = io.BytesIO()
    exporting.export_members(world.staff_a, MemberFilters(q=member.national_id or ""), out)
    member.org_history.all().delete()
    member.delete()

    importing.confirm_import(
        actor=world.staff_a,
        batch=importing.start_import(
            actor=world.staff_a,
            data=out.getvalue(),
            filename="xuat.xlsx",
            org=world.province_a,
            mode="skip",
        ),
    )
    again = Member.objects.get(national_id="000192001234")
    ignore = {"id", "created_at", "updated_at"}
    assert {k: v for k, v in audit.snapshot(again).items() if k not in ignore} == {
        k: v for k, v in keep.items() if k not in ignore
    }
