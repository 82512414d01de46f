"""Reads of stored rule packs: lists, the parsed pack of a row (cached), the pack for a date,
the readable view of a pack, and the rule simulator (one subject through the engine).

A built-in pack is readable by everyone logged in; a clone by those who may VIEW_EVALUATION on
its owner organisation (core/access.py). A pack the actor may not see answers like a missing one.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from cosodang.core.access import Action, can_anywhere, get_for, is_authenticated, visible_to
from cosodang.evaluations import packs
from cosodang.evaluations.models import StoredPack
from cosodang.evaluations.rules import Discipline, Result, SubjectInput, evaluate
from cosodang.evaluations.rules_packs import CHOICE_LABELS, describe_clause, percent
from cosodang.evaluations.schema import (
    SUBJECT_KIND_LABELS,
    Criterion,
    Decision,
    DisciplineFormDef,
    Framework,
    NoPackError,
    PackIssue,
    Rule,
    RulePack,
)

# --------------------------------------------------------------------------------------------
# The parsed pack of a row, cached by (id, updated_at): a million evaluations parse it once.
# --------------------------------------------------------------------------------------------

_CACHE: dict[int, tuple[datetime | None, RulePack]] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_LIMIT = 256


def rule_pack(stored: StoredPack) -> RulePack:
    """Return the validated RulePack of a stored row (parsed once per row version)."""
    hit = _CACHE.get(stored.pk)
    if hit is not None and hit[0] == stored.updated_at:
        return hit[1]
    pack = packs.from_dict(stored.data, origin=stored.code)
    with _CACHE_LOCK:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[stored.pk] = (stored.updated_at, pack)
    return pack


# --------------------------------------------------------------------------------------------
# Visibility
# --------------------------------------------------------------------------------------------


def _base() -> QuerySet[StoredPack]:
    return StoredPack.objects.select_related("owner", "derived_from")


def list_packs(actor: Any) -> QuerySet[StoredPack]:
    """List the packs the actor may read: built-in ones, clones within their scope, and the
    pack of every period they take part in (a cell's secretary and members read the rules a
    province's clone applies to them)."""
    from cosodang.evaluations.selectors.cycle import list_periods  # cycle imports this module

    if not is_authenticated(actor):
        return StoredPack.objects.none()
    clones = visible_to(actor, StoredPack.objects.filter(builtin=False), Action.VIEW_EVALUATION)
    in_use = list_periods(actor).order_by().values("pack")
    return _base().filter(Q(builtin=True) | Q(pk__in=clones.values("pk")) | Q(pk__in=in_use))


def get_stored_pack(actor: Any, pk: int) -> StoredPack:
    """Return one pack the actor may read, or 404 (missing and forbidden alike)."""
    try:
        return list_packs(actor).get(pk=pk)
    except (StoredPack.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("Không tìm thấy") from exc


def get_managed_clone(actor: Any, pk: int) -> StoredPack:
    """Return a clone the actor may edit (MANAGE_RULE_PACK on its owner), or 404."""
    return get_for(actor, _base().filter(builtin=False), Action.MANAGE_RULE_PACK, pk=pk)


def get_pack(actor: Any, code: str) -> RulePack:
    """Return the RulePack of a pack the actor may read, by code; NoPackError if none."""
    stored = list_packs(actor).filter(code=code).first()
    if stored is None:
        raise NoPackError(f"Không có gói quy tắc mã «{code}».")
    return rule_pack(stored)


def stored_pack_for_date(on: date) -> StoredPack:
    """Return the built-in pack in force on a date (pass a review period's end date).

    Clones overlap the built-in packs by nature, so a clone is never chosen by date: a period
    names the clone it uses.
    """
    rows = list(
        StoredPack.objects.filter(builtin=True, effective_from__lte=on).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=on)
        )
    )
    if len(rows) != 1:
        # Reuse the engine's wording for "none" and "several".
        packs.pack_for(on, [rule_pack(r) for r in rows])
    return rows[0]


def pack_for_date(actor: Any, on: date) -> RulePack:
    """Return the RulePack of the built-in pack in force on a date; NoPackError if none."""
    del actor  # built-in packs are readable by everyone logged in
    return rule_pack(stored_pack_for_date(on))


def list_simulator_packs(actor: Any) -> list[StoredPack]:
    """Return the packs offered by the simulator, newest first."""
    return list(list_packs(actor).order_by("-builtin", "-effective_from", "code"))


# --------------------------------------------------------------------------------------------
# The list and the readable view of a pack
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackRow:
    """One line of the pack list."""

    stored: StoredPack
    unconfirmed: int


def pack_rows(actor: Any) -> list[PackRow]:
    """Return the packs the actor may read with their count of unconfirmed parameters."""
    return [
        PackRow(stored=s, unconfirmed=len(packs.unconfirmed_parameters(rule_pack(s))))
        for s in list_packs(actor)
    ]


@dataclass(frozen=True)
class RuleView:
    """A condition, KHTNV trigger or cap as shown on the pack page."""

    rule: Rule
    path: str
    kinds: str
    clauses: list[str]


GROUP_LABELS = {"general": "Nhóm tiêu chí chung", "tasks": "Kết quả thực hiện nhiệm vụ"}
APPLIES_LABELS = {
    "individual": "Cá nhân",
    "collective": "Tập thể",
    "both": "Cá nhân và tập thể",
}


@dataclass(frozen=True)
class FrameworkView:
    """A criteria framework with its subject kinds in Vietnamese."""

    framework: Framework
    kinds: str
    criteria: list[tuple[Criterion, str]]  # (criterion, group label)


