"""Tests for the member import services: bad input, matching, modes, atomicity, audit, queries."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cosodang.core.testing import World, make_member, make_org
from cosodang.members import importing
from cosodang.members.importing import ImportFileError
from cosodang.members.models import ImportBatch, Member, OrgMembership, Position
from cosodang.orgs.rules import OrgType

from .test_import_support import HEADERS, H, new_row, reasons, run_import, written_events, xlsx

pytestmark = pytest.mark.django_db


def start(world: World, data: bytes, **kwargs: object) -> ImportBatch:
    options = {"org": world.province_a, "mode": "skip", **kwargs}
    return importing.start_import(
        actor=world.staff_a,
        data=data,
        filename="tep.xlsx",
        **options,  # type: ignore[arg-type]
    )


def only_reason(batch: ImportBatch) -> tuple[int, str, str]:
    assert len(batch.rejections) == 1, batch.rejections
    return reasons(batch)[0]


# --- whole-file problems: one message, nothing stored -----------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "Tệp rỗng"),
        (b"ho va ten;ngay sinh\nNguyen Van A;01/01/1990\n", "không phải bảng tính Excel"),
        (b"%PDF-1.4 not a workbook", "không phải bảng tính Excel"),
    ],
    ids=["empty-file", "csv-text", "pdf"],
)
def test_a_file_that_is_not_a_spreadsheet_gets_one_message(
    world: World, data: bytes, expected: str
) -> None:
    with pytest.raises(ImportFileError, match=expected):
        start(world, data)
    assert not ImportBatch.objects.exists()


def test_a_zip_that_is_not_a_workbook_is_not_a_spreadsheet(world: World) -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(ImportFileError, match="không phải bảng tính Excel"):
        start(world, buffer.getvalue())


def test_a_sheet_with_headers_and_no_rows_is_refused(world: World) -> None:
    with pytest.raises(ImportFileError, match="chưa có dòng dữ liệu"):
        start(world, xlsx([]))


def test_an_empty_workbook_is_refused(world: World) -> None:
    with pytest.raises(ImportFileError, match="trang tính trống"):
        start(world, xlsx([], headers=[]))


def test_missing_required_columns_are_named_in_one_message(world: World) -> None:
    headers = [h for h in HEADERS if h not in (H["birth_date"], H["status"])]
    with pytest.raises(ImportFileError) as exc:
        start(world, xlsx([new_row()], headers))
    assert "«Ngày sinh»" in str(exc.value) and "«Tình trạng»" in str(exc.value)


def test_the_org_code_column_is_required_without_a_target_organisation(world: World) -> None:
    headers = [h for h in HEADERS if h != H["org_code"]]
    with pytest.raises(ImportFileError, match="Mã tổ chức"):
        start(world, xlsx([new_row()], headers), org=None)


def test_a_file_without_a_header_row_is_refused(world: World) -> None:
    with pytest.raises(ImportFileError, match="Không tìm thấy dòng tiêu đề"):
        start(world, xlsx([], headers=["Danh sách đảng viên năm 2026"]))


def test_extra_sheets_holding_data_are_refused_with_their_names(world: World) -> None:
    data = xlsx([new_row()], extra_sheets={"Ghi chú": [["Không nhập trang này"]]})
    with pytest.raises(ImportFileError, match=r"2 trang tính.*«Ghi chú»"):
        start(world, data)


def test_an_empty_extra_sheet_is_ignored(world: World) -> None:
    batch = start(world, xlsx([new_row()], extra_sheets={"Sheet2": []}))
    assert batch.counts["new"] == 1


def test_a_repeated_column_is_refused(world: World) -> None:
    with pytest.raises(ImportFileError, match="xuất hiện hai lần"):
        start(world, xlsx([new_row()], [*HEADERS, "Số CCCD"]))


def test_headers_match_without_diacritics_and_case(world: World) -> None:
    plain = {h: h.upper() for h in HEADERS}
    plain[H["full_name"]] = "ho va ten"
    row = {plain[k]: v for k, v in new_row().items()}
    batch = start(world, xlsx([row], [plain[h] for h in HEADERS]))
    assert batch.counts["new"] == 1


def test_unknown_columns_are_listed_and_ignored(world: World) -> None:
    batch = start(world, xlsx([{**new_row(), "Sở thích": "cờ tướng"}], [*HEADERS, "Sở thích"]))
    assert (batch.counts["new"], batch.preview["unknown"]) == (1, ["Sở thích"])


def test_row_numbers_are_sheet_rows_when_a_title_sits_above_the_header(world: World) -> None:
    data = xlsx(
        [new_row(1), new_row(2, **{"birth_date": "31/02/1990"})],
        title_rows=[["DANH SÁCH ĐẢNG VIÊN"], []],
    )
    batch = start(world, data)
    assert only_reason(batch)[:2] == (5, H["birth_date"])


# --- rows: every rejection has its row, column and a Vietnamese reason ------------------------


@pytest.mark.parametrize(
    ("fields", "column", "reason"),
    [
        ({"birth_date": "31/02/1990"}, "Ngày sinh", "ngày không hợp lệ «31/02/1990»"),
        ({"birth_date": "ngày 3 tháng 2"}, "Ngày sinh", "ngày không hợp lệ"),
        ({"national_id": "0010900000011"}, "Số CCCD", "đúng 12 chữ số (đang có 13"),
        ({"national_id": "00109A000001"}, "Số CCCD", "chỉ được gồm chữ số"),
        ({"national_id": 10900000001}, "Số CCCD", "Văn bản (Text)"),
        ({"card_number": "79000"}, "Số thẻ đảng viên", "đúng 12 chữ số (đang có 5"),
        ({"sex": "Trai"}, "Giới tính", "dùng một trong: Nam, Nữ"),
        ({"status": "Đang sinh hoạt"}, "Tình trạng", "không hợp lệ"),
        ({"full_name": None}, "Họ và tên", "không được để trắng"),
        ({"email": "khong-phai-email"}, "Thư điện tử", "email"),
        ({"full_name": "Phan " * 30}, "Họ và tên", "120"),
    ],
    ids=[
        "invalid-date",
        "text-date",
        "13-digit-id",
        "letters-in-id",
        "id-lost-its-zeros",
        "short-card",
        "unknown-sex",
        "unknown-status",
        "missing-name",
        "bad-email",
        "too-long",
    ],
)
def test_a_bad_cell_rejects_its_row_with_column_and_reason(
    world: World, fields: dict[str, object], column: str, reason: str
) -> None:
    batch = start(world, xlsx([new_row(1, **fields)]))
    number, col, message = only_reason(batch)
    assert (number, col) == (2, column)
    assert reason.lower() in message.lower()


@pytest.mark.parametrize(
    ("fields", "column", "reason"),
    [
        ({"ceremony_date": date(2015, 2, 1)}, "Ngày vào Đảng (lễ kết nạp)", "trước ngày quyết"),
        ({"official_date": date(2016, 5, 1)}, "Ngày chính thức", "đúng 12 tháng"),
        ({"birth_date": date(2000, 1, 1)}, "Ngày quyết định kết nạp", "đủ 18 tuổi"),
        ({"decision_date": date(2090, 1, 1)}, "Ngày quyết định kết nạp", "sau ngày hôm nay"),
        (
            {"status": "Dự bị", "official_date": None},
            "Ngày chính thức",
            "",
        ),
    ],
    ids=["ceremony-before-decision", "official-not-12-months", "under-18", "future", "ok"],
)
def test_inconsistent_dates_reject_the_row_with_the_rule(
    world: World, fields: dict[str, object], column: str, reason: str
) -> None:
    batch = start(world, xlsx([new_row(1, **fields)]))
    if not reason:
        assert batch.counts["new"] == 1
        return
    assert any(col == column and reason in msg for _, col, msg in reasons(batch)), batch.rejections


def test_an_official_date_without_a_ceremony_date_is_rejected(world: World) -> None:
    batch = start(world, xlsx([new_row(1, ceremony_date=None)]))
    assert only_reason(batch)[1:] == (
        "Ngày vào Đảng (lễ kết nạp)",
        "Có ngày chính thức thì phải có ngày vào Đảng (lễ kết nạp)",
    )


def test_a_row_without_any_identifier_is_rejected(world: World) -> None:
    batch = start(world, xlsx([new_row(1, national_id=None, card_number=None)]))
    assert "đối chiếu" in only_reason(batch)[2]


def test_an_unknown_org_code_is_rejected(world: World) -> None:
    batch = start(world, xlsx([new_row(1, org_code="KHONG-CO")]))
    assert only_reason(batch) == (
        2,
        "Mã tổ chức (chi bộ)",
        "Không tìm thấy tổ chức mã «KHONG-CO» trong phạm vi bạn được nhập.",
    )


def test_an_org_outside_the_scope_reads_like_an_unknown_one(world: World) -> None:
    batch = start(world, xlsx([new_row(1, org_code=world.cell_b.code)]))
    assert only_reason(batch)[2] == (
        f"Không tìm thấy tổ chức mã «{world.cell_b.code}» trong phạm vi bạn được nhập."
    )


def test_the_target_organisation_limits_rows_to_its_subtree(world: World) -> None:
    other = make_org("Chi bộ Phòng Tham mưu", OrgType.GRASSROOTS_CELL, world.province_a, "HN-PV")
    batch = start(world, xlsx([new_row(1, org_code=other.code)]), org=world.branch_a)
    assert "không thuộc «Đảng bộ Phòng Cảnh sát hình sự»" in only_reason(batch)[2]


def test_a_row_without_org_code_goes_to_the_target_cell(world: World) -> None:
    batch = run_import(world, [new_row(1, org_code=None)], org="cell_a")
    assert Member.objects.get(national_id="001090000001").org == world.cell_a
    assert batch.counts["new"] == 1


def test_a_row_without_org_code_is_rejected_when_the_target_is_not_a_cell(world: World) -> None:
    batch = start(world, xlsx([new_row(1, org_code=None)]))
    assert "không phải chi bộ" in only_reason(batch)[2]


def test_a_member_of_a_non_cell_org_is_rejected_by_the_member_rules(world: World) -> None:
    batch = start(world, xlsx([new_row(1, org_code=world.branch_a.code)]))
    assert "chi bộ" in only_reason(batch)[2]


def test_a_match_outside_the_scope_is_not_found_and_reveals_nothing(world: World) -> None:
    row = new_row(1, national_id=world.member_b.national_id, full_name="Phạm Văn Dũng")
    batch = start(world, xlsx([row]), mode="update")
    number, column, message = only_reason(batch)
    assert (number, column, message) == (2, "Số CCCD", importing.NOT_FOUND)
    assert world.cell_b.code not in str(batch.preview)


# --- duplicates -------------------------------------------------------------------------------


def test_two_rows_with_the_same_id_are_both_rejected_naming_each_other(world: World) -> None:
    rows = [new_row(1), new_row(2), new_row(3, national_id="001090000001")]
    batch = start(world, rows and xlsx(rows), partial=True)
    found = {(n, msg.split(" trong")[0]) for n, _, msg in reasons(batch)}
    assert found == {(2, "Trùng Số CCCD với dòng 4"), (4, "Trùng Số CCCD với dòng 2")}
    assert batch.counts["new"] == 1


def test_two_rows_that_reach_the_same_member_are_both_rejected(world: World) -> None:
    m = world.member_a
    by_id = new_row(1, national_id=m.national_id, card_number=None, full_name=m.full_name)
    by_card = new_row(2, national_id=None, card_number=m.card_number, full_name=m.full_name)
    batch = run_import(world, [by_id, by_card], mode="update", partial=True)
    assert sorted(n for n, _, _ in reasons(batch)) == [2, 3]
    assert batch.counts == {"new": 0, "updated": 0, "unchanged": 0, "skipped": 0, "rejected": 2}


def test_an_id_of_one_member_with_the_card_of_another_is_rejected(world: World) -> None:
    row = new_row(
        1,
        national_id=world.member_a.national_id,
        card_number=world.secretary_member.card_number,
        full_name=world.member_a.full_name,
    )
    batch = start(world, xlsx([row]), mode="update")
    assert "hai đảng viên khác nhau" in only_reason(batch)[2]


def test_another_persons_id_is_rejected_when_name_and_birth_date_differ(world: World) -> None:
    row = new_row(1, national_id=world.member_a.national_id, card_number=None)
    batch = start(world, xlsx([row]), mode="update")
    assert "đã thuộc một đảng viên khác" in only_reason(batch)[2]
    world.member_a.refresh_from_db()
    assert world.member_a.full_name == "Nguyễn Thị Hà"


# --- modes ------------------------------------------------------------------------------------


def matching_row(member: Member, **fields: object) -> dict[str, object]:
    """Return a row describing `member` as registered, with `fields` changed."""
    values: dict[str, object] = {
        "national_id": member.national_id,
        "card_number": member.card_number,
        "full_name": member.full_name,
        "sex": member.get_sex_display(),
        "birth_date": member.birth_date,
        "org_code": member.org.code,
        "decision_date": member.decision_date,
        "ceremony_date": member.ceremony_date,
        "official_date": member.official_date,
        "status": member.status_label,
    }
    values.update(fields)
    return new_row(0, **values)  # type: ignore[arg-type]


def test_skip_mode_leaves_an_existing_member_untouched(world: World) -> None:
    batch = run_import(world, [matching_row(world.member_a, police_position="Đội trưởng")])
    world.member_a.refresh_from_db()
    assert (batch.counts["skipped"], world.member_a.police_position) == (1, "")


def test_update_mode_changes_the_fields_given(world: World) -> None:
    batch = run_import(
        world, [matching_row(world.member_a, police_position="Đội trưởng")], mode="update"
    )
    world.member_a.refresh_from_db()
    assert (batch.counts["updated"], world.member_a.police_position) == (1, "Đội trưởng")
    assert batch.state == "done"


def test_update_mode_never_erases_with_an_empty_cell(world: World) -> None:
    Member.objects.filter(pk=world.member_a.pk).update(phone="0912345678")
    run_import(world, [matching_row(world.member_a, phone=None)], mode="update")
    world.member_a.refresh_from_db()
    assert world.member_a.phone == "0912345678"


def test_update_mode_renames_and_keeps_the_derived_fields_in_step(world: World) -> None:
    row = matching_row(world.member_a, full_name="Nguyễn Thị Hà Thu")
    run_import(world, [row], mode="update")
    world.member_a.refresh_from_db()
    assert world.member_a.name_folded == "nguyen thi ha thu"


def test_fill_mode_writes_only_empty_fields(world: World) -> None:
    Member.objects.filter(pk=world.member_a.pk).update(phone="0912345678")
    row = matching_row(world.member_a, phone="0999999999", work_unit="Phòng PC02")
    batch = run_import(world, [row], mode="fill")
    world.member_a.refresh_from_db()
    assert (world.member_a.phone, world.member_a.work_unit) == ("0912345678", "Phòng PC02")
    assert batch.counts["updated"] == 1


def test_update_mode_moves_a_member_to_another_cell_with_history(world: World) -> None:
    cell = make_org("Chi bộ Đội 2", OrgType.CELL, world.branch_a, "HN-PC02-D2")
    run_import(world, [matching_row(world.member_a, org_code=cell.code)], mode="update")
    world.member_a.refresh_from_db()
    assert (world.member_a.org, world.member_a.org_path) == (cell, cell.path)
    periods = OrgMembership.objects.filter(member=world.member_a).order_by("id")
    assert [(p.org_id, p.end is None) for p in periods] == [
        (world.cell_a.pk, False),
        (cell.pk, True),
    ]


def test_a_member_made_probationary_while_holding_a_committee_post_is_rejected(
    world: World,
) -> None:
    Position.objects.create(
        member=world.member_a, party_post="bi_thu", org=world.cell_a, start=date(2020, 1, 1)
    )
    row = matching_row(world.member_a, status="Dự bị", official_date=None)
    Member.objects.filter(pk=world.member_a.pk).update(official_date=None)
    batch = start(world, xlsx([row]), mode="update")
    assert "Đảng viên dự bị không được giữ chức vụ «Bí thư»" in only_reason(batch)[2]


def test_a_new_member_gets_derived_fields_and_an_organisation_period(world: World) -> None:
    run_import(world, [new_row(7, full_name="Đặng  Thị   Ánh")])
    m = Member.objects.get(national_id="001090000007")
    assert (m.full_name, m.name_folded, m.org_path) == (
        "Đặng Thị Ánh",
        "dang thi anh",
        world.cell_a.path,
    )
    assert OrgMembership.objects.filter(member=m, start=date(2015, 3, 10)).count() == 1


# --- dry run, all-or-nothing, partial, audit --------------------------------------------------


def test_the_preview_writes_nothing(world: World) -> None:
    before = (Member.objects.count(), written_events().count())
    batch = run_import(world, [new_row(1), new_row(2)], confirm=False)
    assert (batch.state, batch.counts["new"]) == ("ready", 2)
    assert (Member.objects.count(), written_events().count()) == before


def test_by_default_one_rejected_row_means_nothing_is_written(world: World) -> None:
    before = Member.objects.count()
    batch = run_import(world, [new_row(1), new_row(2, birth_date="x")])
    assert batch.state == "refused"
    assert "không dòng nào được nhập" in batch.message
    assert (Member.objects.count(), written_events().count()) == (before, 0)


def test_partial_import_writes_the_valid_rows_and_reports_the_rest(world: World) -> None:
    batch = run_import(world, [new_row(1), new_row(2, birth_date="x")], partial=True)
    assert (batch.state, batch.counts["new"], batch.counts["rejected"]) == ("done", 1, 1)
    assert Member.objects.filter(national_id="001090000001").exists()
    assert not Member.objects.filter(national_id="001090000002").exists()


def test_one_audit_event_per_batch_carries_the_counts(world: World) -> None:
    rows = [new_row(1), new_row(2), matching_row(world.member_a, work_unit="PC02")]
    batch = run_import(world, rows, mode="update")
    event = written_events().get()
    assert (event.action, event.object_id, event.org_path) == (
        "members.import_members",
        str(batch.pk),
        world.province_a.path,
    )
    assert {k: event.diff[k] for k in ("new", "updated", "unchanged")} == {
        "new": 2,
        "updated": 1,
        "unchanged": 0,
    }
    created = {pk for _, pk in batch.report["created"]}
    assert created == set(
        Member.objects.filter(name_folded__startswith="phan van khai").values_list("pk", flat=True)
    )
    assert batch.report["updated"][0][2] == {"work_unit": ["", "PC02"]}


def test_a_batch_that_changes_nothing_records_no_audit_event(world: World) -> None:
    batch = run_import(world, [matching_row(world.member_a)], mode="update")
    assert (batch.state, batch.counts["unchanged"], written_events().count()) == ("done", 1, 0)


def test_the_rejected_rows_report_holds_the_original_row_and_the_reason(world: World) -> None:
    from .test_import_support import read_xlsx

    batch = run_import(world, [new_row(1), new_row(2, birth_date="31/02/1990")], confirm=False)
    header, rows = importing.rejected_rows(batch)
    import io

    from cosodang.members import exporting

    out = io.BytesIO()
    exporting.write_rejected_rows(out, header, rows)
    table = read_xlsx(out.getvalue())
    assert table[0][0] == "Dòng trong tệp gốc" and table[0][-1] == "Lý do"
    assert table[0][1:-1] == HEADERS
    assert len(table) == 2
    assert table[1][0] == 3 and table[1][1] == "Phan Văn Khải 2"
    assert table[1][HEADERS.index(H["birth_date"]) + 1] == "31/02/1990"
    assert table[1][-1] == "Ngày sinh: Ngày không hợp lệ «31/02/1990» (định dạng dd/mm/yyyy)."


# --- bulk: no per-row queries -----------------------------------------------------------------


def _queries_for(world: World, count: int, offset: int) -> int:
    rows = [new_row(offset + i) for i in range(count)]
    rows += [matching_row(world.member_a, work_unit=f"Đơn vị {offset}")]
    data = xlsx(rows)
    with CaptureQueriesContext(connection) as ctx:
        batch = run_import(world, [], data=data, mode="update")
    assert batch.counts["new"] == count, batch.rejections
    return len(ctx.captured_queries)


def test_the_number_of_queries_does_not_grow_with_the_rows(world: World) -> None:
    _queries_for(world, 1, 100)  # warm up: the first audit event creates the chain's head
    small = _queries_for(world, 50, 1000)
    large = _queries_for(world, 200, 2000)
    assert large == small, (small, large)


def test_existing_member_lookups_are_chunked_not_per_row(world: World) -> None:
    members = [make_member(world.cell_a) for _ in range(30)]
    rows = [matching_row(m, work_unit="Đơn vị mới") for m in members]
    with CaptureQueriesContext(connection) as ctx:
        batch = run_import(world, rows, mode="update")
    assert batch.counts["updated"] == 30
    selects = [q for q in ctx.captured_queries if 'FROM "members_member"' in q["sql"]]
    assert len(selects) <= 6, [q["sql"][:80] for q in selects]


def test_every_header_and_alias_names_one_column() -> None:
    from cosodang.members.columns import COLUMNS, HEADER_INDEX

    names = [name for c in COLUMNS for name in (c.header, *c.aliases)]
    assert len(HEADER_INDEX) == len(names)
