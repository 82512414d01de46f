"""Writes of the candidate pool (quần chúng ưu tú)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from cosodang.core import audit
from cosodang.core.access import Action, require
from cosodang.core.errors import ValidationError
from cosodang.core.vn import fold, name_sort_key
from cosodang.orgs.models import PartyOrg

from ..models import (
    Candidate,
)
from ._common import CANDIDATE_FIELDS, CANDIDATE_ORG_TYPES, _audit, _today

# --------------------------------------------------------------------------------------------
# Candidates
# --------------------------------------------------------------------------------------------


def _candidate_checks(candidate: Candidate) -> None:
    errors: dict[str, list[str]] = {}
    try:
        candidate.full_clean(exclude=["org"])
    except ValidationError as exc:
        errors.update({k: list(v) for k, v in exc.message_dict.items()})
    if candidate.org.org_type not in CANDIDATE_ORG_TYPES or not candidate.org.is_active:
        errors.setdefault("org", []).append(
            "Quần chúng ưu tú do một chi bộ (chi bộ cơ sở hoặc chi bộ trực thuộc) theo dõi."
        )
    if candidate.birth_date and candidate.birth_date > _today():
        errors.setdefault("birth_date", []).append("Ngày sinh không được sau ngày hôm nay.")
    if candidate.follower_id and not candidate.follower.org_path.startswith(  # type: ignore[union-attr]
        candidate.org.path
    ):
        errors.setdefault("follower", []).append("Đảng viên theo dõi phải thuộc chi bộ này.")
    if errors:
        raise ValidationError(errors)


def _candidate_derive(candidate: Candidate) -> None:
    candidate.full_name = " ".join(candidate.full_name.split())
    candidate.name_folded = fold(candidate.full_name)
    candidate.sort_key = name_sort_key(candidate.full_name)
    candidate.org_path = candidate.org.path


@transaction.atomic
def create_candidate(*, actor: Any, org: PartyOrg, data: dict[str, Any]) -> Candidate:
    """Add an outstanding non-member to a cell's candidate pool."""
    require(actor, Action.MANAGE_ADMISSION, org)
    candidate = Candidate(org=org, **{k: v for k, v in data.items() if k in CANDIDATE_FIELDS})
    _candidate_derive(candidate)
    _candidate_checks(candidate)
    candidate.save()
    _audit(
        actor,
        "create_candidate",
        candidate,
        candidate.org_path,
        audit.diff({}, audit.snapshot(candidate)),
    )
    return candidate


@transaction.atomic
def update_candidate(*, actor: Any, candidate: Candidate, data: dict[str, Any]) -> Candidate:
    """Change a candidate's data."""
    candidate = Candidate.objects.select_for_update().select_related("org").get(pk=candidate.pk)
    require(actor, Action.MANAGE_ADMISSION, candidate.org)
    before = audit.snapshot(candidate)
    for key, value in data.items():
        if key in CANDIDATE_FIELDS:
            setattr(candidate, key, value)
    _candidate_derive(candidate)
    _candidate_checks(candidate)
    candidate.save()
    _audit(
        actor,
        "update_candidate",
        candidate,
        candidate.org_path,
        audit.diff(before, audit.snapshot(candidate)),
    )
    return candidate
