"""`manage.py seed_evaluations`: demo review cycle for the demo province (after seed_demo)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cosodang.core.vn import parse_date
from cosodang.evaluations import demo


class Command(BaseCommand):
    help = (
        "Tạo dữ liệu mẫu kiểm điểm, đánh giá cho tỉnh mẫu (Hà Nội): kỳ năm nay đang kiểm điểm "
        "với bản kiểm điểm và nhận xét, kỳ năm trước đã khóa kết quả. Chạy sau seed_demo."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="ngày tham chiếu dd/mm/yyyy (mặc định hôm nay)")
        parser.add_argument(
            "--force",
            action="store_true",
            help="tạo cả khi tỉnh mẫu đã có kỳ đánh giá (mặc định: bỏ qua)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            today = parse_date(options["today"]) if options["today"] else None
            report = demo.seed_evaluations(today=today, if_empty=not options["force"])
        except (ValueError, LookupError) as exc:
            raise CommandError(str(exc)) from exc
        if report.skipped:
            self.stdout.write("Tỉnh mẫu đã có kỳ đánh giá: bỏ qua.")
            return
        assert report.period is not None
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã tạo kỳ {report.period.label} ({report.self_reviews} bản kiểm điểm, "
                f"{report.assessments} nhận xét, {report.ratings} kết quả năm trước)."
            )
        )
