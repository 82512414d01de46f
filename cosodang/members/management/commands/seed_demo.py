"""`manage.py seed_demo`: fill an empty database with the deterministic CAND demo."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cosodang.core.vn import parse_date
from cosodang.members import demo


def _n(value: int) -> str:
    """Format an integer with Vietnamese thousands separators (1.000.000)."""
    return f"{value:,}".replace(",", ".")


class Command(BaseCommand):
    help = (
        "Tạo dữ liệu mẫu theo mô hình Đảng bộ Công an Trung ương (tổ chức đảng, đảng viên, "
        "tài khoản demo). Chỉ dùng cho bản demo, trên cơ sở dữ liệu trống."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--members",
            type=int,
            default=demo.DEFAULT_MEMBERS,
            help="số đảng viên mẫu (mặc định %(default)s)",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=demo.DEFAULT_SEED,
            help="hạt giống ngẫu nhiên: cùng số liệu cho cùng hạt giống",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=demo.DEFAULT_BATCH,
            help="số đảng viên ghi mỗi đợt (mặc định %(default)s)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="bỏ qua (không báo lỗi) nếu cơ sở dữ liệu đã có dữ liệu",
        )
        parser.add_argument(
            "--today",
            type=parse_date,
            default=demo.REFERENCE_DATE,
            help="ngày tham chiếu dd/mm/yyyy (mặc định 01/11/2026)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        members: int = options["members"]
        if demo.database_has_data():
            if options["if_empty"]:
                self.stdout.write("Cơ sở dữ liệu đã có dữ liệu: bỏ qua tạo dữ liệu mẫu.")
                return
            raise CommandError(
                "Cơ sở dữ liệu đã có dữ liệu (đảng viên, tổ chức đảng hoặc tài khoản demo). "
                "seed_demo chỉ chạy trên cơ sở dữ liệu trống: hãy dùng một cơ sở dữ liệu mới."
            )
        if members < demo.MIN_MEMBERS:
            raise CommandError(f"Cần ít nhất {demo.MIN_MEMBERS} đảng viên mẫu (--members).")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size phải lớn hơn 0.")
        today: date = options["today"]
        step = max(options["batch_size"], members // 20)
        shown = 0

        def progress(done: int, total: int) -> None:
            nonlocal shown
            if done - shown >= step or (done == total and shown != total):
                shown = done
                self.stdout.write(f"Đã tạo {_n(done)}/{_n(total)} đảng viên…")

        started = time.monotonic()
        result = demo.seed(
            members=members,
            seed=options["seed"],
            batch_size=options["batch_size"],
            today=today,
            progress=progress,
        )
        seconds = time.monotonic() - started
        summary = (
            f"Đã tạo dữ liệu mẫu: {_n(result.members)} đảng viên, {_n(result.orgs)} tổ chức đảng "
            f"({_n(result.cells)} chi bộ), {result.users} tài khoản demo trong {seconds:.1f} giây."
        )
        self.stdout.write(self.style.SUCCESS(summary))
