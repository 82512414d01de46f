"""Versioned rule packs for quality rating (QĐ 132 → 124 → 366): load, validate, select, clone.

A rule pack is data (``rulepacks/*.toml``, parsed with stdlib ``tomllib``) describing one regime:
levels, score thresholds or per-criterion grades, criteria frameworks, extra conditions per level
and subject kind, KHTNV triggers, quota, head-vs-collective cap, discipline counting and who
decides. Every rule table carries ``confirmed``, ``source`` and ``note`` so the UI can show which
parameters were read in the regulation (rules.md tag [C]) and which are assumptions ([P]/[NC]).

Pure module: no Django. ``to_dict``/``from_dict`` give a JSON-safe form for storing a pack (or a
staff member's edited clone) in the database; ``from_dict`` runs the same validation as a file.
"""

from __future__ import annotations

import copy
import itertools
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import fields, is_dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from cosodang.evaluations.schema import (
    APPLIES_TO,
    COMBINE_MODES,
    CRITERION_GROUPS,
    DISCIPLINE_METRICS,
    LEVEL_RANK,
    LEVELS_BEST_FIRST,
    METRICS,
    OPERATORS,
    QUOTA_BASES,
    SCORING_MODES,
    Clause,
    MetricType,
    NoPackError,
    PackError,
    PackIssue,
    Rule,
    RulePack,
    SubjectKind,
)

RULEPACK_DIR = Path(__file__).resolve().parent / "rulepacks"


# --------------------------------------------------------------------------------------------
# Parsing: a generic walk over the dataclass fields, so the schema is written once.
# --------------------------------------------------------------------------------------------

_INVALID: Any = object()
_LIST_KEYS = ("id", "code")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _item_path(path: str, index: int, raw: object) -> str:
    # Items with an id/code are addressed by it (as in clone overrides), others by position.
    if isinstance(raw, Mapping):
        for key in _LIST_KEYS:
            if isinstance(raw.get(key), str):
                return _join(path, raw[key])
    return _join(path, str(index))


def _parse(tp: Any, raw: object, path: str, issues: list[PackIssue]) -> Any:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if raw is None:
            return None
        if len(args) == 1:
            return _parse(args[0], raw, path, issues)
        return _parse_scalar(raw, path, issues)
    if origin is tuple:
        if not isinstance(raw, list | tuple):
            issues.append(PackIssue(path, "phải là một danh sách"))
            return _INVALID
        items = [
            _parse(typing.get_args(tp)[0], item, _item_path(path, i, item), issues)
            for i, item in enumerate(raw)
        ]
        return _INVALID if any(x is _INVALID for x in items) else tuple(items)
    if is_dataclass(tp):
        return _parse_dataclass(typing.cast(type, tp), raw, path, issues)
    return _parse_leaf(tp, raw, path, issues)


def _parse_leaf(tp: Any, raw: object, path: str, issues: list[PackIssue]) -> Any:
    if tp is bool:
        if isinstance(raw, bool):
            return raw
        issues.append(PackIssue(path, "phải là true hoặc false"))
    elif tp is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        issues.append(PackIssue(path, "phải là số nguyên"))
    elif tp is str:
        if isinstance(raw, str):
            return raw
        issues.append(PackIssue(path, "phải là chuỗi ký tự"))
    elif tp is Decimal:
        value = _to_decimal(raw)
        if value is not None:
            return value
        issues.append(PackIssue(path, "phải là một số"))
    elif tp is date:
        if isinstance(raw, date) and type(raw) is date:
            return raw
        if isinstance(raw, str):
            try:
                return date.fromisoformat(raw)
            except ValueError:
                pass
        issues.append(PackIssue(path, "phải là một ngày (YYYY-MM-DD)"))
    else:  # pragma: no cover - a schema type this parser does not know
        raise TypeError(f"unsupported schema type {tp!r} at {path}")
    return _INVALID


