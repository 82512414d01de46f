"""Pure helpers of the stored-packs area: which parameters a clone may change, and how a
pack's clauses read in Vietnamese. No ORM, no request.

A clone may change values inside rule tables marked ``confirmed = false`` only
(``packs.clone_pack``); ``editable_parameters`` lists those values with their type, so the edit
form is built from the pack itself and a new unconfirmed table needs no code.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cosodang.evaluations import packs
from cosodang.evaluations.schema import (
    COMBINE_MODES,
    LEVEL_RANK,
    METRICS,
    QUOTA_BASES,
    Clause,
    DisciplineRules,
    Framework,
    HeadCap,
    MetricType,
    Quota,
    Rule,
    RulePack,
    SeveralPosts,
    Thresholds,
)

# Vietnamese names of the values a choice parameter may take.
CHOICE_LABELS: dict[str, dict[str, str]] = {
    "basis": {
        "httnv": "so với số được xếp HTTNV trong nhóm",
        "rated": "so với tổng số được xếp loại trong nhóm",
    },
    "combine": {
        "lowest": "lấy mức thấp nhất trong các chức vụ",
        "main": "lấy mức tại chức vụ chính",
    },
}
_OP_TEXT = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠"}


@dataclass(frozen=True)
class Param:
    """One value a clone may change: its override path, label, type and current value.

    ``kind`` is one of ``decimal`` (points, scores), ``ratio`` (0–1), ``count`` (integer ≥ 0),
    ``bool``, ``choice`` (``choices`` lists the allowed values).
    """

    path: str
    table: str  # path of the unconfirmed rule table that allows the change
    label: str
    kind: str
    value: Any
    note: str
    choices: tuple[tuple[str, str], ...] = ()


def percent(value: Decimal) -> str:
    """Return a ratio 0–1 as a Vietnamese percentage ("30%", "12,5%")."""
    shown = f"{(value * 100).normalize():f}"
    return shown.replace(".", ",") + "%"


def describe_clause(clause: Clause, pack: RulePack) -> str:
    """Return one clause of a rule in Vietnamese ("tỷ lệ … ≥ 30%")."""
    kind, label = METRICS[clause.metric]
    op = _OP_TEXT.get(clause.op, clause.op)
    value = clause.value
    if clause.fact is not None:
        name = next((f.name for f in pack.facts if f.code == clause.fact), clause.fact)
        return f"{name} {op} {'có' if value else 'không'}"
    if kind is MetricType.RATIO and isinstance(value, Decimal):
        shown = percent(value)
    elif kind is MetricType.BOOL:
        shown = "có" if value else "không"
    elif kind is MetricType.GRADE and pack.grading is not None:
        shown = next((g.name for g in pack.grading.grades if g.code == value), str(value))
    else:
        shown = str(value)
    if clause.min_form is not None:
        form = next(
            (f.name for f in pack.discipline.forms if f.code == clause.min_form), clause.min_form
        )
        label = f"{label} (từ {form.lower()} trở lên)"
    return f"{label} {op} {shown}"


def _choices(key: str, values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    names = CHOICE_LABELS.get(key, {})
    return tuple((v, names.get(v, v)) for v in values)


def _clause_param(rule: Rule, table: str, i: int, clause: Clause, pack: RulePack) -> Param | None:
    kind = METRICS[clause.metric][0]
    where = f"{rule.title} — {describe_clause(clause, pack)}"
    path = f"{table}.when.{i}.value"
    if kind is MetricType.RATIO:
        return Param(path, table, f"{where}: tỷ lệ (0–1)", "ratio", clause.value, rule.note)
    if kind is MetricType.COUNT:
        return Param(path, table, f"{where}: số lượng", "count", clause.value, rule.note)
    if kind is MetricType.SCORE:
        return Param(path, table, f"{where}: điểm", "decimal", clause.value, rule.note)
    if kind is MetricType.LEVEL:
        levels = tuple((code, code) for code in LEVEL_RANK)
        return Param(path, table, f"{where}: mức", "choice", clause.value, rule.note, levels)
    if kind is MetricType.GRADE and pack.grading is not None:
        grades = tuple((g.code, g.name) for g in pack.grading.grades)
        return Param(path, table, f"{where}: mức", "choice", clause.value, rule.note, grades)
    return None  # yes/no findings: switch the rule off instead


def _table_params(table: str, obj: object, pack: RulePack) -> list[Param]:
    note = getattr(obj, "note", "")
    out: list[Param] = []
    if isinstance(obj, Quota):
        out += [
            Param(f"{table}.enabled", table, "Áp dụng tỷ lệ HTXSNV", "bool", obj.enabled, note),
            Param(
                f"{table}.max_ratio",
                table,
                "Tỷ lệ HTXSNV tối đa (0–1, ví dụ 0.2 = 20%)",
                "ratio",
                obj.max_ratio,
                note,
            ),
            Param(
                f"{table}.basis",
                table,
                "Cách tính tỷ lệ",
                "choice",
                obj.basis,
                note,
                _choices("basis", QUOTA_BASES),
            ),
        ]
    elif isinstance(obj, HeadCap):
        label = "Mức của người đứng đầu không cao hơn mức của tập thể"
        out.append(Param(f"{table}.enabled", table, label, "bool", obj.enabled, note))
    elif isinstance(obj, SeveralPosts):
        out.append(
            Param(
                f"{table}.combine",
                table,
                "Tổng hợp kết quả khi giữ nhiều chức vụ",
                "choice",
                obj.combine,
                note,
                _choices("combine", COMBINE_MODES),
            )
        )
    elif isinstance(obj, DisciplineRules):
        label = "Một vi phạm bị kỷ luật chỉ tính một lần"
        out.append(Param(f"{table}.count_once", table, label, "bool", obj.count_once, note))
    elif isinstance(obj, Thresholds):
        for key in ("htxsnv", "httnv", "htnv"):
            label = f"Điểm tối thiểu {key.upper()}"
            out.append(Param(f"{table}.{key}", table, label, "decimal", getattr(obj, key), note))
    elif isinstance(obj, Framework):
        for key, label in (("general_points", "nhóm chung"), ("task_points", "nhóm nhiệm vụ")):
            value = getattr(obj, key)
            if value is not None:
                text = f"{obj.title}: điểm {label}"
                out.append(Param(f"{table}.{key}", table, text, "decimal", value, note))
    elif isinstance(obj, Rule):
        label = f"Áp dụng: {obj.title}"
        out.append(Param(f"{table}.enabled", table, label, "bool", obj.enabled, note))
        for i, clause in enumerate(obj.when):
            param = _clause_param(obj, table, i, clause, pack)
            if param is not None:
                out.append(param)
    elif hasattr(obj, "points") and getattr(obj, "points", None) is not None:
        # A criterion: its maximum points (the group's sum must still match).
        text = f"{getattr(obj, 'title', table)}: điểm tối đa"
        out.append(Param(f"{table}.points", table, text, "decimal", obj.points, note))
    return out


def editable_parameters(pack: RulePack) -> list[Param]:
    """Return every value a clone may change, in the pack's order."""
    out: list[Param] = []
    for issue in packs.unconfirmed_parameters(pack):
        out += _table_params(issue.path, _lookup(pack, issue.path), pack)
    return out


def _lookup(pack: RulePack, path: str) -> object:
    """Return the object at a dotted path of ``unconfirmed_parameters`` (ids address items)."""
    node: object = pack
    for part in path.split("."):
        if isinstance(node, tuple):
            node = next(
                (
                    x
                    for x in node
                    if getattr(x, "id", None) == part or getattr(x, "code", None) == part
                ),
                node[int(part)] if part.isdigit() and int(part) < len(node) else None,
            )
        else:
            node = getattr(node, part)
    return node
