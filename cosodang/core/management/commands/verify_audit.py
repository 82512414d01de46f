"""Walk the audit chain and report OK, or the first broken link (exit status 1)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cosodang.core.audit import verify_chain


class Command(BaseCommand):
    help = "Kiểm tra tính toàn vẹn của chuỗi nhật ký (phát hiện dòng bị sửa hoặc xóa)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_chain()
        if result.ok:
            self.stdout.write(
                self.style.SUCCESS(f"OK: {result.checked} sự kiện, chuỗi nguyên vẹn.")
            )
            return
        raise CommandError(
            f"HỎNG tại sự kiện #{result.broken_at}: {result.reason} "
            f"(đã kiểm tra {result.checked} sự kiện trước đó)."
        )