def _to_decimal(raw: object) -> Decimal | None:
    # Floats go through repr so 0.15 means exactly 0.15, never its binary approximation.
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        return None
    try:
        value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _parse_scalar(raw: object, path: str, issues: list[PackIssue]) -> Any:
    if isinstance(raw, bool | str):
        return raw
    value = _to_decimal(raw)
    if value is None:
        issues.append(PackIssue(path, "phải là số, chuỗi hoặc true/false"))
        return _INVALID
    return value


def _parse_dataclass(cls: type, raw: object, path: str, issues: list[PackIssue]) -> Any:
    if not isinstance(raw, Mapping):
        issues.append(PackIssue(path or "(gốc)", "phải là một bảng (table)"))
        return _INVALID
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls)}
    for key in raw:
        if key not in known:
            allowed = ", ".join(known)
            issues.append(
                PackIssue(
                    _join(path, str(key)), f"khóa không hợp lệ (các khóa được phép: {allowed})"
                )
            )
    values: dict[str, Any] = {}
    ok = True
    for name, f in known.items():
        if name not in raw:
            if f.default is f.default_factory:  # both MISSING: the key is required
                issues.append(PackIssue(_join(path, name), "thiếu khóa bắt buộc"))
                ok = False
            continue
        value = _parse(hints[name], raw[name], _join(path, name), issues)
        ok = ok and value is not _INVALID
        values[name] = value
    return cls(**values) if ok else _INVALID


# --------------------------------------------------------------------------------------------
# Semantic validation
# --------------------------------------------------------------------------------------------


def validate_pack(pack: RulePack) -> list[PackIssue]:
    """Return every rule the pack breaks (empty when the pack is usable)."""
    issues: list[PackIssue] = []
    add = issues.append
    kinds: set[str] = {k.value for k in SubjectKind}
    if [lv.code for lv in pack.levels] != list(LEVELS_BEST_FIRST):
        add(PackIssue("levels", "phải đúng 4 mức HTXSNV, HTTNV, HTNV, KHTNV theo thứ tự"))
    if pack.scoring not in SCORING_MODES:
        add(PackIssue("scoring", f"phải là một trong {', '.join(SCORING_MODES)}"))
    if pack.effective_to is not None and pack.effective_to < pack.effective_from:
        add(PackIssue("effective_to", "không được trước effective_from"))
    if not pack.sources:
        add(PackIssue("sources", "phải nêu ít nhất một văn bản"))
    scored = pack.scoring == "score"
    _validate_scale(pack, scored, add)
    grades = {g.code for g in pack.grading.grades} if pack.grading else set()
    facts = {f.code for f in pack.facts}
    forms = {f.code for f in pack.discipline.forms}
    _validate_frameworks(pack, scored, kinds, add)
    for section in ("conditions", "khtnv_triggers", "caps"):
        rules: tuple[Rule, ...] = getattr(pack, section)
        _unique([r.id for r in rules], section, add)
        for rule in rules:
            _validate_rule(rule, section, scored, grades, facts, forms, kinds, add)
    _unique([f.code for f in pack.discipline.forms], "discipline.forms", add)
    for form in pack.discipline.forms:
        if form.severity < 1:
            add(PackIssue(f"discipline.forms.{form.code}.severity", "phải ≥ 1"))
        if form.applies_to not in APPLIES_TO:
            add(PackIssue(f"discipline.forms.{form.code}.applies_to", _one_of(APPLIES_TO)))
    if not Decimal(0) <= pack.quota.max_ratio <= 1:
        add(PackIssue("quota.max_ratio", "phải trong khoảng 0–1"))
    if pack.quota.basis not in QUOTA_BASES:
        add(PackIssue("quota.basis", _one_of(QUOTA_BASES)))
    _check_kinds(pack.quota.kinds, "quota.kinds", kinds, add)
    if pack.several_posts.combine not in COMBINE_MODES:
        add(PackIssue("several_posts.combine", _one_of(COMBINE_MODES)))
    for i, decision in enumerate(pack.decisions):
        _check_kinds(decision.kinds, f"decisions.{i}.kinds", kinds, add)
    _validate_provenance(pack, add)
    return issues


