"""Create an API token for a user and print its secret once."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cosodang.accounts.models import User
from cosodang.accounts.services import create_api_token


class Command(BaseCommand):
    help = "Tạo mã truy cập API (Bearer) cho một người dùng; mã bí mật chỉ hiển thị một lần."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username", help="tên đăng nhập của người dùng")
        parser.add_argument("--name", default="API", help="tên gợi nhớ của mã (mặc định: API)")

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Không tìm thấy người dùng «{username}».")
        if not user.is_active:
            raise CommandError(
                f"Người dùng «{username}» đã bị khóa; mã truy cập sẽ không dùng được."
            )
        # Run from the server console: the audit event names no user actor ("system").
        token, secret = create_api_token(actor=None, user=user, name=options["name"])
        self.stdout.write(
            self.style.SUCCESS(f"Đã tạo mã truy cập «{token.name}» cho người dùng «{username}».")
        )
        self.stdout.write("Mã bí mật (chỉ hiển thị một lần, hãy lưu lại ngay):")
        self.stdout.write(secret)
        self.stdout.write("Dùng trong tiêu đề HTTP: Authorization: Bearer <mã bí mật>")
