"""Writes for accounts: role grants, API tokens, two-factor devices (each audited)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from cosodang.core import audit

from .models import ApiToken, Role, RoleGrant, User

TOKEN_PREFIX = "csd_"


def hash_token(raw: str) -> str:
    """Return the stored form of an API token secret."""
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_api_token(*, actor: Any, user: User, name: str) -> tuple[ApiToken, str]:
    """Create an API token for `user`; the secret is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip() or "API", prefix=raw[:12], key_hash=hash_token(raw)
    )
    audit.record(
        actor=actor,
        action="accounts.create_api_token",
        obj=token,
        object_repr=f"{user.username}: {token.name}",
        changes={"user": [None, user.username], "prefix": [None, token.prefix]},
    )
    return token, raw


@transaction.atomic
def revoke_api_token(*, actor: Any, token: ApiToken) -> ApiToken:
    """Revoke an API token so it no longer authenticates."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    audit.record(
        actor=actor,
        action="accounts.revoke_api_token",
        obj=token,
        changes={"revoked_at": [None, token.revoked_at.isoformat()]},
    )
    return token


def authenticate_token(raw: str) -> User | None:
    """Return the active user owning a valid, unrevoked token, or None."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Touch at most once a minute: keeps the API read path free of writes under load.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def grant_role(*, actor: Any, user: User, org: Any, role: Role) -> RoleGrant:
    """Give `user` a role over `org` and its subtree."""
    grant, _ = RoleGrant.objects.get_or_create(user=user, org=org, role=role)
    audit.record(
        actor=actor,
        action="accounts.grant_role",
        obj=grant,
        org_path=org.path,
        changes={"user": [None, user.username], "role": [None, str(role)]},
    )
    return grant


@transaction.atomic
def start_totp_enrolment(*, actor: Any, user: User) -> TOTPDevice:
    """Create (or reuse) an unconfirmed TOTP device for `user` to scan."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Ứng dụng xác thực", confirmed=False)
        audit.record(
            actor=actor,
            action="accounts.start_totp_enrolment",
            obj=device,
            object_repr=f"TOTP {user.username}",
            changes={"confirmed": [None, False]},
        )
    return device


@transaction.atomic
def confirm_totp_device(*, actor: Any, device: TOTPDevice, token: str) -> bool:
    """Confirm a TOTP device when the first code is right; return whether it was."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if not device.verify_token(token.strip()):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(
        actor=actor,
        action="accounts.confirm_totp_device",
        obj=device,
        object_repr=f"TOTP {device.user}",
        changes={"confirmed": [False, True]},
    )
    return True
