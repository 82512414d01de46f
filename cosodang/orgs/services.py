"""Writes to the organisation tree: create, rename, move, merge, dissolve (dated, audited)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import F, Model, Value
from django.db.models.functions import Concat, Substr

from cosodang.core import audit
from cosodang.core.errors import RuleViolation, ValidationError
from cosodang.core.vn import fold

from . import rules
from .models import OrgEvent, OrgEventKind, PartyOrg
from .signals import subtree_moved

SEGMENT_WIDTH = 6
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def path_segment(pk: int) -> str:
    """Encode an id as a fixed-width base-36 path segment followed by a dot."""
    digits = ""
    n = pk
    while n:
        n, r = divmod(n, 36)
        digits = _ALPHABET[r] + digits
    return digits.rjust(SEGMENT_WIDTH, "0") + "."


def _check_parent(org_type: str, parent: PartyOrg | None) -> None:
    try:
        child = rules.OrgType(org_type)
    except ValueError as exc:
        raise ValidationError({"org_type": ["Loại tổ chức không hợp lệ."]}) from exc
    parent_type = rules.OrgType(parent.org_type) if parent else None
    if parent is not None and not parent.is_active:
        raise RuleViolation("Tổ chức cấp trên đã giải thể hoặc sáp nhập.", field="parent")
    if not rules.can_contain(parent_type, child):
        where = rules.ORG_TYPE_LABELS[parent_type] if parent_type else "gốc cây"
        raise RuleViolation(
            f"{rules.ORG_TYPE_LABELS[child]} không thể trực thuộc {where}.",
            rule="Điều lệ Đảng, Điều 10 và 21",
            field="parent",
        )


@transaction.atomic
def create_org(
    *,
    actor: Any,
    code: str,
    name: str,
    org_type: str,
    parent: PartyOrg | None,
    effective_from: date,
    approval_ref: str = "",
    decision_ref: str = "",
) -> PartyOrg:
    """Create an organisation under `parent` and record its founding."""
    _check_parent(org_type, parent)
    org = PartyOrg(
        code=code.strip(),
        name=" ".join(name.split()),
        org_type=org_type,
        parent=parent,
        effective_from=effective_from,
        approval_ref=approval_ref,
        path="",
        depth=(parent.depth + 1) if parent else 0,
    )
    org.name_folded = fold(org.name)
    org.full_clean(exclude=["path"])
    org.path = f"tmp-{code}"
    org.save(force_insert=True)
    org.path = (parent.path if parent else "") + path_segment(org.pk)
    org.save(update_fields=["path"])
    OrgEvent.objects.create(
        org=org,
        kind=OrgEventKind.CREATED,
        date=effective_from,
        new_value=org.name,
        decision_ref=decision_ref,
    )
    audit.record(
        actor=actor,
        action="orgs.create_org",
        obj=org,
        org_path=org.path,
        changes=audit.diff({}, audit.snapshot(org)),
    )
    return org


def _locked(org: PartyOrg) -> PartyOrg:
    return PartyOrg.objects.select_for_update().get(pk=org.pk)


def _require_active(org: PartyOrg) -> None:
    if not org.is_active:
        raise ValidationError("Tổ chức đã giải thể hoặc sáp nhập, không thể thay đổi.")


@transaction.atomic
def rename_org(
    *, actor: Any, org: PartyOrg, name: str, effective: date, decision_ref: str = ""
) -> PartyOrg:
    """Rename an organisation from a date, keeping the old name in its history."""
    org = _locked(org)
    _require_active(org)
    new_name = " ".join(name.split())
    if not new_name:
        raise ValidationError({"name": ["Tên tổ chức không được để trống."]})
    old_name = org.name
    org.name = new_name
    org.name_folded = fold(new_name)
    org.full_clean(exclude=["path"])
    org.save(update_fields=["name", "name_folded"])
    OrgEvent.objects.create(
        org=org,
        kind=OrgEventKind.RENAMED,
        date=effective,
        old_value=old_name,
        new_value=new_name,
        decision_ref=decision_ref,
    )
    audit.record(
        actor=actor,
        action="orgs.rename_org",
        obj=org,
        org_path=org.path,
        changes={"name": [old_name, new_name], "effective": effective.isoformat()},
    )
    return org


def path_copies() -> list[tuple[type[Model], str]]:
    """Return every column that copies an organisation's path, as (model, field name).

    A model whose access scope (`scope_path`) is a column of its own keeps its organisation's
    path in it, and that copy follows the organisation when it moves — otherwise the old
    superior's staff would go on seeing the rows and the new one's would not. The member
    counters too. Not the organisations themselves (`path`, rewritten with their depth), and
    not a model that marks its path as history (`scope_path_fixed`): the audit trail keeps the
    path an event was written with, which its hash chain covers.
    """
    from cosodang.members.models import OrgMemberCount

    copies: list[tuple[type[Model], str]] = [(OrgMemberCount, "org_path")]
    for model in apps.get_models():
        name = getattr(model, "scope_path", None)
        if (
            isinstance(name, str)
            and "__" not in name
            and model is not PartyOrg
            and not getattr(model, "scope_path_fixed", False)
        ):
            copies.append((model, name))
    return copies


def _repath_subtree(old_prefix: str, new_prefix: str, depth_delta: int) -> None:
    """Rewrite the path of every organisation under `old_prefix`, and every copy of it."""
    cut = len(old_prefix) + 1  # Substr is 1-based
    PartyOrg.objects.filter(path__startswith=old_prefix).update(
        path=Concat(Value(new_prefix), Substr("path", cut)),
        depth=F("depth") + depth_delta,
    )
    for model, field in path_copies():
        model._default_manager.filter(**{f"{field}__startswith": old_prefix}).update(
            **{field: Concat(Value(new_prefix), Substr(field, cut))}
        )
    subtree_moved.send(sender=PartyOrg, old_prefix=old_prefix, new_prefix=new_prefix)


@transaction.atomic
def move_org(
    *, actor: Any, org: PartyOrg, new_parent: PartyOrg, effective: date, decision_ref: str = ""
) -> PartyOrg:
    """Place an organisation (with its subtree and members) under another superior."""
    org = _locked(org)
    _require_active(org)
    new_parent = PartyOrg.objects.select_for_update().get(pk=new_parent.pk)
    if new_parent.path.startswith(org.path):
        raise RuleViolation("Không thể chuyển tổ chức vào chính cây con của nó.", field="parent")
    _check_parent(org.org_type, new_parent)
    old_parent = org.parent
    old_path = org.path
    new_path = new_parent.path + path_segment(org.pk)
    _repath_subtree(old_path, new_path, new_parent.depth + 1 - org.depth)
    PartyOrg.objects.filter(pk=org.pk).update(parent=new_parent)
    org.refresh_from_db()
    OrgEvent.objects.create(
        org=org,
        kind=OrgEventKind.MOVED,
        date=effective,
        old_value=str(old_parent or ""),
        new_value=str(new_parent),
        decision_ref=decision_ref,
    )
    audit.record(
        actor=actor,
        action="orgs.move_org",
        obj=org,
        org_path=org.path,
        changes={
            "parent": [str(old_parent or ""), str(new_parent)],
            "path": [old_path, org.path],
            "effective": effective.isoformat(),
        },
    )
    return org


@transaction.atomic
def merge_orgs(
    *, actor: Any, source: PartyOrg, target: PartyOrg, effective: date, decision_ref: str = ""
) -> PartyOrg:
    """Merge `source` into `target`: its members and sub-organisations move, it is closed."""
    from cosodang.members.counters import Tally
    from cosodang.members.models import Member, OrgMembership
    from cosodang.members.services import MEMBER_ORG_TYPES

    source = _locked(source)
    target = _locked(target)
    _require_active(source)
    _require_active(target)
    if source.pk == target.pk or target.path.startswith(source.path):
        raise RuleViolation(
            "Không thể sáp nhập tổ chức vào chính nó hoặc cây con của nó.", field="target"
        )
    if effective < source.effective_from:
        raise ValidationError({"effective": ["Ngày sáp nhập trước ngày thành lập tổ chức."]})
    has_members = Member.objects.filter(org=source).exists()
    if has_members and rules.OrgType(target.org_type) not in MEMBER_ORG_TYPES:
        raise RuleViolation(
            "Tổ chức nhận sáp nhập phải là chi bộ để tiếp nhận đảng viên.",
            rule="Điều lệ Đảng, Điều 24",
            field="target",
        )
    children = list(PartyOrg.objects.filter(parent=source, effective_to__isnull=True))
    for child in children:
        _check_parent(child.org_type, target)
    for child in children:
        new_path = target.path + path_segment(child.pk)
        _repath_subtree(child.path, new_path, target.depth + 1 - child.depth)
        PartyOrg.objects.filter(pk=child.pk).update(parent=target)
    # Locked: a status change waiting on one of these rows then counts it in the target.
    moved_rows = list(
        Member.objects.select_for_update().filter(org=source).values_list("pk", "status")
    )
    moved = [pk for pk, _ in moved_rows]
    tally = Tally()  # the members' counts leave the source for the target
    for _, status in moved_rows:
        tally.change((source.pk, status), (target.pk, status))
    tally.save()
    OrgMembership.objects.filter(member_id__in=moved, org=source, end__isnull=True).update(
        end=effective
    )
    OrgMembership.objects.bulk_create(
        [
            OrgMembership(member_id=pk, org=target, start=effective, note=f"Sáp nhập từ {source}")
            for pk in moved
        ]
    )
    Member.objects.filter(pk__in=moved).update(org=target, org_path=target.path)
    source.effective_to = effective
    source.merged_into = target
    source.save(update_fields=["effective_to", "merged_into"])
    OrgEvent.objects.create(
        org=source,
        kind=OrgEventKind.MERGED,
        date=effective,
        old_value=source.name,
        new_value=target.name,
        decision_ref=decision_ref,
    )
    audit.record(
        actor=actor,
        action="orgs.merge_orgs",
        obj=source,
        org_path=source.path,
        changes={
            "merged_into": [None, str(target)],
            "members_moved": len(moved),
            "children_moved": len(children),
            "effective": effective.isoformat(),
        },
    )
    return target


@transaction.atomic
def dissolve_org(*, actor: Any, org: PartyOrg, effective: date, decision_ref: str = "") -> PartyOrg:
    """Dissolve an empty organisation from a date; it stays in the tree as history."""
    from cosodang.members.models import ACTIVE_STATUSES, Member

    org = _locked(org)
    _require_active(org)
    if PartyOrg.objects.filter(parent=org, effective_to__isnull=True).exists():
        raise RuleViolation("Còn tổ chức trực thuộc đang hoạt động: chuyển hoặc giải thể trước.")
    if Member.objects.filter(org=org, status__in=ACTIVE_STATUSES).exists():
        raise RuleViolation("Còn đảng viên đang sinh hoạt: chuyển sinh hoạt trước khi giải thể.")
    if effective < org.effective_from:
        raise ValidationError({"effective": ["Ngày giải thể trước ngày thành lập."]})
    org.effective_to = effective
    org.save(update_fields=["effective_to"])
    OrgEvent.objects.create(
        org=org,
        kind=OrgEventKind.DISSOLVED,
        date=effective,
        old_value=org.name,
        decision_ref=decision_ref,
    )
    audit.record(
        actor=actor,
        action="orgs.dissolve_org",
        obj=org,
        org_path=org.path,
        changes={"effective_to": [None, effective.isoformat()]},
    )
    return org
