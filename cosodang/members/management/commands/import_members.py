"""`manage.py import_members`: import members from .xlsx (same services as the page)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cosodang.accounts.models import User
from cosodang.members import exporting, importing
from cosodang.members import importing_rules as R
from cosodang.members.models import ImportBatch
from cosodang.orgs.models import PartyOrg

SHOWN_REJECTIONS = 50


class Command(BaseCommand):
    help = (
        "Nhập đảng viên từ tệp Excel (.xlsx) theo mẫu cột của hệ thống (docs/import-format.md). "
        "Mặc định: có dòng lỗi thì không nhập dòng nào."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="tệp .xlsx")
        parser.add_argument(
            "--org",
            help="mã tổ chức nhận: chi bộ mặc định cho dòng không ghi mã, và chỉ nhận các dòng "
            "thuộc tổ chức này cùng các cấp dưới",
        )
        parser.add_argument(
            "--mode",
            choices=[m.value for m in R.ImportMode],
            default=R.ImportMode.SKIP.value,
            help="với đảng viên đã có: skip = bỏ qua, update = cập nhật, fill = chỉ điền ô trống",
        )
        parser.add_argument("--dry-run", action="store_true", help="chỉ kiểm tra, không ghi")
        parser.add_argument(
            "--partial", action="store_true", help="nhập các dòng hợp lệ, báo cáo các dòng lỗi"
        )
        parser.add_argument(
            "--user",
            help="nhập với quyền của người dùng này (mặc định: toàn quyền, chạy từ máy chủ)",
        )
        parser.add_argument("--report", help="ghi các dòng bị từ chối kèm lý do ra tệp .xlsx")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"Không tìm thấy người dùng «{options['user']}».")
        org = None
        if options["org"]:
            org = (
                importing.find_target_org(actor, options["org"])
                if actor is not None
                else PartyOrg.objects.filter(code=options["org"]).first()
            )
            if org is None:
                raise CommandError(f"Không tìm thấy tổ chức mã «{options['org']}».")
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Không đọc được tệp {path}: {exc.strerror}") from None
        started = time.monotonic()
        try:
            batch = importing.start_import(
                actor=actor,
                data=data,
                filename=path.name,
                org=org,
                mode=options["mode"],
                partial=options["partial"],
                analyse=False,
            )
        except importing.ImportFileError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Tệp {path.name}: {batch.total_rows} dòng dữ liệu.")
        progress = self._progress(batch.total_rows)
        if options["dry_run"]:
            importing.analyse_import(batch.pk, progress=progress)
        else:
            importing.confirm_import(
                actor=actor, batch=batch, preview=False, background=False, progress=progress
            )
        result = ImportBatch.objects.get(pk=batch.pk)
        self._summary(result, time.monotonic() - started, dry_run=options["dry_run"])
        if options["report"] and result.rejections:
            header, rows = importing.rejected_rows(result)
            with open(options["report"], "wb") as out:
                exporting.write_rejected_rows(out, header, rows)
            self.stdout.write(f"Đã ghi các dòng bị từ chối vào {options['report']}.")
        if options["dry_run"]:
            importing.cancel_import(actor=actor, batch=result)  # a dry run keeps no file
        rejected = result.counts.get(R.Outcome.REJECTED.value, 0)
        if result.state == R.ImportState.FAILED or (rejected and not result.partial):
            raise CommandError(result.message or f"Có {rejected} dòng bị từ chối.")

    def _progress(self, total: int) -> importing.Progress:
        step, shown = max(total // 10, 1), [0]

        def show(done: int) -> None:
            if done - shown[0] >= step or done == total:
                shown[0] = done
                self.stdout.write(f"Đã kiểm tra {done}/{total} dòng…")

        return show

    def _summary(self, batch: ImportBatch, seconds: float, *, dry_run: bool) -> None:
        counts = batch.counts
        parts = ", ".join(f"{R.OUTCOME_LABELS[o]}: {counts.get(o.value, 0)}" for o in R.Outcome)
        verb = "Kiểm tra (không ghi)" if dry_run else batch.state_label
        self.stdout.write(f"{verb} — {parts} ({seconds:.1f} giây).")
        for number, column, message in batch.rejections[:SHOWN_REJECTIONS]:
            self.stdout.write(f"  dòng {number}, cột «{column}»: {message}")
        if len(batch.rejections) > SHOWN_REJECTIONS:
            self.stdout.write(f"  … và {len(batch.rejections) - SHOWN_REJECTIONS} lỗi khác.")
        if batch.state == R.ImportState.DONE:
            self.stdout.write(self.style.SUCCESS("Đã nhập xong."))
