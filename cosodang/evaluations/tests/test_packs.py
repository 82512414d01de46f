"""Tests for the rule-pack files, their validation, selection by date, dict form and cloning."""

from __future__ import annotations

import copy
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cosodang.evaluations.packs import (
    RULEPACK_DIR,
    clone_pack,
    from_dict,
    load_all,
    load_pack,
    loads_pack,
    pack_for,
    to_dict,
    unconfirmed_parameters,
    validate_pack,
)
from cosodang.evaluations.schema import (
    LEVELS_BEST_FIRST,
    NoPackError,
    PackError,
    RulePack,
    SubjectKind,
)
from cosodang.members.rules import DisciplineForm

PACKS = load_all()
BY_CODE = {p.code: p for p in PACKS}


def raw(code: str) -> dict[str, Any]:
    """Return a fresh editable dict of a repo pack."""
    return copy.deepcopy(to_dict(BY_CODE[code]))


def issue_paths(exc: pytest.ExceptionInfo[PackError]) -> list[str]:
    return [i.path for i in exc.value.issues]


# --- the files in the repo ---------------------------------------------------------------------


def test_the_repo_holds_one_pack_per_regime_oldest_first() -> None:
    assert [p.code for p in PACKS] == ["QD132", "QD124", "QD366"]


def test_every_pack_file_is_valid() -> None:
    for path in sorted(RULEPACK_DIR.glob("*.toml")):
        assert validate_pack(load_pack(path)) == []


def test_every_pack_lists_the_four_levels_with_vietnamese_names() -> None:
    for pack in PACKS:
        assert [lv.code for lv in pack.levels] == list(LEVELS_BEST_FIRST)
        assert pack.level_name("HTXSNV") == "Hoàn thành xuất sắc nhiệm vụ"
        assert pack.level_name("KHTNV") == "Không hoàn thành nhiệm vụ"


def test_qd366_is_score_based_with_thresholds_90_70_50() -> None:
    t = BY_CODE["QD366"].thresholds
    assert t is not None
    assert (t.htxsnv, t.httnv, t.htnv) == (Decimal(90), Decimal(70), Decimal(50))
    assert t.confirmed


def test_qd124_and_qd132_grade_each_criterion_instead_of_scoring() -> None:
    for code in ("QD124", "QD132"):
        pack = BY_CODE[code]
        assert pack.scoring == "grades"
        assert pack.thresholds is None
        assert pack.grading is not None
        assert [g.name for g in pack.grading.grades] == ["Xuất sắc", "Tốt", "Trung bình", "Kém"]


def test_qd366_has_the_five_annex_frameworks_of_30_plus_70_points() -> None:
    frameworks = BY_CODE["QD366"].frameworks
    assert [fw.annex for fw in frameworks] == [f"Phụ lục {i}" for i in range(1, 6)]
    for fw in frameworks:
        assert (fw.general_points, fw.task_points) == (Decimal(30), Decimal(70))
        assert sum(c.points or 0 for c in fw.criteria if c.group == "general") == 30
        assert sum(c.points or 0 for c in fw.criteria if c.group == "tasks") == 70


def test_every_pack_names_its_legal_sources_with_numbers() -> None:
    numbers = {p.code: [s.number for s in p.sources] for p in PACKS}
    assert numbers["QD366"][:2] == ["366-QĐ/TW", "43-HD/BTCTW"]
    assert numbers["QD124"] == ["124-QĐ/TW", "25-HD/BTCTW"]
    assert numbers["QD132"] == ["132-QĐ/TW", "16-HD/BTCTW", "21-HD/BTCTW"]


def test_every_unconfirmed_parameter_carries_a_note() -> None:
    for pack in PACKS:
        assert unconfirmed_parameters(pack)
        assert all(issue.message.strip() for issue in unconfirmed_parameters(pack))


def test_the_qd366_quota_and_head_cap_are_marked_not_confirmed() -> None:
    paths = {i.path for i in unconfirmed_parameters(BY_CODE["QD366"])}
    assert {"quota", "head_cap", "several_posts", "applicability"} <= paths


def test_the_qd132_quota_and_head_cap_are_confirmed_by_hd21() -> None:
    pack = BY_CODE["QD132"]
    assert pack.quota.confirmed and pack.head_cap.confirmed


