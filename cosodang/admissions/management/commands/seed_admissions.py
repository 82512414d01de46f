"""`manage.py seed_admissions`: demo candidates and cases at every stage (after seed_demo)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cosodang.admissions import demo


class Command(BaseCommand):
    help = (
        "Tạo hồ sơ kết nạp mẫu ở mọi bước trong chi bộ demo (chạy sau seed_demo; bỏ qua nếu đã có)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            made = demo.seed()
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        if made:
            self.stdout.write(self.style.SUCCESS(f"Đã tạo {made} quần chúng ưu tú và hồ sơ mẫu."))
        else:
            self.stdout.write("Đã có hồ sơ kết nạp mẫu: bỏ qua.")
