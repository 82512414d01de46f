"""`manage.py send_admission_reminders`: queue today's deadline reminders (run it daily, cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cosodang.admissions import reminders
from cosodang.admissions.tasks import send_deadline_reminders


class Command(BaseCommand):
    help = "Tạo nhắc việc trước các thời hạn kết nạp (chạy hằng ngày)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now", action="store_true", help="chạy ngay trong tiến trình này thay vì xếp hàng"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            created = reminders.send_reminders()
            self.stdout.write(f"Đã tạo {created} nhắc việc.")
        else:
            send_deadline_reminders.enqueue()
            self.stdout.write("Đã xếp hàng tác vụ nhắc việc (manage.py db_worker sẽ chạy).")