def test_the_default_quota_is_20_percent_of_httnv_in_every_pack() -> None:
    for pack in PACKS:
        assert (pack.quota.max_ratio, pack.quota.basis) == (Decimal("0.2"), "httnv")


def test_pack_discipline_forms_match_the_member_registry() -> None:
    individual = {f.value for f in DisciplineForm}
    for pack in PACKS:
        forms = {f.code for f in pack.discipline.forms if f.applies_to != "collective"}
        assert forms == individual


def test_the_grassroots_committee_decides_on_the_cells_proposal_by_default() -> None:
    for pack in PACKS:
        member = next(d for d in pack.decisions if "member" in d.kinds)
        assert (member.proposer, member.decider) == ("chi_bo", "dang_uy_co_so")


# --- selection by date -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "code"),
    [
        (date(2018, 1, 1), "QD132"),
        (date(2022, 12, 31), "QD132"),
        (date(2023, 1, 1), "QD124"),
        (date(2024, 12, 31), "QD124"),
        (date(2025, 1, 1), "QD366"),
        (date(2025, 12, 31), "QD366"),
        (date(2031, 6, 30), "QD366"),
    ],
)
def test_the_pack_in_force_is_chosen_by_the_period_end_date(on: date, code: str) -> None:
    assert pack_for(on, PACKS).code == code


def test_a_date_before_every_pack_is_refused_in_vietnamese() -> None:
    with pytest.raises(NoPackError, match=r"Không có gói quy tắc .* 31/12/2017"):
        pack_for(date(2017, 12, 31), PACKS)


def test_two_packs_in_force_on_the_same_date_are_refused() -> None:
    clone = clone_pack(BY_CODE["QD366"], code="QD366_HN")
    with pytest.raises(NoPackError, match=re.escape("QD366, QD366_HN")):
        pack_for(date(2025, 12, 31), [*PACKS, clone])


def test_overlapping_pack_files_are_refused_when_loading_a_directory(tmp_path: Path) -> None:
    for name in ("qd124.toml", "qd366.toml"):
        (tmp_path / name).write_text((RULEPACK_DIR / name).read_text("utf-8"), "utf-8")
    text = (RULEPACK_DIR / "qd132.toml").read_text("utf-8")
    (tmp_path / "qd132.toml").write_text(text.replace("2022-12-31", "2023-06-30"), "utf-8")
    with pytest.raises(PackError, match=re.escape("QD124.effective_from: chồng lấn")):
        load_all(tmp_path)


# --- validation --------------------------------------------------------------------------------


def test_an_unknown_key_is_refused_naming_the_key() -> None:
    data = raw("QD366")
    data["quota"]["max_ratoi"] = 0.1
    with pytest.raises(PackError) as exc:
        from_dict(data)
    assert issue_paths(exc) == ["quota.max_ratoi"]
    assert "khóa không hợp lệ" in str(exc.value)


def test_an_unknown_key_inside_a_list_item_is_named_by_the_item_id() -> None:
    data = raw("QD366")
    data["conditions"][0]["levle"] = "HTXSNV"
    with pytest.raises(PackError) as exc:
        from_dict(data)
    assert issue_paths(exc) == ["conditions.htxsnv_dung_tien_do.levle"]


def test_a_missing_required_key_is_named() -> None:
    data = raw("QD366")
    del data["quota"]["max_ratio"]
    with pytest.raises(PackError, match=re.escape("quota.max_ratio: thiếu khóa bắt buộc")):
        from_dict(data)


def test_a_value_of_the_wrong_type_is_named() -> None:
    data = raw("QD366")
    data["head_cap"]["enabled"] = "yes"
    with pytest.raises(PackError, match=re.escape("head_cap.enabled: phải là true hoặc false")):
        from_dict(data)


def test_thresholds_must_descend() -> None:
    data = raw("QD366")
    data["thresholds"]["httnv"] = 95
    with pytest.raises(PackError, match=re.escape("thresholds: ngưỡng phải giảm dần")):
        from_dict(data)


def test_thresholds_may_not_have_more_than_two_decimals() -> None:
    data = raw("QD366")
    data["thresholds"]["htxsnv"] = 89.995
    with pytest.raises(PackError, match=re.escape("tối đa 2 chữ số thập phân")):
        from_dict(data)


