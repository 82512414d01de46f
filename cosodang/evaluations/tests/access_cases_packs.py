"""Access matrix entries of the stored-packs area (see core/tests/access_support.py).

Built-in packs are readable by everyone logged in, so they are no object of province A; the
object here is a clone owned by province A (visible with VIEW_EVALUATION on A, editable with
MANAGE_RULE_PACK on A).
"""

from __future__ import annotations

from typing import Any

from cosodang.core.testing import World
from cosodang.core.tests.access_support import (
    API_PREFIX,
    MANAGERS_OF_A,
    VIEWERS_OF_PROVINCE_A,
    ApiOp,
    Case,
    NoObject,
)
from cosodang.evaluations import packs
from cosodang.evaluations.models import StoredPack
from cosodang.evaluations.rules_packs import editable_parameters
from cosodang.evaluations.selectors.packs import rule_pack

CLONE_CODE = "QD366-HN"


def clone_a(w: World) -> StoredPack:
    """Return province A's clone of QĐ 366, made once per test directly (no audit event)."""
    found = StoredPack.objects.filter(code=CLONE_CODE).first()
    if found is not None:
        return found
    source = StoredPack.objects.get(code="QD366")
    clone = packs.clone_pack(rule_pack(source), code=CLONE_CODE, title="QĐ 366 — bản Hà Nội")
    return StoredPack.objects.create(
        code=CLONE_CODE,
        title=clone.title,
        effective_from=clone.effective_from,
        data=packs.to_dict(clone),
        derived_from=source,
        owner=w.province_a,
        owner_path=w.province_a.path,
    )


def clone_post(w: World) -> dict[str, Any]:
    return {
        "code": "QD366-HN-2",
        "title": "Bản điều chỉnh thứ hai",
        "owner_code": w.province_a.code,
        "effective_from": "01/01/2026",
    }


def edit_post(w: World) -> dict[str, Any]:
    """Return the edit form filled with the clone's values, the quota changed to 25%."""
    data: dict[str, Any] = {}
    for p in editable_parameters(rule_pack(clone_a(w))):
        if p.kind == "bool":
            if p.value:
                data[p.path] = "on"
        else:
            data[p.path] = str(p.value)
    data["quota.max_ratio"] = "0.25"
    return data


TARGETS = {"packs_clone_a": clone_a}

OBJECT_CASES = [
    Case("evaluations:pack_detail", "packs_clone_a", VIEWERS_OF_PROVINCE_A),
    Case("evaluations:pack_clone", "packs_clone_a", MANAGERS_OF_A, post=clone_post),
    Case("evaluations:pack_edit", "packs_clone_a", MANAGERS_OF_A, post=edit_post),
]

API_OPERATIONS: dict[tuple[str, str], ApiOp | str] = {
    ("GET", f"{API_PREFIX}/evaluations/packs/"): (
        "list: built-in packs and clones from visible_to(actor, VIEW_EVALUATION)"
    ),
    ("POST", f"{API_PREFIX}/evaluations/simulate"): (
        "no object: rates typed-in values; a pack code outside the caller's scope answers 422 "
        "like an unknown one, a caller without VIEW_EVALUATION gets 404 (test_packs_api.py)"
    ),
    ("GET", f"{API_PREFIX}/evaluations/packs/{{pack_id}}"): ApiOp(
        "GET", f"{API_PREFIX}/evaluations/packs/{{pack_id}}", "packs_clone_a", VIEWERS_OF_PROVINCE_A
    ),
}

API_OBJECT_URL_NAMES = {"api:evaluations_get_pack"}

NO_OBJECT_URLS = {
    "evaluations:packs": NoObject(
        "list: built-in packs (regulations, readable by all) and clones from "
        "visible_to(actor, VIEW_EVALUATION)"
    ),
    "evaluations:simulator": NoObject(
        "no object: rates typed-in values; packs offered from list_packs(actor); needs "
        "VIEW_EVALUATION somewhere",
        overrides={"member_a": 404},
    ),
    "api:evaluations_list_packs": NoObject(
        "list: built-in packs and clones from visible_to(actor, VIEW_EVALUATION)", api=True
    ),
    "api:evaluations_simulate": NoObject(
        "POST only (a GET answers 405); see API_OPERATIONS", status=405, api=True
    ),
}
