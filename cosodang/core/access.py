"""Who may do what, where: the only place that scopes data to a user.

A role grant on an organisation covers its whole subtree (`path__startswith`). A plain
member sees their own record and their own cell, nothing else. Anything a user may not
see answers 404, exactly like something that does not exist.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.http import Http404

from cosodang.accounts.models import Role


class Action(StrEnum):
    """Things a user may do on objects within a scope."""

    VIEW_ORG = "view_org"
    MANAGE_ORG = "manage_org"
    VIEW_MEMBER = "view_member"
    EDIT_MEMBER = "edit_member"
    VIEW_IDENTIFIERS = "view_identifiers"
    VIEW_AUDIT = "view_audit"
    MANAGE_USERS = "manage_users"
    # Quality evaluation (evaluations app).
    VIEW_EVALUATION = "view_evaluation"
    ASSESS_MEMBER = "assess_member"  # cell committee: assess, record comments, propose
    DECIDE_EVALUATION = "decide_evaluation"  # deciding committee: plan, calibrate, decide, publish
    MANAGE_RULE_PACK = "manage_rule_pack"
    # A plain member names the members of their own cell for a peer comment (no role needs it).
    PEER_REVIEW = "peer_review"
    # Admission of new members (admissions app).
    VIEW_ADMISSION = "view_admission"
    MANAGE_ADMISSION = "manage_admission"  # cell: candidates, dossier, cell votes
    DECIDE_ADMISSION = "decide_admission"  # grassroots committee: resolutions, decisions


ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.STAFF: frozenset(
        {
            Action.VIEW_ORG,
            Action.MANAGE_ORG,
            Action.VIEW_MEMBER,
            Action.EDIT_MEMBER,
            Action.VIEW_IDENTIFIERS,
            Action.VIEW_AUDIT,
            Action.VIEW_EVALUATION,
            Action.ASSESS_MEMBER,
            Action.DECIDE_EVALUATION,
            Action.MANAGE_RULE_PACK,
            Action.VIEW_ADMISSION,
            Action.MANAGE_ADMISSION,
            Action.DECIDE_ADMISSION,
        }
    ),
    Role.SECRETARY: frozenset(
        {
            Action.VIEW_ORG,
            Action.VIEW_MEMBER,
            Action.EDIT_MEMBER,
            Action.VIEW_IDENTIFIERS,
            Action.VIEW_AUDIT,
            Action.VIEW_EVALUATION,
            Action.ASSESS_MEMBER,
            Action.VIEW_ADMISSION,
            Action.MANAGE_ADMISSION,
        }
    ),
    Role.INSPECTOR: frozenset(
        {
            Action.VIEW_ORG,
            Action.VIEW_MEMBER,
            Action.VIEW_IDENTIFIERS,
            Action.VIEW_AUDIT,
            Action.VIEW_EVALUATION,
            Action.VIEW_ADMISSION,
        }
    ),
    # Self-service: handled by the own-record clauses below, not by a subtree.
    Role.MEMBER: frozenset(),
}

# What a plain member may do on their own record / their own cell.
SELF_ACTIONS: frozenset[Action] = frozenset(
    {Action.VIEW_MEMBER, Action.VIEW_ORG, Action.PEER_REVIEW}
)


def _grants(actor: Any) -> list[tuple[str, Role]]:
    """Return (org path, role) pairs of the actor's grants, cached on the user object."""
    cached = getattr(actor, "_cosodang_grants", None)
    if cached is None:
        cached = [
            (path, Role(role))
            for path, role in actor.grants.filter(org__effective_to__isnull=True).values_list(
                "org__path", "role"
            )
        ]
        actor._cosodang_grants = cached
    return cached


def is_authenticated(actor: Any) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False))


def scope_paths(actor: Any, action: Action) -> list[str] | None:
    """Return the subtree paths where `actor` may do `action`; None means everywhere."""
    if not is_authenticated(actor) or not actor.is_active:
        return []
    if actor.is_superuser:
        return None
    paths = sorted({p for p, role in _grants(actor) if action in ROLE_ACTIONS[role]})
    # Drop paths already covered by a shorter granted path.
    out: list[str] = []
    for p in paths:
        if not any(p.startswith(q) for q in out):
            out.append(p)
    return out


def roles_of(actor: Any) -> set[Role]:
    """Return the set of roles the actor holds anywhere."""
    if not is_authenticated(actor):
        return set()
    return {role for _, role in _grants(actor)}