def test_criteria_points_must_sum_to_the_group_points() -> None:
    data = raw("QD366")
    data["frameworks"][2]["criteria"][0]["points"] = 15
    with pytest.raises(PackError) as exc:
        from_dict(data)
    assert issue_paths(exc) == ["frameworks.lanh_dao_quan_ly.criteria"]
    assert "tổng điểm nhóm chung 35 ≠ 30" in str(exc.value)


def test_group_points_must_total_100() -> None:
    data = raw("QD366")
    data["frameworks"][0]["task_points"] = 60
    with pytest.raises(PackError, match=r"general_points \+ task_points phải bằng 100"):
        from_dict(data)


def test_a_score_pack_needs_points_on_every_criterion() -> None:
    data = raw("QD366")
    del data["frameworks"][0]["criteria"][0]["points"]
    with pytest.raises(PackError, match=re.escape("criteria.TT_CHUNG.points: phải là số điểm > 0")):
        from_dict(data)


def test_every_subject_kind_needs_a_framework() -> None:
    data = raw("QD366")
    data["frameworks"][4]["kinds"] = []
    with pytest.raises(PackError, match=re.escape("outside_political_system")):
        from_dict(data)


def test_an_unknown_metric_is_refused() -> None:
    data = raw("QD366")
    data["conditions"][0]["when"][0]["metric"] = "mood"
    with pytest.raises(PackError, match=re.escape("when.0.metric: chỉ số không hợp lệ")):
        from_dict(data)


def test_a_ratio_above_one_is_refused_with_a_hint() -> None:
    data = raw("QD366")
    data["conditions"][2]["when"][0]["value"] = 30
    with pytest.raises(
        PackError, match=re.escape("htxsnv_vuot_yeu_cau.when.0.value: tỷ lệ phải trong")
    ):
        from_dict(data)


def test_a_grade_metric_is_refused_in_a_score_pack() -> None:
    data = raw("QD366")
    data["conditions"][0]["when"][0] = {"metric": "min_grade", "op": ">=", "value": "T"}
    with pytest.raises(PackError, match=re.escape("gói chấm điểm không xếp mức từng tiêu chí")):
        from_dict(data)


def test_an_unknown_grade_value_is_refused() -> None:
    data = raw("QD124")
    data["conditions"][-1]["when"][0]["value"] = "Kha"
    with pytest.raises(PackError, match=re.escape("htnv_tieu_chi_trung_binh.when.0.value")):
        from_dict(data)


def test_a_fact_must_be_declared() -> None:
    data = raw("QD366")
    trigger = next(t for t in data["khtnv_triggers"] if t["id"] == "ld_chi_tieu_kinh_te_xa_hoi")
    trigger["when"][0]["fact"] = "war"
    with pytest.raises(PackError, match=re.escape("sự việc chưa khai báo")):
        from_dict(data)


def test_a_trigger_may_not_carry_a_level() -> None:
    data = raw("QD366")
    data["khtnv_triggers"][0]["level"] = "HTNV"
    with pytest.raises(PackError, match=re.escape("ld_don_vi_duoi_70.level")):
        from_dict(data)


def test_duplicate_rule_ids_are_refused() -> None:
    data = raw("QD366")
    data["conditions"][1]["id"] = data["conditions"][0]["id"]
    with pytest.raises(PackError, match=re.escape("mã bị trùng")):
        from_dict(data)


def test_an_unconfirmed_parameter_without_a_note_is_refused() -> None:
    data = raw("QD366")
    data["quota"]["note"] = " "
    with pytest.raises(
        PackError, match=re.escape("quota.note: tham số chưa xác nhận phải có ghi chú")
    ):
        from_dict(data)


def test_the_levels_may_not_be_changed() -> None:
    data = raw("QD366")
    data["levels"] = data["levels"][:3]
    with pytest.raises(PackError, match=re.escape("levels: phải đúng 4 mức")):
        from_dict(data)


def test_validation_lists_every_problem_at_once() -> None:
    data = raw("QD366")
    data["quota"]["max_ratio"] = 2
    data["several_posts"]["combine"] = "average"
    with pytest.raises(PackError) as exc:
        from_dict(data)
    assert issue_paths(exc) == ["quota.max_ratio", "several_posts.combine"]


def test_toml_syntax_errors_are_reported_as_pack_errors() -> None:
    with pytest.raises(PackError, match=re.escape("lỗi cú pháp TOML")):
        loads_pack("code = ", origin="ban-sao.toml")


