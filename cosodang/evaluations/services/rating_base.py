"""Shared pieces of the rating services: constants, the pack of a period, who decides, bulk writes.

Used by `ratings` (the cell's proposal, collective ratings), `decisions` (the committee's
decision and the bulk re-run), `calibration` (the summary) and `rating_inputs`.
"""

from __future__ import annotations

import json
import typing
import zlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import Q

from cosodang.evaluations import packs, rules_ratings
from cosodang.evaluations.models import (
    Period,
    RatingState,
)
from cosodang.evaluations.rules import (
    Discipline,
)
from cosodang.evaluations.schema import RulePack, SubjectKind
from cosodang.members.models import Discipline as MemberDiscipline
from cosodang.orgs.models import PartyOrg

BATCH = 20_000
INPUT_FIELDS = (
    "score",
    "tasks_total",
    "tasks_on_time",
    "tasks_above_requirement",
    "tasks_late",
    "degradation_concluded",
    "professional_level",
)
ADJUSTED_RULE = "inputs_adjusted"
OVERRIDE_RULE = "override"
FIXED_STATES = (RatingState.PUBLISHED, RatingState.LOCKED)
WAITING = "Chờ xếp loại tập thể do người này đứng đầu (đánh giá tập thể trước, người đứng đầu sau)."


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------

_PACKS: dict[int, tuple[datetime | None, RulePack]] = {}


def period_pack(period: Period) -> RulePack:
    """Return the validated rule pack of a period (parsed once per stored version)."""
    stored = period.pack
    hit = _PACKS.get(stored.pk)
    if hit is not None and hit[0] == stored.updated_at:
        return hit[1]
    pack = packs.from_dict(stored.data, origin=stored.code)
    if len(_PACKS) > 64:
        _PACKS.clear()
    _PACKS[stored.pk] = (stored.updated_at, pack)
    return pack


def _check_period(period: Period, org: PartyOrg, *, states: Sequence[str]) -> None:
    if not org.path.startswith(period.org_path):
        raise ValidationError(f"{org.name} không thuộc phạm vi của kỳ {period.label}.")
    if period.state not in states:
        raise ValidationError(
            f"Kỳ {period.label} đang ở trạng thái «{period.get_state_display()}»: "
            "không thể thực hiện việc này."
        )


def _decider(pack: RulePack, kind: str) -> str:
    return next((d.decider for d in pack.decisions if kind in d.kinds), "")


def member_deciders(pack: RulePack) -> frozenset[str]:
    """Return the organisation types that decide individual ratings under the pack."""
    return rules_ratings.decider_types(_decider(pack, SubjectKind.MEMBER))


def collective_deciders(pack: RulePack) -> frozenset[str]:
    """Return the organisation types that decide collective ratings under the pack."""
    return rules_ratings.decider_types(_decider(pack, SubjectKind.COLLECTIVE))


def may_decide_at(pack: RulePack, org: PartyOrg) -> bool:
    """Tell whether a committee of this organisation's type decides ratings under the pack."""
    return org.org_type in member_deciders(pack) | collective_deciders(pack)


