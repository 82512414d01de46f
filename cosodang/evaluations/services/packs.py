"""Writes of stored rule packs: load the repo's packs into the database, clone a pack, change a
clone's unconfirmed parameters. Built-in packs are read-only except through the sync.

Every write validates the pack through ``packs.from_dict`` (a pack that does not validate is
never stored), runs in one transaction and appends one audit event.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from cosodang.core import audit
from cosodang.core.access import Action, require
from cosodang.evaluations import packs
from cosodang.evaluations.models import StoredPack
from cosodang.evaluations.rules_packs import editable_parameters
from cosodang.evaluations.schema import PackError, RulePack
from cosodang.evaluations.selectors.packs import rule_pack
from cosodang.orgs.models import PartyOrg

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,39}$")


@dataclass(frozen=True)
class SyncReport:
    """What a sync did, by pack code."""

    created: list[str]
    updated: list[str]
    unchanged: list[str]


def _row_values(pack: RulePack, source_file: str) -> dict[str, Any]:
    return {
        "title": pack.title,
        "effective_from": pack.effective_from,
        "effective_to": pack.effective_to,
        "data": packs.to_dict(pack),
        "source_file": source_file,
    }


def _pack_files(directory: Path) -> dict[str, str]:
    """Return pack code -> file name of every pack file (load_all has validated them)."""
    return {packs.load_pack(p).code: p.name for p in sorted(directory.glob("*.toml"))}


@transaction.atomic
def sync_builtin_packs(
    *, actor: Any = None, directory: Path | str = packs.RULEPACK_DIR, using: str = "default"
) -> SyncReport:
    """Create or update the built-in packs from the repo's files; audit each changed pack once.

    Idempotent: a pack whose stored row already equals its file is not written. A file whose
    code belongs to a clone is refused (PackError), as is any invalid file.

    The first installation (no built-in pack stored yet: a new database, or one flushed by a
    test) is not audited: it copies the repo's files, whose history is the repo's. From then
    on every pack created or changed by a newer file is audited once.
    """
    directory = Path(directory)
    loaded = packs.load_all(directory)
    files = _pack_files(directory)
    existing = {
        p.code: p
        for p in StoredPack.objects.using(using)
        .select_for_update()
        .filter(code__in=[p.code for p in loaded])
    }
    first_install = not StoredPack.objects.using(using).filter(builtin=True).exists()
    report = SyncReport(created=[], updated=[], unchanged=[])
    for pack in loaded:
        values = _row_values(pack, files.get(pack.code, ""))
        row = existing.get(pack.code)
        if row is not None and not row.builtin:
            raise PackError(
                [packs.PackIssue("code", f"mã {pack.code} đã được dùng cho một bản sao")],
                files.get(pack.code, ""),
            )
        if row is None:
            row = StoredPack(code=pack.code, builtin=True, owner=None, owner_path="", **values)
            row.full_clean()
            row.save(using=using, force_insert=True)
            report.created.append(pack.code)
            if first_install:
                continue
            audit.record(
                actor=actor,
                action="evaluations.pack.load",
                obj=row,
                changes={"code": [None, row.code], "source_file": [None, row.source_file]},
            )
            continue
        before = {name: getattr(row, name) for name in values}
        changed = [name for name, value in values.items() if before[name] != value]
        if not changed:
            report.unchanged.append(pack.code)
            continue
        for name in changed:
            setattr(row, name, values[name])
        row.full_clean()
        row.save(using=using, update_fields=[*changed, "updated_at"])
        diff: dict[str, Any] = {
            name: [before[name], values[name]] for name in changed if name != "data"
        }
        if "data" in changed:
            diff["data"] = _data_diff(before["data"], values["data"])
        audit.record(actor=actor, action="evaluations.pack.reload", obj=row, changes=diff)
        report.updated.append(pack.code)
    return report


def _data_diff(before: Any, after: Any, path: str = "") -> dict[str, list[Any]]:
    """Return {dotted path: [before, after]} for the leaves of two pack dicts that differ."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: dict[str, list[Any]] = {}
        for key in sorted(set(before) | set(after)):
            sub = f"{path}.{key}" if path else str(key)
            out.update(_data_diff(before.get(key), after.get(key), sub))
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        out = {}
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            out.update(_data_diff(b, a, f"{path}.{i}"))
        return out
    return {} if before == after else {path or "(gốc)": [before, after]}


def _pack_error(exc: PackError) -> ValidationError:
    """Return a PackError as a ValidationError keyed by the pack paths (forms map them)."""
    errors: dict[str, list[str]] = {}
    for issue in exc.issues:
        errors.setdefault(issue.path or "__all__", []).append(issue.message)
    return ValidationError(errors)


