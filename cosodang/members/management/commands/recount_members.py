"""`manage.py recount_members`: rebuild the per-organisation member counters from the members."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cosodang.members import counters

SHOWN = 50  # differences listed one by one
LABELS = ("chính thức", "dự bị", "tổng")


class Command(BaseCommand):
    help = (
        "Đếm lại số đảng viên chính thức/dự bị của từng tổ chức từ danh sách đảng viên, so với "
        "bộ đếm mà trang tổ chức dùng, báo các chỗ khác nhau và sửa lại (sửa chữa)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="chỉ kiểm tra: báo khác biệt, không sửa; lỗi (mã thoát 1) nếu có khác biệt",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        check: bool = options["check"]
        differences = counters.recount(fix=not check)
        if not differences:
            self.stdout.write(self.style.SUCCESS("Bộ đếm khớp với danh sách đảng viên."))
            return
        for d in differences[:SHOWN]:
            what = ", ".join(
                f"{label} {was} → {now}"
                for label, was, now in zip(LABELS, d.stored, d.actual, strict=True)
                if was != now
            )
            if d.path_differs:
                what = ", ".join(x for x in (what, "đường dẫn cây đã cũ") if x)
            self.stdout.write(f"  {d.code} {d.name}: {what}")
        if len(differences) > SHOWN:
            self.stdout.write(f"  … và {len(differences) - SHOWN} tổ chức khác")
        if check:
            raise CommandError(f"{len(differences)} tổ chức có bộ đếm sai (chưa sửa).")
        fixed = f"Đã sửa bộ đếm của {len(differences)} tổ chức (ghi một sự kiện nhật ký)."
        self.stdout.write(self.style.SUCCESS(fixed))
