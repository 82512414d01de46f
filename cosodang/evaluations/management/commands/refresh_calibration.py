"""`manage.py refresh_calibration [--period ID]`: mark calibration summaries for recount.

The calibration summary (CalibrationGroup) is kept in step by the ratings services. After a
write that bypassed them (a repair in SQL, a restored backup of some rows), mark the summary
stale: each calibration page then recounts its groups from the ratings on its next view.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cosodang.evaluations.models import CalibrationGroup, Period


class Command(BaseCommand):
    help = "Đánh dấu số liệu tổng hợp của trang hiệu chỉnh cần tính lại (một kỳ hoặc mọi kỳ)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--period", type=int, help="mã kỳ đánh giá (mặc định: mọi kỳ)")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = CalibrationGroup.objects.all()
        if options["period"] is not None:
            if not Period.objects.filter(pk=options["period"]).exists():
                raise CommandError(f"Không có kỳ đánh giá mã {options['period']}.")
            rows = rows.filter(period_id=options["period"])
        n = rows.update(stale=True)
        self.stdout.write(f"Đã đánh dấu {n} dòng tổng hợp cần tính lại khi xem trang hiệu chỉnh.")