@transaction.atomic
def clone_stored_pack(
    *,
    actor: Any,
    source: StoredPack,
    owner: PartyOrg,
    code: str,
    title: str,
    effective_from: date,
    effective_to: date | None = None,
) -> StoredPack:
    """Copy a pack the actor may read into a clone owned by an organisation they manage.

    The caller has checked that the actor may read ``source``; MANAGE_RULE_PACK on ``owner``
    is checked here. Raise ValidationError (Vietnamese, by field) for a bad code or dates.
    """
    require(actor, Action.MANAGE_RULE_PACK, owner)
    code = code.strip().upper()
    title = title.strip()
    if not CODE_PATTERN.match(code):
        raise ValidationError(
            {"code": "Mã gồm 2–40 ký tự: chữ in hoa không dấu, số, '-' hoặc '_'."}
        )
    if StoredPack.objects.filter(code=code).exists():
        raise ValidationError({"code": f"Mã {code} đã được dùng cho một gói quy tắc khác."})
    if not title:
        raise ValidationError({"title": "Cần nhập tên gói quy tắc."})
    if effective_to is not None and effective_to < effective_from:
        raise ValidationError({"effective_to": "Ngày hết hiệu lực không được trước ngày bắt đầu."})
    base = rule_pack(source)
    try:
        clone = packs.clone_pack(base, code=code, title=title)
        data = packs.to_dict(clone)
        data["effective_from"] = effective_from.isoformat()
        if effective_to is None:
            data.pop("effective_to", None)
        else:
            data["effective_to"] = effective_to.isoformat()
        clone = packs.from_dict(data, origin=code)
    except PackError as exc:
        raise _pack_error(exc) from exc
    row = StoredPack(
        code=code,
        title=title[:255],
        effective_from=effective_from,
        effective_to=effective_to,
        data=packs.to_dict(clone),
        builtin=False,
        derived_from=source,
        owner=owner,
        owner_path=owner.path,
        created_by=actor,
    )
    row.full_clean()
    row.save(force_insert=True)
    audit.record(
        actor=actor,
        action="evaluations.pack.clone",
        obj=row,
        org_path=owner.path,
        changes={
            "derived_from": [None, source.code],
            "owner": [None, owner.code],
            "effective_from": [None, effective_from],
            "effective_to": [None, effective_to],
        },
    )
    return row


@transaction.atomic
def update_clone_parameters(
    *,
    actor: Any,
    stored: StoredPack,
    values: Mapping[str, object],
    reason: str = "",
) -> StoredPack:
    """Change unconfirmed parameters of a clone; audit one event with each before/after.

    ``values`` maps override paths (``rules_packs.Param.path``) to new values; unchanged ones
    are ignored. A path outside the unconfirmed tables, or a value the pack's validation
    refuses, raises ValidationError keyed by the path with the packs' Vietnamese message;
    nothing is written then.
    """
    row = StoredPack.objects.select_for_update().get(pk=stored.pk)
    if row.builtin or row.owner is None:
        raise ValidationError("Gói quy tắc gốc chỉ được xem, không được sửa.")
    require(actor, Action.MANAGE_RULE_PACK, row.owner)
    current = rule_pack(row)
    params = {p.path: p for p in editable_parameters(current)}
    changes: dict[str, object] = {}
    for path, value in values.items():
        param = params.get(path)
        if param is None:
            raise ValidationError(
                {path: "Tham số đã xác nhận theo văn bản hoặc không tồn tại; không được sửa."}
            )
        if value != param.value:
            changes[path] = value
    if not changes:
        return row
    try:
        edited = packs.clone_pack(
            current, code=current.code, title=current.title, overrides=changes
        )
    except PackError as exc:
        raise _pack_error(exc) from exc
    data = packs.to_dict(edited)
    # clone_pack records the pack it copies; an edit keeps the clone's own origin.
    if current.derived_from:
        data["derived_from"] = current.derived_from
    else:  # pragma: no cover - every stored clone was made by clone_stored_pack
        data.pop("derived_from", None)
    try:
        packs.from_dict(data, origin=row.code)
    except PackError as exc:  # pragma: no cover - same pack as above with its origin restored
        raise _pack_error(exc) from exc
    row.data = data
    row.full_clean()
    row.save(update_fields=["data", "updated_at"])
    diff: dict[str, Any] = {path: [params[path].value, value] for path, value in changes.items()}
    if reason.strip():
        diff["reason"] = [None, reason.strip()]
    audit.record(
        actor=actor,
        action="evaluations.pack.edit",
        obj=row,
        org_path=row.owner_path,
        changes=diff,
    )
    return row
