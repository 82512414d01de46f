"""Tests for `manage.py import_members` and `manage.py export_members`."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cosodang.core.testing import World
from cosodang.members.models import ImportBatch, Member

from .test_import_support import new_row, read_xlsx, written_events, xlsx

pytestmark = pytest.mark.django_db


def write(tmp_path: Path, data: bytes, name: str = "ds.xlsx") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_members", *args, stdout=out)
    return out.getvalue()


def test_the_command_imports_new_members(world: World, tmp_path: Path) -> None:
    output = run(write(tmp_path, xlsx([new_row(1), new_row(2)])))
    assert "Thêm mới: 2" in output and "Đã nhập xong." in output
    assert Member.objects.filter(national_id__startswith="0010900").count() == 2
    event = written_events().get()
    assert (event.actor_label, event.org_path) == ("system", "")


def test_dry_run_writes_nothing_and_keeps_no_file(world: World, tmp_path: Path) -> None:
    output = run(write(tmp_path, xlsx([new_row(1)])), "--dry-run")
    assert "Kiểm tra (không ghi) — Thêm mới: 1" in output
    assert not Member.objects.filter(national_id="001090000001").exists()
    assert written_events().count() == 0
    batch = ImportBatch.objects.get()
    assert (batch.state, bytes(batch.source)) == ("cancelled", b"")


def test_a_rejected_row_stops_the_command_and_is_reported(world: World, tmp_path: Path) -> None:
    path = write(tmp_path, xlsx([new_row(1), new_row(2, national_id="1234")]))
    report = tmp_path / "loi.xlsx"
    with pytest.raises(CommandError, match="1 dòng bị từ chối"):
        run(path, "--report", str(report))
    assert not Member.objects.filter(national_id="001090000001").exists()
    rows = read_xlsx(report.read_bytes())
    assert rows[1][0] == 3 and "đúng 12 chữ số" in rows[1][-1]


def test_partial_imports_the_valid_rows(world: World, tmp_path: Path) -> None:
    output = run(write(tmp_path, xlsx([new_row(1), new_row(2, national_id="1234")])), "--partial")
    assert "dòng 3, cột «Số CCCD»" in output
    assert Member.objects.filter(national_id="001090000001").exists()


def test_a_bad_file_is_one_command_error(world: World, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="không phải bảng tính Excel"):
        run(write(tmp_path, b"abc"))


def test_org_limits_the_rows_to_its_subtree(world: World, tmp_path: Path) -> None:
    path = write(tmp_path, xlsx([new_row(1, org_code=world.cell_b.code)]))
    with pytest.raises(CommandError):
        run(path, "--org", "HN")
    assert not Member.objects.filter(national_id="001090000001").exists()
    assert "không thuộc" in ImportBatch.objects.get().rejections[0][2]


def test_user_limits_the_import_to_that_users_scope(world: World, tmp_path: Path) -> None:
    path = write(tmp_path, xlsx([new_row(1, org_code=world.cell_b.code)]))
    with pytest.raises(CommandError):
        run(path, "--user", "staff_a")
    assert "trong phạm vi bạn được nhập" in ImportBatch.objects.get().rejections[0][2]


def test_mode_update_through_the_command(world: World, tmp_path: Path) -> None:
    m = world.member_a
    row = new_row(
        0,
        national_id=m.national_id,
        card_number=m.card_number,
        full_name=m.full_name,
        sex="Nữ",
        birth_date=m.birth_date,
        decision_date=m.decision_date,
        ceremony_date=m.ceremony_date,
        official_date=m.official_date,
        work_unit="Phòng Cảnh sát hình sự",
    )
    output = run(write(tmp_path, xlsx([row])), "--mode", "update")
    assert "Cập nhật: 1" in output
    m.refresh_from_db()
    assert m.work_unit == "Phòng Cảnh sát hình sự"


def test_export_command_writes_the_org_subtree(world: World, tmp_path: Path) -> None:
    target = tmp_path / "hn.xlsx"
    out = io.StringIO()
    call_command("export_members", "--org", "HN", "-o", str(target), stdout=out)
    rows = read_xlsx(target.read_bytes())
    assert "Đã xuất 4 đảng viên" in out.getvalue()
    assert len(rows) == 5 and rows[0][0] == "Họ và tên"


def test_export_command_refuses_an_unknown_org(world: World, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Không tìm thấy tổ chức"):
        call_command("export_members", "--org", "KHONG", "-o", str(tmp_path / "x.xlsx"))