@dataclass(frozen=True)
class PackView:
    """Everything the pack page shows, already in Vietnamese."""

    stored: StoredPack
    pack: RulePack
    unconfirmed: list[PackIssue]
    frameworks: list[FrameworkView]
    conditions_by_level: list[tuple[str, str, list[RuleView]]]
    triggers: list[RuleView]
    caps: list[RuleView]
    quota_percent: str
    quota_kinds: str
    quota_basis: str
    several_posts: str
    decisions: list[tuple[Decision, str]]
    discipline_forms: list[tuple[DisciplineFormDef, str]]
    overridden: list[str] = field(default_factory=list)


def _kinds_text(kinds: Sequence[str]) -> str:
    return "; ".join(SUBJECT_KIND_LABELS.get(k, k) for k in kinds) or "(chọn khung khi đánh giá)"


def _rule_views(rules: Sequence[Rule], section: str, pack: RulePack) -> list[RuleView]:
    return [
        RuleView(
            rule=r,
            path=f"{section}.{r.id}",
            kinds=_kinds_text(r.kinds),
            clauses=[describe_clause(c, pack) for c in r.when],
        )
        for r in rules
    ]


def pack_view(stored: StoredPack) -> PackView:
    """Return the readable view of a stored pack for its page."""
    pack = rule_pack(stored)
    by_level = []
    for level in ("HTXSNV", "HTTNV", "HTNV"):
        rules = [r for r in pack.conditions if r.level == level]
        by_level.append((level, pack.level_name(level), _rule_views(rules, "conditions", pack)))
    return PackView(
        stored=stored,
        pack=pack,
        unconfirmed=packs.unconfirmed_parameters(pack),
        frameworks=[
            FrameworkView(
                framework=fw,
                kinds=_kinds_text(fw.kinds),
                criteria=[(c, GROUP_LABELS.get(c.group, c.group)) for c in fw.criteria],
            )
            for fw in pack.frameworks
        ],
        conditions_by_level=by_level,
        triggers=_rule_views(pack.khtnv_triggers, "khtnv_triggers", pack),
        caps=_rule_views(pack.caps, "caps", pack),
        quota_percent=percent(pack.quota.max_ratio),
        quota_kinds=_kinds_text(pack.quota.kinds),
        quota_basis=CHOICE_LABELS["basis"].get(pack.quota.basis, pack.quota.basis),
        several_posts=CHOICE_LABELS["combine"].get(
            pack.several_posts.combine, pack.several_posts.combine
        ),
        decisions=[(d, _kinds_text(d.kinds)) for d in pack.decisions],
        discipline_forms=[
            (f, APPLIES_LABELS.get(f.applies_to, f.applies_to)) for f in pack.discipline.forms
        ],
        overridden=list(pack.overridden),
    )


# --------------------------------------------------------------------------------------------
# The rule simulator
# --------------------------------------------------------------------------------------------


class SimulationError(ValueError):
    """A simulator input refused before the engine runs; ``field`` names it (422)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class Simulation:
    """The pack used, the simulated period and the engine's result."""

    pack: RulePack
    period: tuple[date, date]
    result: Result


def may_simulate(actor: Any) -> bool:
    """Return whether the actor may use the simulator (VIEW_EVALUATION somewhere)."""
    return can_anywhere(actor, Action.VIEW_EVALUATION)


def simulation_period(on: date) -> tuple[date, date]:
    """Return the period simulated for a date: its calendar year (the yearly review).

    Disciplines count when decided within this period; the pack is chosen by ``on``.
    """
    return date(on.year, 1, 1), date(on.year, 12, 31)


def resolve_pack(actor: Any, code: str | None, on: date) -> RulePack:
    """Return the named pack (if visible) or the built-in pack in force on the date."""
    if code:
        try:
            return get_pack(actor, code)
        except NoPackError as exc:
            raise SimulationError("pack", str(exc)) from exc
    try:
        return pack_for_date(actor, on)
    except NoPackError as exc:
        raise SimulationError("date", str(exc)) from exc


def simulate(
    actor: Any,
    *,
    pack_code: str | None,
    on: date,
    subject_kind: str,
    score: Decimal | int | float | None,
    tasks_total: int,
    tasks_on_time: int,
    tasks_above_requirement: int = 0,
    tasks_late: int = 0,
    disciplines: Sequence[tuple[str, date]] = (),
    degradation_concluded: bool = False,
    professional_level: str | None = None,
    collective_level: str | None = None,
    grades: Mapping[str, str] | None = None,
    framework: str | None = None,
) -> Simulation:
    """Rate one subject under a pack; raise SimulationError or SubjectInputError naming a field.

    The caller has checked ``may_simulate``. Nothing is written.
    """
    pack = resolve_pack(actor, pack_code, on)
    period = simulation_period(on)
    subject = SubjectInput(
        subject_kind=subject_kind,
        period=period,
        score=score,
        tasks_total=tasks_total,
        tasks_on_time=tasks_on_time,
        tasks_above_requirement=tasks_above_requirement,
        tasks_late=tasks_late,
        disciplines=tuple(Discipline(form, day) for form, day in disciplines),
        degradation_concluded=degradation_concluded,
        professional_level=professional_level,
        collective_level=collective_level,
        grades=grades,
        framework=framework,
    )
    return Simulation(pack=pack, period=period, result=evaluate(subject, pack))


def default_framework(pack: RulePack, kind: str) -> tuple[str, list[tuple[str, str]]] | None:
    """Return (framework id, [(criterion code, title)]) used for a kind, for grade inputs."""
    fw = next((f for f in pack.frameworks if kind in f.kinds), None)
    if fw is None:
        return None
    return fw.id, [(c.code, c.title) for c in fw.criteria]
