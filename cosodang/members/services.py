"""Writes to the member registry; each service is atomic and records one audit event."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from cosodang.core import audit
from cosodang.core.errors import RuleViolation, ValidationError
from cosodang.core.vn import fold, name_sort_key
from cosodang.orgs.models import PartyOrg
from cosodang.orgs.rules import OrgType

from . import rules
from .counters import Tally
from .models import (
    Discipline,
    Member,
    OrgMembership,
    PartyAgeGap,
    Position,
    Reward,
)

# Fields a create/update form may set directly.
EDITABLE_FIELDS = (
    "full_name",
    "other_name",
    "sex",
    "birth_date",
    "ethnicity",
    "religion",
    "national_id",
    "old_national_id",
    "phone",
    "email",
    "birth_place_country",
    "birth_place_province",
    "birth_place_detail",
    "hometown_province",
    "hometown_commune",
    "residence_province",
    "residence_commune",
    "residence_detail",
    "card_number",
    "card_issue_place",
    "card_issue_date",
    "old_card_number",
    "first_decision_date",
    "decision_date",
    "ceremony_date",
    "official_date",
    "admitted_under_current_rules",
    "status",
    "status_date",
    "rank",
    "police_position",
    "work_unit",
    "general_education",
    "education",
    "theory_level",
)
# Member records live in cells or grassroots cells (or Party groups inside them).
MEMBER_ORG_TYPES = frozenset({OrgType.CELL, OrgType.GRASSROOTS_CELL, OrgType.GROUP})


def normalise_data(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for key in ("full_name", "other_name"):
        if key in out and out[key] is not None:
            out[key] = " ".join(str(out[key]).split())
    for key in ("national_id", "card_number"):
        if key in out:
            value = (out[key] or "").strip().replace(" ", "")
            out[key] = value or None
    return out


def validate_member(member: Member, *, exclude: list[str] | None = None) -> None:
    """Run field validation and the date rules; raise one ValidationError with everything."""
    errors: dict[str, list[str]] = {}
    try:
        # Check constraints are covered by rules.check_member_dates (no per-row queries).
        member.full_clean(exclude=exclude or [], validate_constraints=False)
    except ValidationError as exc:
        errors.update({k: list(v) for k, v in exc.message_dict.items()})
    if member.birth_date and member.decision_date:
        for field, message in rules.check_member_dates(
            birth_date=member.birth_date,
            decision_date=member.decision_date,
            ceremony_date=member.ceremony_date,
            official_date=member.official_date,
            status=member.status,
            current_rules=member.admitted_under_current_rules,
            today=timezone.localdate(),
        ):
            errors.setdefault(field, []).append(message)
    if member.org_id and member.org.org_type not in MEMBER_ORG_TYPES:
        errors.setdefault("org", []).append(
            "Đảng viên phải sinh hoạt tại một chi bộ (chi bộ cơ sở hoặc chi bộ trực thuộc)."
        )
    if member.org_id and not member.org.is_active:
        errors.setdefault("org", []).append("Chi bộ đã giải thể hoặc sáp nhập.")
    if errors:
        raise ValidationError(errors)


def derive_fields(member: Member) -> None:
    member.name_folded = fold(member.full_name)
    member.sort_key = name_sort_key(member.full_name)
    member.org_path = member.org.path


@transaction.atomic
def create_member(*, actor: Any, org: PartyOrg, data: dict[str, Any]) -> Member:
    """Add a member to the registry in `org`, starting their organisation history."""
    data = normalise_data(data)
    member = Member(org=org, **{k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    validate_member(member)
    derive_fields(member)
    member.save(force_insert=True)
    tally = Tally()
    tally.add(member.org_id, member.status)
    tally.save()
    OrgMembership.objects.create(
        member=member, org=org, start=member.ceremony_date or member.decision_date
    )
    audit.record(
        actor=actor,
        action="members.create_member",
        obj=member,
        org_path=member.org_path,
        changes=audit.diff({}, audit.snapshot(member)),
    )
    return member


@transaction.atomic
def update_member(
    *,
    actor: Any,
    member: Member,
    data: dict[str, Any],
    org: PartyOrg | None = None,
    effective: date | None = None,
) -> Member:
    """Change a member's data; a new cell closes the old membership period and opens one."""
    member = Member.objects.select_for_update().select_related("org").get(pk=member.pk)
    before = audit.snapshot(member)
    counted_as = (member.org_id, member.status)
    data = normalise_data(data)
    for key, value in data.items():
        if key in EDITABLE_FIELDS:
            setattr(member, key, value)
    moved = org is not None and org.pk != member.org_id
    if moved:
        member.org = org  # type: ignore[assignment]
    validate_member(member)
    if member.status == rules.MemberStatus.PROBATIONARY:
        held = Position.objects.filter(member=member, end__isnull=True).exclude(party_post="")
        for pos in held:
            if rules.post_requires_official(rules.PartyPost(pos.party_post)):
                raise RuleViolation(
                    f"Đảng viên dự bị không được giữ chức vụ «{pos.display_title}».",
                    rule="Điều lệ Đảng, Điều 5 khoản 3",
                    field="status",
                )
    derive_fields(member)
    changes = audit.diff(before, audit.snapshot(member))
    changes.pop("updated_at", None)
    if not changes:
        return member  # nothing changed: no write, no audit event
    member.save()
    tally = Tally()
    tally.change(counted_as, (member.org_id, member.status))
    tally.save()
    if moved:
        when = effective or timezone.localdate()
        current = OrgMembership.objects.filter(member=member, end__isnull=True).first()
        if current is not None and when < current.start:
            raise ValidationError(
                {"effective": ["Ngày chuyển sinh hoạt trước ngày bắt đầu sinh hoạt ở chi bộ cũ."]}
            )
        OrgMembership.objects.filter(member=member, end__isnull=True).update(end=when)
        OrgMembership.objects.create(member=member, org=member.org, start=when)
    audit.record(
        actor=actor,
        action="members.update_member",
        obj=member,
        org_path=member.org_path,
        changes=changes,
    )
    return member


