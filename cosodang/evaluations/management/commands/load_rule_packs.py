"""Load the rule packs of cosodang/evaluations/rulepacks/ into the database (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cosodang.evaluations.schema import PackError
from cosodang.evaluations.services.packs import sync_builtin_packs


class Command(BaseCommand):
    help = "Nạp các gói quy tắc xếp loại (rulepacks/*.toml) vào cơ sở dữ liệu."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="default", help="Bí danh cơ sở dữ liệu.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = sync_builtin_packs(using=options["database"])
        except PackError as exc:
            raise CommandError(str(exc)) from exc
        for label, codes in (
            ("Tạo mới", report.created),
            ("Cập nhật", report.updated),
            ("Không đổi", report.unchanged),
        ):
            if codes:
                self.stdout.write(f"{label}: {', '.join(codes)}")
