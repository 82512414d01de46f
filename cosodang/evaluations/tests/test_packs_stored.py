"""Stored rule packs: loading the repo's packs, selection by date, visibility, clone, edit."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.http import Http404

from cosodang.core.models import AuditEvent
from cosodang.core.testing import World
from cosodang.evaluations import packs
from cosodang.evaluations.models import StoredPack
from cosodang.evaluations.schema import NoPackError, PackError
from cosodang.evaluations.selectors import packs as selectors
from cosodang.evaluations.services.packs import (
    clone_stored_pack,
    sync_builtin_packs,
    update_clone_parameters,
)

pytestmark = pytest.mark.django_db


def builtin(code: str = "QD366") -> StoredPack:
    return StoredPack.objects.get(code=code)


def make_clone(w: World, code: str = "QD366-HN") -> StoredPack:
    return clone_stored_pack(
        actor=w.staff_a,
        source=builtin(),
        owner=w.province_a,
        code=code,
        title="QĐ 366 — bản Hà Nội",
        effective_from=date(2025, 1, 1),
    )


@pytest.fixture
def pack_dir(tmp_path: Path) -> Path:
    for f in packs.RULEPACK_DIR.glob("*.toml"):
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


# --- loading ---------------------------------------------------------------------------------


def test_migrate_has_loaded_every_pack_file_as_a_builtin_pack() -> None:
    rows = StoredPack.objects.filter(builtin=True)
    assert sorted(rows.values_list("code", flat=True)) == ["QD124", "QD132", "QD366"]


def test_a_stored_builtin_pack_equals_its_file() -> None:
    assert selectors.rule_pack(builtin()) == packs.load_pack(packs.RULEPACK_DIR / "qd366.toml")


def test_sync_twice_changes_nothing_and_audits_nothing() -> None:
    events = AuditEvent.objects.count()
    report = sync_builtin_packs()
    assert report.created == report.updated == []
    assert AuditEvent.objects.count() == events


def test_sync_restores_a_changed_row_and_audits_it_once() -> None:
    row = builtin()
    row.data = {**row.data, "title": "Sửa tay"}
    row.title = "Sửa tay"
    row.save()
    report = sync_builtin_packs()
    assert report.updated == ["QD366"]
    assert builtin().title != "Sửa tay"
    assert AuditEvent.objects.filter(action="evaluations.pack.reload").count() == 1


def test_sync_records_the_changed_pack_paths_in_the_audit(pack_dir: Path) -> None:
    path = pack_dir / "qd366.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("max_ratio = 0.20", "max_ratio = 0.25"),
        encoding="utf-8",
    )
    sync_builtin_packs(directory=pack_dir)
    event = AuditEvent.objects.get(action="evaluations.pack.reload")
    assert event.diff == {"data": {"quota.max_ratio": [0.2, 0.25]}}


def test_sync_creates_a_missing_pack_and_audits_its_creation() -> None:
    builtin("QD132").delete()
    loads = AuditEvent.objects.filter(action="evaluations.pack.load")
    before = loads.count()
    report = sync_builtin_packs()
    assert report.created == ["QD132"]
    assert loads.count() == before + 1


def test_the_first_installation_writes_no_audit_event() -> None:
    StoredPack.objects.all().delete()
    events = AuditEvent.objects.count()
    report = sync_builtin_packs()
    assert (len(report.created), AuditEvent.objects.count()) == (3, events)


def test_a_fresh_database_holds_no_audit_event_from_loading_the_packs() -> None:
    # The audit trail of a new installation starts empty (core tests rely on it).
    assert not AuditEvent.objects.filter(action__startswith="evaluations.pack").exists()


def test_sync_refuses_a_file_whose_code_belongs_to_a_clone(world: World, pack_dir: Path) -> None:
    make_clone(world, code="QD999")
    text = (pack_dir / "qd366.toml").read_text(encoding="utf-8")
    text = text.replace('code = "QD366"', 'code = "QD999"').replace(
        "effective_from = 2025-01-01", "effective_from = 2030-01-01"
    )
    (pack_dir / "qd999.toml").write_text(text, encoding="utf-8")
    with pytest.raises(PackError):
        sync_builtin_packs(directory=pack_dir)


def test_sync_refuses_an_invalid_pack_file_and_writes_nothing(pack_dir: Path) -> None:
    path = pack_dir / "qd366.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("max_ratio = 0.20", "max_ratio = 2"),
        encoding="utf-8",
    )
    before = builtin().data
    with pytest.raises(PackError):
        sync_builtin_packs(directory=pack_dir)
    assert builtin().data == before


def test_load_rule_packs_command_reports_unchanged_packs() -> None:
    out = StringIO()
    call_command("load_rule_packs", stdout=out)
    assert out.getvalue().strip() == "Không đổi: QD132, QD124, QD366"


# --- selection and cache ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (date(2020, 12, 31), "QD132"),
        (date(2024, 12, 31), "QD124"),
        (date(2025, 1, 1), "QD366"),
        (date(2026, 6, 30), "QD366"),
    ],
)
def test_pack_for_date_chooses_the_pack_in_force(world: World, day: date, code: str) -> None:
    assert selectors.pack_for_date(world.staff_a, day).code == code


def test_pack_for_date_before_any_pack_raises_no_pack_error(world: World) -> None:
    with pytest.raises(NoPackError):
        selectors.pack_for_date(world.staff_a, date(2010, 12, 31))


def test_pack_for_date_never_chooses_a_clone(world: World) -> None:
    make_clone(world)
    assert selectors.pack_for_date(world.staff_a, date(2025, 12, 31)).code == "QD366"


def test_rule_pack_is_parsed_once_per_row_version() -> None:
    row = builtin()
    assert selectors.rule_pack(row) is selectors.rule_pack(builtin())


def test_rule_pack_is_parsed_again_after_the_row_changes(world: World) -> None:
    clone = make_clone(world)
    first = selectors.rule_pack(clone)
    update_clone_parameters(actor=world.staff_a, stored=clone, values={"quota.max_ratio": "0.3"})
    second = selectors.rule_pack(StoredPack.objects.get(pk=clone.pk))
    assert (first.quota.max_ratio, second.quota.max_ratio) == (Decimal("0.2"), Decimal("0.3"))


def test_get_pack_by_code_returns_the_rule_pack(world: World) -> None:
    assert selectors.get_pack(world.plain_member_a, "QD124").scoring == "grades"


def test_get_pack_of_a_clone_outside_the_scope_raises_no_pack_error(world: World) -> None:
    make_clone(world)
    with pytest.raises(NoPackError):
        selectors.get_pack(world.staff_b, "QD366-HN")


# --- visibility ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("admin", True),
        ("staff_a", True),
        ("inspector_a", True),
        ("secretary_a", False),
        ("member_a", False),
        ("staff_b", False),
    ],
)
def test_a_clone_is_visible_in_the_owners_subtree_only(
    world: World, persona: str, sees: bool
) -> None:
    make_clone(world)
    codes = set(selectors.list_packs(world.personas()[persona]).values_list("code", flat=True))
    assert ("QD366-HN" in codes) is sees


def test_every_logged_in_user_sees_the_builtin_packs(world: World) -> None:
    codes = set(selectors.list_packs(world.plain_member_a).values_list("code", flat=True))
    assert codes == {"QD132", "QD124", "QD366"}


def test_get_managed_clone_of_a_builtin_pack_is_404(world: World) -> None:
    with pytest.raises(Http404):
        selectors.get_managed_clone(world.admin, builtin().pk)


# --- clone -----------------------------------------------------------------------------------


def test_clone_keeps_every_rule_of_its_source(world: World) -> None:
    clone = selectors.rule_pack(make_clone(world))
    source = selectors.rule_pack(builtin())
    assert (clone.conditions, clone.quota, clone.derived_from) == (
        source.conditions,
        source.quota,
        "QD366",
    )


def test_clone_is_audited_once_with_its_owner(world: World) -> None:
    make_clone(world)
    event = AuditEvent.objects.get(action="evaluations.pack.clone")
    assert event.diff["owner"] == [None, world.province_a.code]
    assert event.org_path == world.province_a.path


def test_clone_sets_its_own_effective_dates(world: World) -> None:
    clone = clone_stored_pack(
        actor=world.staff_a,
        source=builtin(),
        owner=world.province_a,
        code="QD366-HN-2026",
        title="Năm 2026",
        effective_from=date(2026, 1, 1),
        effective_to=date(2026, 12, 31),
    )
    pack = selectors.rule_pack(clone)
    assert (pack.effective_from, pack.effective_to) == (date(2026, 1, 1), date(2026, 12, 31))


def test_clone_for_an_organisation_outside_the_actors_scope_is_404(world: World) -> None:
    with pytest.raises(Http404):
        clone_stored_pack(
            actor=world.staff_a,
            source=builtin(),
            owner=world.province_b,
            code="QD366-CT",
            title="Cần Thơ",
            effective_from=date(2025, 1, 1),
        )


def test_clone_refuses_a_code_with_spaces(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        make_clone(world, code="QD 366")
    assert "code" in exc.value.message_dict


def test_clone_refuses_an_end_before_the_start(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        clone_stored_pack(
            actor=world.staff_a,
            source=builtin(),
            owner=world.province_a,
            code="QD366-X",
            title="X",
            effective_from=date(2026, 1, 1),
            effective_to=date(2025, 1, 1),
        )
    assert "effective_to" in exc.value.message_dict


# --- edit ------------------------------------------------------------------------------------


def test_edit_changes_an_unconfirmed_parameter(world: World) -> None:
    clone = make_clone(world)
    update_clone_parameters(actor=world.staff_a, stored=clone, values={"head_cap.enabled": False})
    assert selectors.rule_pack(StoredPack.objects.get(pk=clone.pk)).head_cap.enabled is False


def test_edit_records_the_changed_path_in_the_pack(world: World) -> None:
    clone = make_clone(world)
    update_clone_parameters(actor=world.staff_a, stored=clone, values={"head_cap.enabled": False})
    pack = selectors.rule_pack(StoredPack.objects.get(pk=clone.pk))
    assert (pack.overridden, pack.derived_from) == (("head_cap.enabled",), "QD366")


def test_edit_is_audited_once_with_before_and_after(world: World) -> None:
    clone = make_clone(world)
    update_clone_parameters(
        actor=world.staff_a,
        stored=clone,
        values={"quota.max_ratio": Decimal("0.3"), "quota.basis": "rated"},
    )
    event = AuditEvent.objects.get(action="evaluations.pack.edit")
    assert event.diff == {"quota.basis": ["httnv", "rated"], "quota.max_ratio": ["0.2", "0.3"]}


def test_edit_without_a_change_writes_and_audits_nothing(world: World) -> None:
    clone = make_clone(world)
    events = AuditEvent.objects.count()
    update_clone_parameters(
        actor=world.staff_a, stored=clone, values={"quota.max_ratio": Decimal("0.2")}
    )
    assert AuditEvent.objects.count() == events


def test_edit_of_a_confirmed_parameter_is_refused(world: World) -> None:
    clone = make_clone(world)
    with pytest.raises(ValidationError) as exc:
        update_clone_parameters(
            actor=world.staff_a, stored=clone, values={"thresholds.htxsnv": Decimal(85)}
        )
    assert "thresholds.htxsnv" in exc.value.message_dict


def test_edit_of_a_confirmed_condition_is_refused(world: World) -> None:
    clone = make_clone(world)
    with pytest.raises(ValidationError):
        update_clone_parameters(
            actor=world.staff_a,
            stored=clone,
            values={"conditions.htxsnv_vuot_yeu_cau.when.0.value": Decimal("0.2")},
        )


def test_edit_of_an_invalid_value_is_refused_with_the_packs_message(world: World) -> None:
    clone = make_clone(world)
    with pytest.raises(ValidationError) as exc:
        update_clone_parameters(
            actor=world.staff_a, stored=clone, values={"quota.max_ratio": Decimal("1.5")}
        )
    assert exc.value.message_dict == {"quota.max_ratio": ["phải trong khoảng 0–1"]}


def test_a_refused_edit_writes_nothing(world: World) -> None:
    clone = make_clone(world)
    before, events = clone.data, AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        update_clone_parameters(
            actor=world.staff_a,
            stored=clone,
            values={"quota.basis": "rated", "quota.max_ratio": Decimal("-1")},
        )
    clone.refresh_from_db()
    assert (clone.data, AuditEvent.objects.count()) == (before, events)


def test_edit_of_a_builtin_pack_is_refused(world: World) -> None:
    with pytest.raises(ValidationError):
        update_clone_parameters(
            actor=world.admin, stored=builtin(), values={"quota.max_ratio": Decimal("0.3")}
        )


def test_edit_by_an_inspector_is_404(world: World) -> None:
    clone = make_clone(world)
    with pytest.raises(Http404):
        update_clone_parameters(
            actor=world.inspector_a, stored=clone, values={"head_cap.enabled": False}
        )
