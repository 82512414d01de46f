"""Tests for the import pages: upload → preview → confirm → result, background runs, progress."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cosodang.core.models import AuditEvent
from cosodang.core.testing import World
from cosodang.members import tasks
from cosodang.members.importing import batches
from cosodang.members.models import ImportBatch, Member

from .test_import_support import new_row, run_import, written_events, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(world: World, client: Client) -> Client:
    client.force_login(world.staff_a)
    return client


def upload(client: Client, data: bytes, **fields: Any) -> Any:
    body = {
        "file": SimpleUploadedFile("danh-sach.xlsx", data),
        "org_code": "HN",
        "mode": "skip",
        **fields,
    }
    return client.post(reverse("members:import_upload"), body)


def test_the_upload_form_offers_the_users_top_organisation(staff: Client) -> None:
    response = staff.get(reverse("members:import_upload"))
    assert response.context["form"]["org_code"].value() == "HN"


def test_the_upload_form_takes_the_organisation_of_the_list_filter(
    world: World, staff: Client
) -> None:
    response = staff.get(reverse("members:import_upload"), {"org": world.cell_a.pk})
    assert response.context["form"]["org_code"].value() == world.cell_a.code


def test_the_upload_form_ignores_a_list_filter_the_user_may_not_edit(
    world: World, client: Client
) -> None:
    client.force_login(world.secretary_a)
    response = client.get(reverse("members:import_upload"), {"org": world.province_a.pk})
    assert response.context["form"]["org_code"].value() == world.cell_a.code


def test_upload_preview_confirm_result(world: World, staff: Client) -> None:
    response = upload(staff, xlsx([new_row(1), new_row(2)]))
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("members:import_batch", args=[batch.pk])

    preview = staff.get(response["Location"])
    html = preview.content.decode()
    assert "Xem trước — chưa có gì được ghi" in html and 'id="import-confirm"' in html
    assert preview.context["outcomes"][0][:3] == ("new", "Thêm mới", 2)
    assert not Member.objects.filter(national_id="001090000001").exists()

    done = staff.post(reverse("members:import_confirm", args=[batch.pk]), follow=True)
    assert "Đã nhập xong: 2 đảng viên mới" in done.content.decode()
    assert Member.objects.filter(national_id__in=["001090000001", "001090000002"]).count() == 2


def test_a_second_confirm_does_nothing(world: World, staff: Client) -> None:
    upload(staff, xlsx([new_row(1)]))
    batch = ImportBatch.objects.get()
    url = reverse("members:import_confirm", args=[batch.pk])
    staff.post(url)
    staff.post(url)
    assert Member.objects.filter(national_id="001090000001").count() == 1
    assert AuditEvent.objects.filter(action="members.import_members").count() == 1


def test_refreshing_the_result_page_writes_nothing_more(world: World, staff: Client) -> None:
    upload(staff, xlsx([new_row(1)]))
    batch = ImportBatch.objects.get()
    staff.post(reverse("members:import_confirm", args=[batch.pk]))
    for _ in range(2):
        assert staff.get(reverse("members:import_batch", args=[batch.pk])).status_code == 200
    assert written_events().count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Tệp rỗng"),
        (b"khong phai excel", "không phải bảng tính Excel"),
        (xlsx([], headers=["Họ và tên", "Số CCCD"]), "Tệp thiếu cột bắt buộc"),
    ],
    ids=["empty", "not-a-spreadsheet", "missing-columns"],
)
def test_a_bad_file_gets_one_message_on_the_form_never_a_server_error(
    staff: Client, data: bytes, message: str
) -> None:
    response = upload(staff, data)
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert len(errors) == 1 and message in errors[0]
    assert not ImportBatch.objects.exists()


def test_an_org_code_outside_the_scope_is_refused_on_the_form(world: World, staff: Client) -> None:
    response = upload(staff, xlsx([new_row(1)]), org_code=world.cell_b.code)
    assert "org_code" in response.context["form"].errors


def test_rejected_rows_are_listed_with_a_report_to_download(world: World, staff: Client) -> None:
    upload(staff, xlsx([new_row(1), new_row(2, birth_date="30/02/1991")]))
    batch = ImportBatch.objects.get()
    page = staff.get(reverse("members:import_batch", args=[batch.pk]))
    html = page.content.decode()
    assert "không dòng nào được nhập" in html and 'id="import-confirm"' not in html
    assert page.context["rejections"] == [[3, "Ngày sinh", importing_reason("30/02/1991")]]
    report = staff.get(reverse("members:import_report", args=[batch.pk]))
    assert report["Content-Type"].startswith("application/vnd.openxmlformats")
    assert report["Content-Disposition"].startswith("attachment")


def importing_reason(value: str) -> str:
    return f"Ngày không hợp lệ «{value}» (định dạng dd/mm/yyyy)."


def test_the_partial_checkbox_lets_the_valid_rows_be_confirmed(world: World, staff: Client) -> None:
    upload(staff, xlsx([new_row(1), new_row(2, birth_date="x")]), partial="on")
    batch = ImportBatch.objects.get()
    assert (
        'id="import-confirm"'
        in staff.get(reverse("members:import_batch", args=[batch.pk])).content.decode()
    )
    staff.post(reverse("members:import_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert (batch.state, batch.counts["new"], batch.counts["rejected"]) == ("done", 1, 1)


def test_cancel_drops_the_batch_and_its_file(world: World, staff: Client) -> None:
    upload(staff, xlsx([new_row(1)]))
    batch = ImportBatch.objects.get()
    staff.post(reverse("members:import_cancel", args=[batch.pk]))
    batch.refresh_from_db()
    assert (batch.state, bytes(batch.source)) == ("cancelled", b"")
    staff.post(reverse("members:import_confirm", args=[batch.pk]))
    assert not Member.objects.filter(national_id="001090000001").exists()


def test_another_users_batch_is_not_found(world: World, client: Client) -> None:
    batch = run_import(world, [new_row(1)], confirm=False)
    for user in (world.secretary_a, world.admin, world.staff_b):
        client.force_login(user)
        assert client.get(reverse("members:import_batch", args=[batch.pk])).status_code == 404
        assert client.post(reverse("members:import_confirm", args=[batch.pk])).status_code == 404
    batch.refresh_from_db()
    assert batch.state == "ready"


def test_the_upload_page_lists_only_the_users_own_batches(world: World, client: Client) -> None:
    run_import(world, [new_row(1)], confirm=False)
    client.force_login(world.secretary_a)
    response = client.get(reverse("members:import_upload"))
    assert response.context["batches"] == []


# --- background path (immediate backend in tests) ---------------------------------------------


def test_a_large_file_is_analysed_and_imported_by_tasks(
    world: World, staff: Client, settings: Any
) -> None:
    settings.COSODANG_IMPORT_BACKGROUND_ROWS = 2
    enqueued: list[str] = []
    from django.tasks.signals import task_enqueued

    def remember(sender: Any, task_result: Any, **kwargs: Any) -> None:
        enqueued.append(task_result.task.name)

    task_enqueued.connect(remember)
    try:
        upload(staff, xlsx([new_row(i) for i in range(1, 4)]))
        batch = ImportBatch.objects.get()
        assert (batch.state, batch.total_rows, batch.processed_rows) == ("ready", 3, 3)
        staff.post(reverse("members:import_confirm", args=[batch.pk]))
    finally:
        task_enqueued.disconnect(remember)
    batch.refresh_from_db()
    assert enqueued == ["analyse_import", "run_import"]
    assert (batch.state, batch.processed_rows, batch.counts["new"]) == ("done", 3, 3)
    assert batch.started_at is not None and batch.finished_at is not None


def test_a_small_file_runs_at_once_without_a_task(
    world: World, staff: Client, settings: Any
) -> None:
    settings.COSODANG_IMPORT_BACKGROUND_ROWS = 10
    enqueued: list[str] = []
    from django.tasks.signals import task_enqueued

    def remember(sender: Any, task_result: Any, **kwargs: Any) -> None:
        enqueued.append(task_result.task.name)

    task_enqueued.connect(remember)
    try:
        upload(staff, xlsx([new_row(1)]))
        staff.post(reverse("members:import_confirm", args=[ImportBatch.objects.get().pk]))
    finally:
        task_enqueued.disconnect(remember)
    assert enqueued == []


def test_the_task_does_nothing_unless_the_batch_is_queued(world: World) -> None:
    batch = run_import(world, [new_row(1)])
    assert batch.state == "done"
    tasks.run_import.call(batch.pk)
    tasks.analyse_import.call(batch.pk)
    assert Member.objects.filter(national_id="001090000001").count() == 1
    assert written_events().count() == 1


def test_the_task_does_nothing_for_a_previewed_but_unconfirmed_batch(world: World) -> None:
    batch = run_import(world, [new_row(1)], confirm=False)
    tasks.run_import.call(batch.pk)
    batch.refresh_from_db()
    assert batch.state == "ready"
    assert not Member.objects.filter(national_id="001090000001").exists()


def test_the_progress_block_polls_while_busy(world: World, staff: Client) -> None:
    upload(staff, xlsx([new_row(1), new_row(2)]))
    batch = ImportBatch.objects.get()
    ImportBatch.objects.filter(pk=batch.pk).update(state="running", processed_rows=1)
    response = staff.get(
        reverse("members:import_progress", args=[batch.pk]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert '<progress max="2" value="1">' in html
    assert "HX-Redirect" not in response
    page = staff.get(reverse("members:import_batch", args=[batch.pk]))
    assert 'id="import-progress"' in page.content.decode()


def test_the_progress_block_sends_the_page_to_the_result_when_done(
    world: World, staff: Client
) -> None:
    upload(staff, xlsx([new_row(1)]))
    batch = ImportBatch.objects.get()
    response = staff.get(
        reverse("members:import_progress", args=[batch.pk]), HTTP_HX_REQUEST="true"
    )
    assert response["HX-Redirect"] == reverse("members:import_batch", args=[batch.pk])
    assert "hx-trigger" not in response.content.decode()


def test_a_failure_during_the_write_leaves_a_message_and_nothing_written(
    world: World, monkeypatch: Any
) -> None:
    def boom(scan: Any) -> Any:
        Member.objects.filter(pk=world.member_a.pk).update(police_position="ghi dở")
        raise RuntimeError("disk full")

    monkeypatch.setattr(batches, "_write", boom)
    batch = run_import(world, [new_row(1)])
    world.member_a.refresh_from_db()
    assert (batch.state, world.member_a.police_position) == ("failed", "")
    assert "không dòng nào được ghi" in batch.message


def test_a_member_edited_between_check_and_write_fails_the_batch(
    world: World, monkeypatch: Any
) -> None:
    from .test_import import matching_row

    real_scan = batches._scan

    def scan_then_edit(*args: Any, **kwargs: Any) -> Any:
        result = real_scan(*args, **kwargs)
        Member.objects.filter(pk=world.member_a.pk).update(updated_at=timezone.now())
        return result

    monkeypatch.setattr(batches, "_scan", scan_then_edit)
    batch = run_import(world, [matching_row(world.member_a, work_unit="PC02")], mode="update")
    assert batch.state == "failed" and "vừa được người khác sửa" in batch.message
    world.member_a.refresh_from_db()
    assert world.member_a.work_unit == ""