def _num(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _disciplines(period: Period, member_filter: Q) -> dict[int, list[Discipline]]:
    """Return the disciplines decided in the period, by member id."""
    out: dict[int, list[Discipline]] = defaultdict(list)
    rows = (
        MemberDiscipline.objects.filter(member_filter, date__gte=period.start, date__lte=period.end)
        .order_by("date", "id")
        .values_list("member_id", "form", "date", "id")
    )
    for member_id, form, day, pk in rows:
        out[member_id].append(Discipline(form=form, date=day, violation=f"kl{pk}"))
    return out


# --------------------------------------------------------------------------------------------
# Writing many rows
# --------------------------------------------------------------------------------------------


def _pg_type(f: models.Field[Any, Any]) -> str:
    return {
        "JSONField": "jsonb",
        "BooleanField": "boolean",
        "DecimalField": "numeric",
        "DateTimeField": "timestamptz",
        "ForeignKey": "bigint",
        "PositiveIntegerField": "integer",
        "CharField": "text",
        "TextField": "text",
    }[f.get_internal_type()]


def _json_text(value: Any) -> str | None:
    # A str is JSON text already (rules_ratings.reasons_json); None is SQL NULL.
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def bulk_write(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    constants: Mapping[str, Any] | None = None,
) -> None:
    """Set `fields` of the rows `(pk, *values)`; COPY + one UPDATE on PostgreSQL.

    A JSON field's value may be given as JSON text (a str), as the bulk paths do. `constants`
    (field → value) are set on every row by the UPDATE itself, not copied row by row.
    """
    if not rows:
        return
    meta = model._meta
    constants = dict(constants or {})
    cols = [typing.cast(models.Field[Any, Any], meta.get_field(name)) for name in fields]
    fixed = [
        (typing.cast(models.Field[Any, Any], meta.get_field(k)), v) for k, v in constants.items()
    ]
    if connection.vendor != "postgresql":
        objs = []
        for pk, *values in rows:
            obj = model(pk=pk)
            for f, value in zip(cols, values, strict=True):
                if f.get_internal_type() == "JSONField" and isinstance(value, str):
                    value = json.loads(value)  # JSON text from the bulk path
                setattr(obj, f.attname, value)
            for f, value in fixed:
                setattr(obj, f.attname, value)
            objs.append(obj)
        model.objects.bulk_update(  # type: ignore[attr-defined]
            objs, [*fields, *constants], batch_size=500
        )
        return
    table = meta.db_table
    temp = f"_upd_{table}_{zlib.crc32(','.join(fields).encode()):08x}"
    col_sql = ", ".join(f'"{f.column}" {_pg_type(f)}' for f in cols)
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE TEMP TABLE IF NOT EXISTS "{temp}" (id bigint, {col_sql})')
        cursor.execute(f'TRUNCATE "{temp}"')
        raw = cursor.cursor  # the psycopg cursor, for COPY
        names = ", ".join(["id", *(f'"{f.column}"' for f in cols)])
        json_cols = [f.get_internal_type() == "JSONField" for f in cols]
        with raw.copy(f'COPY "{temp}" ({names}) FROM STDIN') as copy:
            for pk, *values in rows:
                copy.write_row(
                    [
                        pk,
                        *(
                            _json_text(v) if is_json else v
                            for is_json, v in zip(json_cols, values, strict=True)
                        ),
                    ]
                )
        sets = ", ".join(
            [f'"{f.column}" = u."{f.column}"' for f in cols]
            + [f'"{f.column}" = %s' for f, _ in fixed]
        )
        cursor.execute(
            f'UPDATE "{table}" t SET {sets} FROM "{temp}" u WHERE t.id = u.id',
            [f.get_db_prep_value(v, connection) for f, v in fixed],
        )
        cursor.execute(f'TRUNCATE "{temp}"')


# --------------------------------------------------------------------------------------------
# Labels and small helpers shared by the passes
# --------------------------------------------------------------------------------------------


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "trống"
    if isinstance(value, bool):
        return "có" if value else "không"
    return str(value)


FIELD_LABELS = {
    "score": "điểm",
    "tasks_total": "số nhiệm vụ",
    "tasks_on_time": "số hoàn thành đúng hạn",
    "tasks_above_requirement": "số vượt yêu cầu",
    "tasks_late": "số chậm",
    "degradation_concluded": "kết luận suy thoái",
    "professional_level": "xếp loại chuyên môn",
    "grades": "mức từng tiêu chí",
}


def _field_label(name: str) -> str:
    return FIELD_LABELS.get(name.split(".")[0].split("[")[0], name)


def _subtree(org: PartyOrg) -> Q:
    return Q(org_path__startswith=org.path)


class _Writer:
    """Rows `(pk, *values)` of some fields, written in batches by ``bulk_write``."""

    def __init__(
        self,
        model: type[models.Model],
        fields: Sequence[str],
        constants: Mapping[str, Any] | None = None,
    ) -> None:
        self.model, self.fields, self.constants = model, tuple(fields), constants
        self.rows: list[tuple[Any, ...]] = []
        self.count = 0

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        bulk_write(self.model, self.fields, self.rows, self.constants)
        self.count += len(self.rows)
        self.rows = []