def _one_of(choices: Iterable[str]) -> str:
    return f"phải là một trong: {', '.join(choices)}"


def _unique(codes: list[str], path: str, add: Any) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            add(PackIssue(f"{path}.{code}", "mã bị trùng"))
        seen.add(code)


def _check_kinds(values: tuple[str, ...], path: str, kinds: set[str], add: Any) -> None:
    for value in values:
        if value not in kinds:
            add(PackIssue(path, f"loại đối tượng '{value}' không hợp lệ ({', '.join(kinds)})"))


def _validate_scale(pack: RulePack, scored: bool, add: Any) -> None:
    if scored:
        t = pack.thresholds
        if t is None:
            add(PackIssue("thresholds", "gói chấm điểm phải có ngưỡng điểm"))
        elif not (Decimal(100) >= t.htxsnv > t.httnv > t.htnv > 0):
            add(PackIssue("thresholds", "ngưỡng phải giảm dần: 100 ≥ htxsnv > httnv > htnv > 0"))
        elif any(_more_than_two_decimals(v) for v in (t.htxsnv, t.httnv, t.htnv)):
            add(PackIssue("thresholds", "ngưỡng điểm có tối đa 2 chữ số thập phân"))
    elif pack.thresholds is not None:
        add(PackIssue("thresholds", "chỉ dùng cho gói chấm điểm (scoring = 'score')"))
    if not scored:
        if pack.grading is None or len(pack.grading.grades) < 2:
            add(PackIssue("grading", "gói xếp mức theo tiêu chí phải có ít nhất 2 mức"))
        else:
            _unique([g.code for g in pack.grading.grades], "grading.grades", add)


def _more_than_two_decimals(value: Decimal) -> bool:
    return value != value.quantize(Decimal("0.01"))


def _validate_frameworks(pack: RulePack, scored: bool, kinds: set[str], add: Any) -> None:
    _unique([fw.id for fw in pack.frameworks], "frameworks", add)
    covered: set[str] = set()
    for fw in pack.frameworks:
        path = f"frameworks.{fw.id}"
        _check_kinds(fw.kinds, f"{path}.kinds", kinds, add)
        covered.update(fw.kinds)
        _unique([c.code for c in fw.criteria], f"{path}.criteria", add)
        sums = {"general": Decimal(0), "tasks": Decimal(0)}
        for c in fw.criteria:
            if c.group not in CRITERION_GROUPS:
                add(PackIssue(f"{path}.criteria.{c.code}.group", _one_of(CRITERION_GROUPS)))
                continue
            if scored and (c.points is None or c.points <= 0):
                add(PackIssue(f"{path}.criteria.{c.code}.points", "phải là số điểm > 0"))
            sums[c.group] += c.points or 0
        if not {c.group for c in fw.criteria} >= set(CRITERION_GROUPS):
            add(PackIssue(f"{path}.criteria", "phải có tiêu chí ở cả nhóm chung và nhóm nhiệm vụ"))
        if scored:
            general, tasks = fw.general_points, fw.task_points
            if general is None or tasks is None or general + tasks != 100:
                add(PackIssue(path, "general_points + task_points phải bằng 100"))
            if general is not None and sums["general"] != general:
                add(
                    PackIssue(
                        f"{path}.criteria", f"tổng điểm nhóm chung {sums['general']} ≠ {general}"
                    )
                )
            if tasks is not None and sums["tasks"] != tasks:
                add(
                    PackIssue(
                        f"{path}.criteria", f"tổng điểm nhóm nhiệm vụ {sums['tasks']} ≠ {tasks}"
                    )
                )
    for kind in sorted(kinds - covered):
        add(PackIssue("frameworks", f"không có khung tiêu chí cho loại đối tượng '{kind}'"))


