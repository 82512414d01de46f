"""Accounts: users, role grants on organisation subtrees, API tokens."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    """Roles a user can hold on an organisation subtree (see core/access.py)."""

    ADMIN = "admin", "Quản trị hệ thống"
    STAFF = "staff", "Cán bộ tổ chức (cấp ủy)"
    SECRETARY = "secretary", "Bí thư chi bộ"
    INSPECTOR = "inspector", "Cán bộ kiểm tra"
    MEMBER = "member", "Đảng viên"


# Roles that must use two-factor authentication when COSODANG_REQUIRE_2FA is on.
STAFF_ROLES = frozenset({Role.ADMIN, Role.STAFF, Role.SECRETARY, Role.INSPECTOR})


class User(AbstractUser):
    """Log in to cosodang; what a user may see comes from role grants."""

    full_name = models.CharField("họ và tên", max_length=150, blank=True)
    member = models.OneToOneField(
        "members.Member",
        verbose_name="hồ sơ đảng viên",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="user",
    )

    class Meta:
        verbose_name = "người dùng"
        verbose_name_plural = "người dùng"

    def get_full_name(self) -> str:
        return self.full_name or self.username


class RoleGrant(models.Model):
    """Give a user a role over an organisation and its whole subtree."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    org = models.ForeignKey("orgs.PartyOrg", on_delete=models.CASCADE, related_name="grants")
    role = models.CharField("vai trò", max_length=16, choices=Role.choices)
    granted_at = models.DateTimeField("ngày cấp", auto_now_add=True)

    class Meta:
        verbose_name = "phân quyền"
        verbose_name_plural = "phân quyền"
        constraints = [
            models.UniqueConstraint(fields=["user", "org", "role"], name="grant_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.org}"


class ApiToken(models.Model):
    """Authenticate API calls as a user; only a SHA-256 of the secret is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("tên", max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "mã truy cập API"
        verbose_name_plural = "mã truy cập API"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
