"""Shared builders for the evaluation tests: the repo packs and a subject meeting HTXSNV."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from cosodang.evaluations.packs import load_all
from cosodang.evaluations.rules import Reason, Result, SubjectInput, evaluate
from cosodang.evaluations.schema import Level, RulePack

PACKS = {p.code: p for p in load_all()}
QD366, QD124, QD132 = PACKS["QD366"], PACKS["QD124"], PACKS["QD132"]
YEAR = {"QD366": 2025, "QD124": 2024, "QD132": 2020}
GENERAL = ("CHINH_TRI_TU_TUONG", "DAO_DUC_LOI_SONG", "TAC_PHONG_LE_LOI", "Y_THUC_KY_LUAT")
KINDS = ("member", "leader", "collective", "outside_political_system")


def criteria(pack: RulePack, kind: str) -> dict[str, str]:
    """Return criterion code -> group of the default framework of a kind."""
    fw = next(f for f in pack.frameworks if kind in f.kinds)
    return {c.code: c.group for c in fw.criteria}


def grades(pack: RulePack, kind: str, general: str = "T", tasks: str = "XS") -> dict[str, str]:
    """Grade every criterion: one grade for the general group, one for the task group."""
    return {c: general if g == "general" else tasks for c, g in criteria(pack, kind).items()}


def subject(pack: RulePack = QD366, kind: str = "member", **kw: Any) -> SubjectInput:
    """A subject who meets every HTXSNV condition of the pack unless told otherwise."""
    year = YEAR[pack.code]
    base: dict[str, Any] = {
        "subject_kind": kind,
        "period": (date(year, 1, 1), date(year, 12, 31)),
        "tasks_total": 10,
        "tasks_on_time": 10,
        "tasks_above_requirement": 5,
    }
    if pack.scoring == "score":
        base["score"] = Decimal("95")
    else:
        base["grades"] = grades(pack, kind)
    base.update(kw)
    return SubjectInput(**base)


def level(s: SubjectInput, pack: RulePack = QD366) -> Level:
    return evaluate(s, pack).level


def reason(result: Result, rule: str) -> Reason:
    return next(r for r in result.reasons if r.rule == rule)


def in_year(pack: RulePack, month: int = 6, day: int = 15) -> date:
    return date(YEAR[pack.code], month, day)