def _validate_rule(
    rule: Rule,
    section: str,
    scored: bool,
    grades: set[str],
    facts: set[str],
    forms: set[str],
    kinds: set[str],
    add: Any,
) -> None:
    path = f"{section}.{rule.id}"
    allowed_levels = {"conditions": ("HTXSNV", "HTTNV", "HTNV"), "caps": ("HTTNV", "HTNV", "KHTNV")}
    if section == "khtnv_triggers":
        if rule.level is not None:
            add(PackIssue(f"{path}.level", "điều kiện KHTNV không có mức (luôn là KHTNV)"))
    elif rule.level not in allowed_levels[section]:
        add(PackIssue(f"{path}.level", _one_of(allowed_levels[section])))
    if not rule.kinds:
        add(PackIssue(f"{path}.kinds", "phải nêu ít nhất một loại đối tượng"))
    _check_kinds(rule.kinds, f"{path}.kinds", kinds, add)
    if not rule.when:
        add(PackIssue(f"{path}.when", "phải có ít nhất một mệnh đề"))
    for i, clause in enumerate(rule.when):
        _validate_clause(clause, f"{path}.when.{i}", scored, grades, facts, forms, add)


def _validate_clause(
    clause: Clause,
    path: str,
    scored: bool,
    grades: set[str],
    facts: set[str],
    forms: set[str],
    add: Any,
) -> None:
    if clause.metric not in METRICS:
        add(PackIssue(f"{path}.metric", f"chỉ số không hợp lệ ({', '.join(METRICS)})"))
        return
    kind = METRICS[clause.metric][0]
    if clause.op not in OPERATORS:
        add(PackIssue(f"{path}.op", _one_of(OPERATORS)))
    value = clause.value
    if kind is MetricType.SCORE and not scored:
        add(PackIssue(f"{path}.metric", "gói xếp mức theo tiêu chí không có điểm"))
    if kind is MetricType.GRADE and scored:
        add(PackIssue(f"{path}.metric", "gói chấm điểm không xếp mức từng tiêu chí"))
    if kind is MetricType.BOOL:
        if not isinstance(value, bool) or clause.op not in ("==", "!="):
            add(PackIssue(f"{path}.value", "phải là true/false với toán tử == hoặc !="))
    elif kind in (MetricType.GRADE, MetricType.LEVEL):
        codes = grades if kind is MetricType.GRADE else set(LEVEL_RANK)
        if not isinstance(value, str) or value not in codes:
            add(PackIssue(f"{path}.value", _one_of(sorted(codes))))
    elif not isinstance(value, Decimal):
        add(PackIssue(f"{path}.value", "phải là một số"))
    elif kind is MetricType.RATIO and not Decimal(0) <= value <= 1:
        add(PackIssue(f"{path}.value", "tỷ lệ phải trong khoảng 0–1 (ví dụ 0.3 = 30%)"))
    elif kind is MetricType.COUNT and (value < 0 or value != value.to_integral_value()):
        add(PackIssue(f"{path}.value", "phải là số nguyên ≥ 0"))
    elif kind is MetricType.SCORE and not (
        0 <= value <= 100 and not _more_than_two_decimals(value)
    ):
        add(PackIssue(f"{path}.value", "điểm phải trong khoảng 0–100, tối đa 2 chữ số thập phân"))
    if clause.min_form is not None:
        if clause.metric not in DISCIPLINE_METRICS:
            add(PackIssue(f"{path}.min_form", "chỉ dùng với chỉ số kỷ luật"))
        elif clause.min_form not in forms:
            add(PackIssue(f"{path}.min_form", _one_of(sorted(forms))))
    if (clause.metric == "fact") != (clause.fact is not None):
        add(PackIssue(f"{path}.fact", "chỉ số 'fact' cần đúng một mã sự việc"))
    elif clause.fact is not None and clause.fact not in facts:
        add(PackIssue(f"{path}.fact", f"sự việc chưa khai báo trong facts ({', '.join(facts)})"))