def _history_event(actor: Any, action: str, member: Member, row: Any) -> None:
    audit.record(
        actor=actor,
        action=action,
        obj=row,
        object_repr=f"{member} · {row}",
        org_path=member.org_path,
        changes=audit.diff({}, audit.snapshot(row)),
    )


@transaction.atomic
def add_position(
    *,
    actor: Any,
    member: Member,
    start: date,
    party_post: str = "",
    title: str = "",
    org: PartyOrg | None = None,
    kind: str = "party",
    end: date | None = None,
) -> Position:
    """Record a post held by a member; posts reserved to official members are refused."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if (
        party_post
        and member.status not in (rules.MemberStatus.OFFICIAL, rules.MemberStatus.EXEMPTED)
        and rules.post_requires_official(rules.PartyPost(party_post))
    ):
        raise RuleViolation(
            "Đảng viên dự bị không được bầu vào cấp ủy hoặc giữ chức vụ này.",
            rule="Điều lệ Đảng, Điều 5 khoản 3",
            field="party_post",
        )
    row = Position(
        member=member, kind=kind, org=org, party_post=party_post, title=title, start=start, end=end
    )
    if end and end < start:
        raise ValidationError({"end": ["Ngày kết thúc trước ngày bắt đầu."]})
    if not party_post and not title:
        raise ValidationError({"title": ["Nhập chức vụ Đảng hoặc chức danh."]})
    row.full_clean()
    row.save()
    _history_event(actor, "members.add_position", member, row)
    return row


@transaction.atomic
def add_reward(
    *, actor: Any, member: Member, date: date, title: str, decision_ref: str = "", issuer: str = ""
) -> Reward:
    """Record a reward given to a member."""
    row = Reward(member=member, date=date, title=title, decision_ref=decision_ref, issuer=issuer)
    row.full_clean()
    row.save()
    _history_event(actor, "members.add_reward", member, row)
    return row


@transaction.atomic
def add_discipline(
    *,
    actor: Any,
    member: Member,
    date: date,
    form: str,
    reason: str = "",
    decision_ref: str = "",
    issuer: str = "",
) -> Discipline:
    """Record a discipline; probationary members can only be reprimanded or warned."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    discipline_form = rules.DisciplineForm(form)
    if (
        member.status == rules.MemberStatus.PROBATIONARY
        and discipline_form not in rules.PROBATIONARY_ALLOWED_FORMS
    ):
        raise RuleViolation(
            "Đảng viên dự bị chỉ bị kỷ luật bằng hình thức khiển trách hoặc cảnh cáo.",
            rule="Điều lệ Đảng, Điều 35",
            field="form",
        )
    row = Discipline(
        member=member, date=date, form=form, reason=reason, decision_ref=decision_ref, issuer=issuer
    )
    row.full_clean()
    row.save()
    _history_event(actor, "members.add_discipline", member, row)
    return row


@transaction.atomic
def add_gap(
    *, actor: Any, member: Member, start: date, end: date | None, reason: str, note: str = ""
) -> PartyAgeGap:
    """Record a period that does not count towards the member's Party age."""
    if start < member.party_age_start:
        raise ValidationError({"start": ["Khoảng gián đoạn bắt đầu trước ngày kết nạp."]})
    row = PartyAgeGap(member=member, start=start, end=end, reason=reason, note=note)
    row.full_clean()
    if end and end < start:
        raise ValidationError({"end": ["Ngày kết thúc trước ngày bắt đầu."]})
    row.save()
    _history_event(actor, "members.add_gap", member, row)
    return row
