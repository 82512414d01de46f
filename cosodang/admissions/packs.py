"""Versioned parameter packs of the admission rules (rulepacks/*.toml), selected by date.

Deadlines, thresholds and validity periods change with the regulations (QĐ 24 → 232 → 294), so
they are data, one pack per regime keyed by its effective date, each parameter carrying its
source and whether rules.md confirms it (`confirmed = false` is shown as «chưa xác nhận»). A
pack may `inherit` another and override some parameters. Same approach as the evaluations
packs (evaluations/packs.py), reduced to flat parameters.

Pure module: stdlib only, no Django.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

RULEPACK_DIR = Path(__file__).resolve().parent / "rulepacks"

# Every pack must define these, with these types (after inheritance).
REQUIRED: dict[str, type] = {
    "min_age_months": int,
    "max_age_months": int,
    "min_general_education": int,
    "certificate_validity_years": int,
    "introducer_months": int,
    "staleness_months": int,
    "cell_threshold": Fraction,
    "committee_threshold": Fraction,
    "decision_deadline_wd": int,
    "decision_extension_wd": int,
    "ceremony_deadline_wd": int,
    "probation_months": int,
    "recognition_consider_wd": int,
    "recognition_decide_wd": int,
    "recognition_extension_wd": int,
    "escalation_failed_votes": int,
    "warning_wd": int,
    "reminder_wd": int,
}


class PackError(ValueError):
    """A rule pack file that cannot be used (missing or malformed parameter)."""


@dataclass(frozen=True)
class Parameter:
    """One parameter of a pack, with where it comes from and whether it is confirmed."""

    key: str
    value: Any
    label: str
    source: str
    confirmed: bool
    note: str = ""

    @property
    def display(self) -> str:
        if isinstance(self.value, Fraction):
            return f"{self.value.numerator}/{self.value.denominator}"
        return str(self.value)


@dataclass(frozen=True)
class RulePack:
    """The admission parameters in force from `effective_from`."""

    code: str
    title: str
    effective_from: date
    parameters: dict[str, Parameter]

    def __getattr__(self, key: str) -> Any:
        # Only called for names that are not dataclass fields: pack.decision_deadline_wd etc.
        params = self.__dict__.get("parameters", {})
        if key in params:
            return params[key].value
        raise AttributeError(key)

    @property
    def unconfirmed(self) -> list[Parameter]:
        return [p for p in self.parameters.values() if not p.confirmed]


def _value(key: str, raw: Any, path: str) -> Any:
    want = REQUIRED.get(key)
    if want is Fraction:
        try:
            value = Fraction(str(raw))
        except (ValueError, ZeroDivisionError) as exc:
            raise PackError(f"{path}: {key} phải là một phân số như 2/3") from exc
        if not 0 < value <= 1:
            raise PackError(f"{path}: {key} phải trong khoảng (0, 1]")
        return value
    if want is int:
        if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
            raise PackError(f"{path}: {key} phải là số nguyên không âm")
        return raw
    return raw


def _parse(raw: dict[str, Any], path: str) -> tuple[dict[str, Any], dict[str, Parameter]]:
    params: dict[str, Parameter] = {}
    for key, spec in raw.get("parameters", {}).items():
        if not isinstance(spec, dict) or "value" not in spec:
            raise PackError(f"{path}: parameters.{key} thiếu value")
        params[key] = Parameter(
            key=key,
            value=_value(key, spec["value"], path),
            label=str(spec.get("label", key)),
            source=str(spec.get("source", "")),
            confirmed=bool(spec.get("confirmed", False)),
            note=str(spec.get("note", "")),
        )
    head = {k: v for k, v in raw.items() if k != "parameters"}
    for key in ("code", "title", "effective_from"):
        if key not in head:
            raise PackError(f"{path}: thiếu {key}")
    if not isinstance(head["effective_from"], date):
        raise PackError(f"{path}: effective_from phải là một ngày (YYYY-MM-DD)")
    return head, params


def load_packs(directory: Path = RULEPACK_DIR) -> list[RulePack]:
    """Load every pack of `directory`, resolve inheritance, validate; oldest first."""
    raw: dict[str, tuple[dict[str, Any], dict[str, Parameter]]] = {}
    for file in sorted(directory.glob("*.toml")):
        with file.open("rb") as fh:
            head, params = _parse(tomllib.load(fh), file.name)
        raw[head["code"]] = (head, params)
    packs = []
    for code, (head, _own) in raw.items():
        merged: dict[str, Parameter] = {}
        chain = [code]
        parent = head.get("inherits")
        while parent:
            if parent not in raw or parent in chain:
                raise PackError(f"{code}: không tìm thấy gói kế thừa {parent}")
            chain.append(parent)
            parent = raw[parent][0].get("inherits")
        for name in reversed(chain):
            merged.update(raw[name][1])
        missing = sorted(set(REQUIRED) - set(merged))
        if missing:
            raise PackError(f"{code}: thiếu tham số {', '.join(missing)}")
        packs.append(
            RulePack(
                code=code,
                title=str(head["title"]),
                effective_from=head["effective_from"],
                parameters={k: merged[k] for k in sorted(merged, key=_order)},
            )
        )
    return sorted(packs, key=lambda p: p.effective_from)


def _order(key: str) -> int:
    keys = list(REQUIRED)
    return keys.index(key) if key in keys else len(keys)


@cache
def all_packs() -> tuple[RulePack, ...]:
    """Return the packs shipped with the app, oldest first (cached)."""
    return tuple(load_packs())


def pack_for(day: date) -> RulePack:
    """Return the pack in force on `day` (the oldest pack for earlier days)."""
    packs = all_packs()
    chosen = packs[0]
    for pack in packs:
        if pack.effective_from <= day:
            chosen = pack
    return chosen