def unconfirmed_parameters(pack: RulePack) -> list[PackIssue]:
    """Return (path, note) for every rule table marked ``confirmed = false``, for the UI."""
    found: list[PackIssue] = []
    _walk_rules(pack, "", lambda path, obj: found.append(PackIssue(path, obj.note)))
    return found


def _walk_rules(obj: object, path: str, visit: Any) -> None:
    # Visits every table with ``confirmed = false``; list items are named by id/code.
    if is_dataclass(obj) and not isinstance(obj, type):
        if getattr(obj, "confirmed", True) is False:
            visit(path, obj)
        for f in fields(obj):
            _walk_rules(getattr(obj, f.name), _join(path, f.name), visit)
    elif isinstance(obj, tuple):
        for i, item in enumerate(obj):
            key = next((getattr(item, k) for k in _LIST_KEYS if hasattr(item, k)), str(i))
            _walk_rules(item, _join(path, str(key)), visit)


def _validate_provenance(pack: RulePack, add: Any) -> None:
    # The UI shows the note beside every unconfirmed parameter, so it may not be blank.
    def visit(path: str, obj: Any) -> None:
        if not obj.note.strip():
            add(PackIssue(_join(path, "note"), "tham số chưa xác nhận phải có ghi chú nguồn"))

    _walk_rules(pack, "", visit)


# --------------------------------------------------------------------------------------------
# Loading, selection, dict form, cloning
# --------------------------------------------------------------------------------------------


def from_dict(data: Mapping[str, Any], *, origin: str = "") -> RulePack:
    """Build and validate a pack from TOML- or JSON-shaped data; raise PackError listing issues."""
    issues: list[PackIssue] = []
    pack = _parse_dataclass(RulePack, data, "", issues)
    if pack is not _INVALID:
        issues.extend(validate_pack(pack))
    if issues:
        raise PackError(issues, origin)
    return typing.cast(RulePack, pack)


def loads_pack(text: str, *, origin: str = "") -> RulePack:
    """Parse and validate a pack written as TOML text (e.g. a staff member's edited clone)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PackError([PackIssue("(tệp)", f"lỗi cú pháp TOML: {exc}")], origin) from exc
    return from_dict(data, origin=origin)


def load_pack(path: Path | str) -> RulePack:
    """Load and validate one pack file."""
    path = Path(path)
    return loads_pack(path.read_text(encoding="utf-8"), origin=path.name)


def load_all(directory: Path | str = RULEPACK_DIR) -> list[RulePack]:
    """Load every ``*.toml`` pack in the directory, oldest first; refuse clashes between them."""
    packs = sorted(
        (load_pack(p) for p in sorted(Path(directory).glob("*.toml"))),
        key=lambda p: p.effective_from,
    )
    issues: list[PackIssue] = []
    _unique([p.code for p in packs], "code", issues.append)
    for older, newer in itertools.pairwise(packs):
        if older.effective_to is None or older.effective_to >= newer.effective_from:
            issues.append(
                PackIssue(
                    f"{newer.code}.effective_from",
                    f"chồng lấn thời gian hiệu lực với {older.code}",
                )
            )
    if issues:
        raise PackError(issues, str(directory))
    return packs


def pack_for(on: date, packs: Iterable[RulePack]) -> RulePack:
    """Return the pack in force on a date (pass the review period's end date)."""
    matches = [
        p
        for p in packs
        if p.effective_from <= on and (p.effective_to is None or on <= p.effective_to)
    ]
    if len(matches) == 1:
        return matches[0]
    shown = on.strftime("%d/%m/%Y")
    if not matches:
        raise NoPackError(f"Không có gói quy tắc xếp loại nào có hiệu lực vào ngày {shown}.")
    codes = ", ".join(p.code for p in matches)
    raise NoPackError(
        f"Có nhiều gói quy tắc cùng hiệu lực vào ngày {shown} ({codes}); hãy chọn một."
    )


def to_dict(pack: RulePack) -> dict[str, Any]:
    """Return a JSON-safe dict (dates ISO, numbers int/float, no nulls) that from_dict accepts."""
    result = _plain(pack)
    assert isinstance(result, dict)
    return result


def _plain(obj: object) -> object:
    if is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, object] = {}
        for f in fields(obj):
            value = getattr(obj, f.name)
            if value is not None:
                out[f.name] = _plain(value)
        return out
    if isinstance(obj, tuple):
        return [_plain(x) for x in obj]
    if isinstance(obj, Decimal):
        # Decimals written by pack authors have few digits, so repr round-trips them exactly.
        return int(obj) if obj == obj.to_integral_value() else float(obj)
    if isinstance(obj, date):
        return obj.isoformat()
    return obj


