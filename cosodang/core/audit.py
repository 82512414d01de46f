"""Append-only, hash-chained audit trail: one event per service write.

Each event's hash covers its own content and the previous event's hash, and a single
`AuditHead` row holds the newest hash. Editing or deleting any row (including the last one)
breaks the chain, which `manage.py verify_audit` detects.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .models import AuditEvent, AuditHead

GENESIS = "0" * 64
# Personal identifiers: stored in the chain, masked when shown to viewers without the right.
SENSITIVE_FIELDS = frozenset({"national_id", "old_national_id", "card_number", "old_card_number"})


def _plain(value: Any) -> Any:
    """Turn a model value into a JSON-stable plain value for diffs and hashing."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return str(value)


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """Return the concrete field values of `instance` as plain values."""
    out: dict[str, Any] = {}
    for f in instance._meta.concrete_fields:
        if fields is not None and f.name not in fields:
            continue
        out[f.name] = _plain(getattr(instance, f.attname))
    return out


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Return {field: [before, after]} for the fields whose value changed."""
    keys = sorted(set(before) | set(after))
    return {
        k: [before.get(k), after.get(k)]
        for k in keys
        if _plain(before.get(k)) != _plain(after.get(k))
    }


def _canonical(event: AuditEvent) -> bytes:
    payload = {
        "id": event.pk,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "org_path": event.org_path,
        "diff": event.diff,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(event: AuditEvent) -> str:
    """Return the SHA-256 of the event's canonical content including the previous hash."""
    return hashlib.sha256(_canonical(event)).hexdigest()


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    org_path: str = "",
    changes: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event to the chain (call inside the service's transaction)."""
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        event = AuditEvent(
            at=timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_label=getattr(actor, "username", "") or "system",
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_repr=object_repr[:255],
            org_path=org_path,
            diff=json.loads(json.dumps(dict(changes or {}), default=_plain)),
            prev_hash=head.last_hash or GENESIS,
            hash="pending",
        )
        # The id is part of the hashed content, so insert first, then seal.
        event.hash = f"pending-{head.count + 1}"
        event.save(force_insert=True)
        event.hash = compute_hash(event)
        AuditEvent.objects.filter(pk=event.pk).update(hash=event.hash)
        head.last_id = event.pk
        head.last_hash = event.hash
        head.count += 1
        head.save(update_fields=["last_id", "last_hash", "count"])
    return event


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of walking the audit chain."""

    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str = ""


def _iter_events() -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("id").iterator(chunk_size=2000)


def verify_chain() -> VerifyResult:
    """Walk every event in order and report the first broken link, if any."""
    prev_hash = GENESIS
    checked = 0
    last_id: int | None = None
    for event in _iter_events():
        if event.prev_hash != prev_hash:
            return VerifyResult(
                False,
                checked,
                event.pk,
                "liên kết với sự kiện trước bị đứt (có dòng bị xóa hoặc sửa trước đó)",
            )
        if compute_hash(event) != event.hash:
            return VerifyResult(False, checked, event.pk, "nội dung sự kiện đã bị sửa")
        prev_hash = event.hash
        last_id = event.pk
        checked += 1
    head = AuditHead.objects.filter(id=1).first()
    head_hash = head.last_hash if head else ""
    head_count = head.count if head else 0
    if (head_hash or GENESIS) != prev_hash or head_count != checked:
        return VerifyResult(
            False,
            checked,
            head.last_id if head else last_id,
            "sự kiện cuối chuỗi bị xóa hoặc số sự kiện không khớp với đầu chuỗi",
        )
    return VerifyResult(True, checked)


def mask_identifier(value: Any) -> Any:
    """Mask all but the last three characters of an identifier."""
    if not value:
        return value
    text = str(value)
    return "•" * max(len(text) - 3, 0) + text[-3:]


def masked_diff(changes: Mapping[str, Any], *, may_see_identifiers: bool) -> dict[str, Any]:
    """Return the diff with personal identifiers masked unless the viewer may see them."""
    if may_see_identifiers:
        return dict(changes)
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key in SENSITIVE_FIELDS and isinstance(value, list):
            out[key] = [mask_identifier(v) for v in value]
        elif key in SENSITIVE_FIELDS:
            out[key] = mask_identifier(value)
        else:
            out[key] = value
    return out
