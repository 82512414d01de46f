"""`manage.py export_members`: write members to .xlsx in the import schema."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cosodang.accounts.models import User
from cosodang.core.access import Action, visible_to
from cosodang.members import exporting
from cosodang.members.models import STATUS_CHOICES
from cosodang.members.selectors import MemberFilters
from cosodang.orgs.models import PartyOrg


class Command(BaseCommand):
    help = (
        "Xuất danh sách đảng viên ra tệp Excel (.xlsx) theo mẫu cột nhập/xuất của hệ thống; "
        "tệp này nhập lại được bằng import_members."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("-o", "--output", required=True, help="tệp .xlsx cần ghi")
        parser.add_argument("--org", help="mã tổ chức: chỉ xuất tổ chức này và các cấp dưới")
        parser.add_argument("--status", default="", help="chỉ xuất một tình trạng (mã)")
        parser.add_argument("-q", "--query", default="", help="tìm theo tên, số thẻ hoặc CCCD")
        parser.add_argument(
            "--user",
            help="xuất trong phạm vi của người dùng này (mặc định: toàn bộ, chạy từ máy chủ)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"Không tìm thấy người dùng «{options['user']}».")
        org = None
        if options["org"]:
            orgs = PartyOrg.objects.filter(code=options["org"])
            if actor is not None:
                orgs = visible_to(actor, orgs, Action.VIEW_ORG)
            org = orgs.first()
            if org is None:
                raise CommandError(f"Không tìm thấy tổ chức mã «{options['org']}».")
        if options["status"] and options["status"] not in dict(STATUS_CHOICES):
            raise CommandError(f"Tình trạng không hợp lệ; dùng: {', '.join(dict(STATUS_CHOICES))}.")
        filters = MemberFilters(q=options["query"], org=org, status=options["status"])
        started = time.monotonic()
        with open(options["output"], "wb") as out:
            count = exporting.export_members(actor, filters, out)
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã xuất {count} đảng viên vào {options['output']} trong {seconds:.1f} giây."
            )
        )