# Paths that are identity or bookkeeping, never parameters a clone may change.
_FIXED_ROOTS = frozenset({"code", "derived_from", "overridden", "levels", "scoring"})


def clone_pack(
    pack: RulePack,
    *,
    code: str,
    title: str | None = None,
    overrides: Mapping[str, object] | None = None,
    force: bool = False,
) -> RulePack:
    """Copy a pack under a new code, changing parameters by dotted path.

    A path may only change a value inside a rule table marked ``confirmed = false`` (and may not
    flip ``confirmed`` itself) unless ``force`` is set; identity fields are never overridable.
    List items are addressed by their ``id``/``code`` or by position: ``"quota.max_ratio"``,
    ``"conditions.htxsnv_vuot_yeu_cau.when.0.value"``.
    """
    data = copy.deepcopy(to_dict(pack))
    issues: list[PackIssue] = []
    for path, value in (overrides or {}).items():
        problem = _apply_override(data, path, value, force)
        if problem:
            issues.append(PackIssue(path, problem))
    if issues:
        raise PackError(issues, code)
    data["code"] = code
    data["title"] = title or f"{pack.title} (bản sao)"
    data["derived_from"] = pack.code
    data["overridden"] = sorted({*pack.overridden, *(overrides or {})})
    return from_dict(data, origin=code)


def _apply_override(data: dict[str, Any], path: str, value: object, force: bool) -> str | None:
    parts = path.split(".")
    if parts[0] in _FIXED_ROOTS:
        return "không phải tham số có thể điều chỉnh"
    node: Any = data
    confirmed: bool | None = None  # governed by the nearest enclosing rule table
    for part in parts[:-1]:
        if isinstance(node, dict) and "confirmed" in node:
            confirmed = bool(node["confirmed"])
        node = _child(node, part)
        if node is None:
            return f"không tìm thấy '{part}'"
    last = parts[-1]
    if isinstance(node, dict) and "confirmed" in node:
        confirmed = bool(node["confirmed"])
    if not isinstance(node, dict):
        if isinstance(node, list) and last.isdigit() and int(last) < len(node):
            node[int(last)] = value
            return None if force or confirmed is False else _confirmed_message(confirmed)
        return f"không tìm thấy '{last}'"
    if last not in node and not _is_optional_key(last):
        return f"không tìm thấy '{last}'"
    if not force:
        if confirmed is not False:
            return _confirmed_message(confirmed)
        if last == "confirmed":
            return "không tự đánh dấu đã xác nhận; cần quyền điều chỉnh bắt buộc (force)"
    node[last] = value
    return None


def _confirmed_message(confirmed: bool | None) -> str:
    if confirmed is None:
        return "không phải tham số có thể điều chỉnh"
    return "tham số đã xác nhận theo văn bản; chỉ sửa khi dùng force"


def _is_optional_key(key: str) -> bool:
    return key in {"note", "enabled", "min_form", "effective_to"}


def _child(node: object, part: str) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list):
        for item in node:
            if isinstance(item, dict) and any(item.get(k) == part for k in _LIST_KEYS):
                return item
        if part.isdigit() and int(part) < len(node):
            return node[int(part)]
    return None
