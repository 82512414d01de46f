"""`manage.py demo_logins`: print the demo logins (username, password, role, scope)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cosodang.accounts.models import User
from cosodang.members.demo import DEMO_PASSWORD, DEMO_PERSONAS
from cosodang.orgs.models import PartyOrg
from cosodang.orgs.selectors import ancestors

HEADERS = ("Tên đăng nhập", "Mật khẩu", "Vai trò", "Phạm vi")


class Command(BaseCommand):
    help = "In bảng tài khoản demo (tên đăng nhập, mật khẩu, vai trò, phạm vi) từ cơ sở dữ liệu."

    def place(self, org: PartyOrg) -> str:
        """Name an organisation with its superiors below the root, e.g. "Chi bộ Đội 1 · …"."""
        chain = [o.name for o in ancestors(org) if o.parent_id is not None]
        return " · ".join([org.name, *reversed(chain)])

    def rows(self) -> list[tuple[str, str, str, str]]:
        """Return one row per demo login found in the database, in persona order."""
        users = {
            u.username: u
            for u in User.objects.filter(username__in=[p.username for p in DEMO_PERSONAS])
            .select_related("member")
            .prefetch_related("grants__org")
        }
        rows = []
        for persona in DEMO_PERSONAS:
            user = users.get(persona.username)
            if user is None:
                continue
            grants = sorted(user.grants.all(), key=lambda g: g.org.path)
            role = ", ".join(dict.fromkeys(g.get_role_display() for g in grants)) or "—"
            if user.is_superuser:
                scope = "Toàn hệ thống"
            else:
                scope = "; ".join(self.place(g.org) for g in grants) or "—"
            if user.member is not None:
                scope += f" (hồ sơ: {user.member.full_name})"
            rows.append((user.username, DEMO_PASSWORD, role, scope))
        return rows

    def handle(self, *args: Any, **options: Any) -> None:
        rows = self.rows()
        if not rows:
            self.stdout.write("Chưa có tài khoản demo. Hãy chạy: manage.py seed_demo")
            return
        widths = [max(len(r[i]) for r in [HEADERS, *rows]) for i in range(len(HEADERS))]
        line = "  ".join("-" * w for w in widths)
        self.stdout.write("Tài khoản demo (chỉ dùng cho bản demo, không dùng cho hệ thống thật):")
        for row in [HEADERS, None, *rows]:
            if row is None:
                self.stdout.write(line)
                continue
            cells = (c.ljust(w) for c, w in zip(row, widths, strict=True))
            self.stdout.write("  ".join(cells).rstrip())
        self.stdout.write(line)
        self.stdout.write(
            f"Mật khẩu chung «{DEMO_PASSWORD}» chỉ dành cho dữ liệu mẫu (COSODANG_DEMO=1)."
        )