# --- dict form and clones ----------------------------------------------------------------------


@pytest.mark.parametrize("code", ["QD132", "QD124", "QD366"])
def test_a_pack_survives_a_json_round_trip(code: str) -> None:
    text = json.dumps(to_dict(BY_CODE[code]), ensure_ascii=False)
    assert from_dict(json.loads(text)) == BY_CODE[code]


def test_a_clone_changes_an_unconfirmed_parameter() -> None:
    clone = clone_pack(BY_CODE["QD366"], code="QD366_HN", overrides={"quota.max_ratio": 0.15})
    assert clone.quota.max_ratio == Decimal("0.15")
    assert BY_CODE["QD366"].quota.max_ratio == Decimal("0.2")


def test_a_clone_records_its_origin_and_overridden_paths() -> None:
    clone = clone_pack(BY_CODE["QD366"], code="QD366_HN", overrides={"quota.max_ratio": 0.15})
    assert (clone.code, clone.derived_from, clone.overridden) == (
        "QD366_HN",
        "QD366",
        ("quota.max_ratio",),
    )
    assert clone.title.endswith("(bản sao)")


def test_a_clone_may_switch_off_an_unconfirmed_rule() -> None:
    path = "khtnv_triggers.cn_ky_luat.enabled"
    clone = clone_pack(BY_CODE["QD366"], code="X", overrides={path: False})
    assert not next(t for t in clone.khtnv_triggers if t.id == "cn_ky_luat").enabled


def test_a_clone_may_change_a_clause_value_addressed_by_position() -> None:
    path = "conditions.htnv_tre_han_ca_nhan.when.0.value"
    clone = clone_pack(BY_CODE["QD366"], code="X", overrides={path: 0.1})
    rule = next(c for c in clone.conditions if c.id == "htnv_tre_han_ca_nhan")
    assert rule.when[0].value == Decimal("0.1")


def test_a_clone_refuses_to_change_a_confirmed_parameter() -> None:
    with pytest.raises(PackError, match=re.escape("thresholds.htxsnv: tham số đã xác nhận")):
        clone_pack(BY_CODE["QD366"], code="X", overrides={"thresholds.htxsnv": 85})


def test_a_forced_clone_may_change_a_confirmed_parameter() -> None:
    clone = clone_pack(BY_CODE["QD366"], code="X", overrides={"thresholds.htxsnv": 85}, force=True)
    assert clone.thresholds is not None and clone.thresholds.htxsnv == 85


def test_a_clone_may_not_mark_a_parameter_confirmed_without_force() -> None:
    with pytest.raises(
        PackError, match=re.escape("quota.confirmed: không tự đánh dấu đã xác nhận")
    ):
        clone_pack(BY_CODE["QD366"], code="X", overrides={"quota.confirmed": True})


def test_a_clone_may_not_override_the_pack_identity() -> None:
    with pytest.raises(PackError, match=re.escape("code: không phải tham số")):
        clone_pack(BY_CODE["QD366"], code="X", overrides={"code": "Y"}, force=True)


def test_a_clone_override_of_an_unknown_path_is_named() -> None:
    with pytest.raises(PackError, match=re.escape("quota.ratio: không tìm thấy 'ratio'")):
        clone_pack(BY_CODE["QD366"], code="X", overrides={"quota.ratio": 0.1})


def test_a_clone_with_an_invalid_value_is_validated_like_a_file() -> None:
    with pytest.raises(PackError, match=re.escape("quota.max_ratio: phải trong khoảng 0–1")):
        clone_pack(BY_CODE["QD366"], code="X", overrides={"quota.max_ratio": 1.5})


def test_a_clone_of_a_clone_accumulates_the_overridden_paths() -> None:
    first = clone_pack(BY_CODE["QD366"], code="A", overrides={"quota.max_ratio": 0.15})
    second = clone_pack(first, code="B", overrides={"head_cap.enabled": False})
    assert second.overridden == ("head_cap.enabled", "quota.max_ratio")


def test_packs_are_frozen() -> None:
    pack: RulePack = BY_CODE["QD366"]
    with pytest.raises(AttributeError):
        pack.code = "X"  # type: ignore[misc]


def test_subject_kinds_are_the_four_of_the_simulator() -> None:
    assert [k.value for k in SubjectKind] == [
        "member",
        "leader",
        "collective",
        "outside_political_system",
    ]