def can(actor: Any, action: Action, org: Any) -> bool:
    """Return whether `actor` may do `action` on organisation `org`."""
    paths = scope_paths(actor, action)
    if paths is None:
        return True
    if any(org.path.startswith(p) for p in paths):
        return True
    return action in SELF_ACTIONS and action == Action.VIEW_ORG and _own_org_id(actor) == org.pk


def can_anywhere(actor: Any, action: Action) -> bool:
    """Return whether `actor` may do `action` somewhere (used to show menu entries)."""
    paths = scope_paths(actor, action)
    return paths is None or bool(paths)


def _own_member_id(actor: Any) -> int | None:
    return getattr(actor, "member_id", None) if is_authenticated(actor) else None


def _own_org_id(actor: Any) -> int | None:
    member_id = _own_member_id(actor)
    if member_id is None:
        return None
    cached = getattr(actor, "_cosodang_own_org", None)
    if cached is None:
        from cosodang.members.models import Member

        cached = Member.objects.filter(pk=member_id).values_list("org_id", flat=True).first()
        actor._cosodang_own_org = cached or 0
    return cached or None


def _self_clause(model: type[models.Model], actor: Any, action: Action) -> Q | None:
    """Return the clause for what a plain member sees of their own, if anything."""
    label = model._meta.label
    if action == Action.VIEW_EVALUATION and label in _OWN_EVALUATION:
        return _own_evaluation_clause(label, actor)
    if action not in SELF_ACTIONS:
        return None
    if label == "members.Member" and action == Action.VIEW_MEMBER:
        member_id = _own_member_id(actor)
        return Q(pk=member_id) if member_id else None
    if label == "orgs.PartyOrg" and action == Action.VIEW_ORG:
        org_id = _own_org_id(actor)
        return Q(pk=org_id) if org_id else None
    if label == "members.Member" and action == Action.PEER_REVIEW:
        # The other members of their own cell (names only are shown; rules.md §1.5 peers).
        org_id = _own_org_id(actor)
        return Q(org_id=org_id) & ~Q(pk=_own_member_id(actor)) if org_id else None
    return None


# Evaluation records a member sees of their own (VIEW_EVALUATION): their self-review, their
# rating, their objections and the peer comments they wrote; and, since results are published
# to the organisation (rules.md §1.7), the ratings of their own cell once published.
_OWN_EVALUATION = frozenset(
    {
        "evaluations.SelfReview",
        "evaluations.Rating",
        "evaluations.Objection",
        "evaluations.Assessment",
    }
)
_PUBLISHED_RATING_STATES = ("published", "locked")


def _own_evaluation_clause(label: str, actor: Any) -> Q | None:
    member_id = _own_member_id(actor)
    if not member_id:
        return None
    if label == "evaluations.SelfReview":
        return Q(member_id=member_id)
    if label == "evaluations.Objection":
        return Q(rating__member_id=member_id)
    if label == "evaluations.Assessment":
        return Q(author_id=actor.pk, source="peer")
    own = Q(member_id=member_id)
    org_id = _own_org_id(actor)
    if org_id:
        own |= Q(org_id=org_id, state__in=_PUBLISHED_RATING_STATES)
    return own


def visible_to[M: models.Model](
    actor: Any, queryset: models.QuerySet[M], action: Action
) -> models.QuerySet[M]:
    """Restrict `queryset` to the rows `actor` may `action`; each model names its scope path."""
    scope_field: str = queryset.model.scope_path  # type: ignore[attr-defined]
    paths = scope_paths(actor, action)
    if paths is None:
        return queryset
    clause = Q()
    for p in paths:
        clause |= Q(**{f"{scope_field}__startswith": p})
    own = _self_clause(queryset.model, actor, action)
    if own is not None:
        clause |= own
    if not clause:
        return queryset.none()
    return queryset.filter(clause)


def get_for[M: models.Model](
    actor: Any, queryset: models.QuerySet[M], action: Action, **lookup: Any
) -> M:
    """Return the object if it exists and `actor` may `action` it; else 404 (same for both)."""
    try:
        return visible_to(actor, queryset, action).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404("Không tìm thấy") from exc


def require(actor: Any, action: Action, org: Any) -> None:
    """Raise 404 unless `actor` may do `action` on `org`."""
    if not can(actor, action, org):
        raise Http404("Không tìm thấy")


def may_see_identifiers(actor: Any, org_path: str) -> bool:
    """Return whether `actor` may see unmasked personal identifiers under `org_path`."""
    paths = scope_paths(actor, Action.VIEW_IDENTIFIERS)
    if paths is None:
        return True
    return any(org_path.startswith(p) for p in paths)
