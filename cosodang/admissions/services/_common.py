"""Helpers shared by the admission services: locking, the state move, audit, refusals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django.utils import timezone

from cosodang.core import audit
from cosodang.core.access import Action, require
from cosodang.core.errors import ValidationError
from cosodang.orgs.models import PartyOrg
from cosodang.orgs.rules import OrgType

from .. import rules
from ..models import (
    AdmissionCase,
    CaseEvent,
)
from ..rules import Refusal, State, Step

CANDIDATE_FIELDS = (
    "full_name",
    "sex",
    "birth_date",
    "ethnicity",
    "religion",
    "general_education",
    "education_exception",
    "age_exception",
    "work_unit",
    "residence",
    "married",
    "adult_children",
    "in_pool_since",
    "follower",
    "note",
)
CANDIDATE_ORG_TYPES = frozenset({OrgType.CELL, OrgType.GRASSROOTS_CELL})
UPLOAD_EXTENSIONS = (".pdf", ".docx", ".doc", ".jpg", ".jpeg", ".png", ".odt")
UPLOAD_MAX_BYTES = 10 * 1024 * 1024
DOCX = ".docx"


def refuse(refusals: Sequence[Refusal]) -> None:
    """Raise one ValidationError carrying every refusal, field by field."""
    if not refusals:
        return
    errors: dict[str, list[str]] = {}
    for r in refusals:
        errors.setdefault(r.field or "__all__", []).append(str(r))
    raise ValidationError(errors)


def _today() -> date:
    return timezone.localdate()


def _not_future(day: date, field: str, label: str) -> None:
    if day > _today():
        raise ValidationError({field: [f"{label} không được sau ngày hôm nay."]})


def _lock(case: AdmissionCase) -> AdmissionCase:
    return (
        AdmissionCase.objects.select_for_update(of=("self",))
        .select_related("candidate", "org")
        .get(pk=case.pk)
    )


def _require_step(actor: Any, case: AdmissionCase, step: Step) -> None:
    action = Action.DECIDE_ADMISSION if step in rules.COMMITTEE_STEPS else Action.MANAGE_ADMISSION
    require(actor, action, case.org)


def _event(
    actor: Any,
    case: AdmissionCase,
    summary: str,
    *,
    step: Step | None = None,
    before: State | None = None,
    on: date | None = None,
    opened: bool = False,
) -> None:
    CaseEvent.objects.create(
        case=case,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=getattr(actor, "username", "") or "hệ thống",
        step=step.value if step else "",
        from_state=before.value if before else "",
        to_state=case.state if step or opened else "",
        on=on,
        summary=summary[:500],
    )


def _audit(actor: Any, action: str, obj: Any, org_path: str, changes: dict[str, Any]) -> None:
    audit.record(
        actor=actor, action=f"admissions.{action}", obj=obj, org_path=org_path, changes=changes
    )


def _move(
    actor: Any,
    case: AdmissionCase,
    step: Step,
    *,
    on: date | None,
    summary: str = "",
    fields: Iterable[str] = (),
    before_snapshot: dict[str, Any] | None = None,
) -> AdmissionCase:
    """Apply `step` to a locked case: state, saved fields, timeline line, one audit event."""
    before = State(case.state)
    case.state = rules.next_state(before, step).value
    case.full_clean(exclude=["candidate", "org", "member", "helper"])
    case.save(update_fields=["state", "updated_at", *fields])
    _event(actor, case, summary or rules.STEP_LABELS[step], step=step, before=before, on=on)
    changes = audit.diff(before_snapshot or {}, audit.snapshot(case, ["state", *fields]))
    changes["state"] = [before.value, case.state]
    _audit(actor, step.value, case, case.org_path, changes)
    return case


def _check_state(case: AdmissionCase, step: Step) -> None:
    try:
        rules.next_state(case.state, step)
    except rules.IllegalStep as exc:
        refuse([exc.refusal])


def _present_codes(case: AdmissionCase) -> set[str]:
    return set(case.documents.values_list("code", flat=True))


def has_branch_committee(org: PartyOrg) -> bool:
    """Tell whether the cell sits under a branch Party committee (đảng ủy bộ phận)."""
    parent = org.parent
    return parent is not None and parent.org_type == OrgType.SUB_BRANCH


def _union_introducer(case: AdmissionCase) -> bool:
    return case.introducers.exclude(kind=rules.IntroducerKind.MEMBER).exists()


def _check_documents(case: AdmissionCase, step: Step) -> None:
    missing = rules.missing_documents(
        step,
        _present_codes(case),
        has_branch=has_branch_committee(case.org),
        union_introducer=_union_introducer(case),
    )
    if missing:
        refuse([rules.missing_refusal(missing)])
