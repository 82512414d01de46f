"""Table-driven tests of the rating engine for each rule pack."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from cosodang.evaluations.packs import clone_pack
from cosodang.evaluations.rules import (
    Discipline,
    SubjectInputError,
    evaluate,
)
from cosodang.evaluations.schema import Level, RulePack
from cosodang.evaluations.tests.builders import (
    GENERAL,
    KINDS,
    PACKS,
    QD124,
    QD132,
    QD366,
    criteria,
    grades,
    in_year,
    level,
    reason,
    subject,
)

# --- thresholds (QĐ 366, score-based) ----------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (Decimal("49.99"), Level.KHTNV),
        (Decimal("50"), Level.HTNV),
        (Decimal("69.99"), Level.HTNV),
        (Decimal("70"), Level.HTTNV),
        (Decimal("89.99"), Level.HTTNV),
        (Decimal("90"), Level.HTXSNV),
        (Decimal("0"), Level.KHTNV),
        (Decimal("100"), Level.HTXSNV),
    ],
)
def test_qd366_score_boundaries_give_the_level(kind: str, score: Decimal, expected: Level) -> None:
    assert level(subject(kind=kind, score=score)) == expected


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (49.99, Level.KHTNV),
        (50.0, Level.HTNV),
        (69.99, Level.HTNV),
        (70, Level.HTTNV),
        (89.99, Level.HTTNV),
        (90, Level.HTXSNV),
        (89.9, Level.HTTNV),
        (90.0, Level.HTXSNV),
    ],
)
def test_float_and_int_scores_hit_the_same_boundaries(score: float, expected: Level) -> None:
    assert level(subject(score=score)) == expected


def test_a_score_below_50_is_explained_by_the_htnv_threshold() -> None:
    result = evaluate(subject(score=Decimal("49.99")), QD366)
    assert not reason(result, "thresholds.HTNV").passed
    assert (
        "HTNV: điểm ≥ 50 (thực tế: 49.99) — không đạt" in reason(result, "thresholds.HTNV").detail
    )


@pytest.mark.parametrize("code", ["QD124", "QD132"])
def test_grade_based_packs_ignore_the_score(code: str) -> None:
    pack = PACKS[code]
    assert level(subject(pack, score=Decimal("49.99")), pack) == Level.HTXSNV


# --- per-criterion grades (QĐ 124, QĐ 132) -----------------------------------------------------


@pytest.mark.parametrize("code", ["QD124", "QD132"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("general", "tasks", "expected"),
    [
        ("T", "XS", Level.HTXSNV),
        ("XS", "XS", Level.HTXSNV),
        ("T", "T", Level.HTTNV),
        ("TB", "XS", Level.HTNV),
        ("T", "TB", Level.HTNV),
        ("TB", "TB", Level.HTNV),
        ("K", "XS", Level.KHTNV),
        ("XS", "K", Level.KHTNV),
    ],
)
def test_criterion_grades_give_the_level(
    code: str, kind: str, general: str, tasks: str, expected: Level
) -> None:
    pack = PACKS[code]
    s = subject(pack, kind, grades=grades(pack, kind, general, tasks))
    assert level(s, pack) == expected


def test_one_poor_criterion_among_excellent_ones_is_khtnv_under_qd124() -> None:
    g = grades(QD124, "member", "XS", "XS") | {"DAO_DUC_LOI_SONG": "K"}
    result = evaluate(subject(QD124, grades=g), QD124)
    assert result.level == Level.KHTNV
    assert not reason(result, "khtnv_triggers.tieu_chi_kem").passed


def test_a_framework_can_be_chosen_explicitly() -> None:
    s = subject(QD124, "member", framework="lanh_dao_quan_ly", grades=grades(QD124, "leader"))
    assert level(s, QD124) == Level.HTXSNV


# --- extra conditions per level and subject kind -----------------------------------------------


@pytest.mark.parametrize(
    ("kind", "changes", "expected", "failed_rule"),
    [
        # QĐ 366: HTXSNV needs 100 % on time and ≥ 30 % above requirement.
        ("member", {"tasks_above_requirement": 3}, Level.HTXSNV, None),
        ("member", {"tasks_above_requirement": 2}, Level.HTTNV, "conditions.htxsnv_vuot_yeu_cau"),
        (
            "collective",
            {"tasks_above_requirement": 2},
            Level.HTTNV,
            "conditions.htxsnv_vuot_yeu_cau",
        ),
        ("leader", {"tasks_above_requirement": 2}, Level.HTTNV, "conditions.htxsnv_vuot_yeu_cau"),
        (
            "outside_political_system",
            {"tasks_total": 100, "tasks_on_time": 100, "tasks_above_requirement": 29},
            Level.HTTNV,
            "conditions.htxsnv_vuot_yeu_cau",
        ),
        # One late task: not on time → neither HTXSNV nor HTTNV; ≤ 20 % late → HTNV.
        (
            "member",
            {"tasks_on_time": 9, "tasks_late": 1},
            Level.HTNV,
            "conditions.httnv_dung_tien_do",
        ),
        (
            "collective",
            {"tasks_on_time": 9, "tasks_late": 1},
            Level.HTNV,
            "conditions.httnv_dung_tien_do",
        ),
        (
            "leader",
            {"tasks_on_time": 9, "tasks_late": 1},
            Level.HTNV,
            "conditions.httnv_don_vi_dung_tien_do",
        ),
        # HTNV: 100 % completed, ≤ 20 % late.
        (
            "collective",
            {"tasks_on_time": 8, "tasks_late": 2},
            Level.HTNV,
            "conditions.httnv_dung_tien_do",
        ),
        (
            "collective",
            {"tasks_on_time": 7, "tasks_late": 3},
            Level.KHTNV,
            "conditions.htnv_tre_han",
        ),
        ("collective", {"tasks_on_time": 9}, Level.KHTNV, "conditions.htnv_hoan_thanh"),
        (
            "member",
            {"tasks_on_time": 7, "tasks_late": 3},
            Level.KHTNV,
            "conditions.htnv_tre_han_ca_nhan",
        ),
        ("member", {"tasks_on_time": 9}, Level.KHTNV, "conditions.htnv_hoan_thanh_ca_nhan"),
        # Collective HTXSNV: no discipline below or in the leadership, shortcomings remedied.
        (
            "collective",
            {"subordinate_units_total": 10, "subordinate_units_disciplined": 1},
            Level.HTTNV,
            "conditions.htxsnv_cap_duoi_khong_ky_luat",
        ),
        (
            "collective",
            {"leadership_disciplines": (Discipline("khien_trach", date(2025, 3, 1)),)},
            Level.HTTNV,
            "conditions.htxsnv_tap_the_lanh_dao_khong_ky_luat",
        ),
        (
            "collective",
            {"shortcomings_unremedied": 1},
            Level.HTTNV,
            "conditions.htxsnv_khac_phuc_han_che",
        ),
        # Professional (cadre/civil-servant) rating link.
        (
            "member",
            {"professional_level": "HTTNV"},
            Level.HTTNV,
            "conditions.htxsnv_xep_loai_chuyen_mon",
        ),
        ("leader", {"professional_level": "HTXSNV"}, Level.HTXSNV, None),
    ],
)
def test_qd366_extra_conditions(
    kind: str, changes: dict[str, Any], expected: Level, failed_rule: str | None
) -> None:
    result = evaluate(subject(kind=kind, **changes), QD366)
    assert result.level == expected
    failed = [r.rule for r in result.reasons if not r.passed]
    assert failed == ([failed_rule] if failed_rule else [])


def test_a_condition_on_a_missing_professional_rating_does_not_apply() -> None:
    result = evaluate(subject(), QD366)
    check = reason(result, "conditions.htxsnv_xep_loai_chuyen_mon")
    assert check.passed and "không áp dụng" in check.detail


@pytest.mark.parametrize(
    ("code", "kind", "changes", "expected"),
    [
        ("QD124", "member", {"tasks_above_requirement": 5}, Level.HTXSNV),
        ("QD124", "member", {"tasks_above_requirement": 4}, Level.HTTNV),
        ("QD124", "member", {"tasks_on_time": 9, "tasks_late": 1}, Level.HTTNV),
        (
            "QD124",
            "leader",
            {"subordinate_units_total": 4, "subordinate_units_disciplined": 1},
            Level.HTTNV,
        ),
        (
            "QD124",
            "collective",
            {"subordinate_units_total": 10, "subordinate_units_disciplined": 1},
            Level.HTTNV,
        ),
        ("QD124", "member", {"professional_level": "HTTNV"}, Level.HTTNV),
        ("QD132", "member", {"professional_level": "HTTNV"}, Level.HTTNV),
        ("QD132", "leader", {"professional_level": "HTXSNV"}, Level.HTXSNV),
        ("QD132", "outside_political_system", {}, Level.HTXSNV),
    ],
)
def test_grade_pack_extra_conditions(
    code: str, kind: str, changes: dict[str, Any], expected: Level
) -> None:
    pack = PACKS[code]
    assert level(subject(pack, kind, **changes), pack) == expected


# --- KHTNV triggers ----------------------------------------------------------------------------


def _disc(pack: RulePack, form: str = "khien_trach", **kw: Any) -> tuple[Discipline, ...]:
    return (Discipline(form, in_year(pack), **kw),)


TRIGGERS: list[tuple[str, str, dict[str, Any], str]] = [
    # QĐ 366 — leaders
    ("QD366", "leader", {"tasks_on_time": 6, "tasks_late": 0}, "ld_don_vi_duoi_70"),
    ("QD366", "leader", {"facts": frozenset({"key_targets_missed"})}, "ld_chi_tieu_kinh_te_xa_hoi"),
    (
        "QD366",
        "leader",
        {"subordinate_units_total": 10, "subordinate_units_khtnv": 6},
        "ld_cap_duoi_khtnv",
    ),
    ("QD366", "leader", {"low_confidence_ratio": Decimal("0.51")}, "ld_tin_nhiem_thap"),
    ("QD366", "leader", {"disciplines": "khien_trach"}, "ld_ky_luat"),
    ("QD366", "leader", {"degradation_concluded": True}, "ld_suy_thoai"),
    ("QD366", "leader", {"professional_level": "KHTNV"}, "chuyen_mon_khtnv"),
    # QĐ 366 — members and members outside the political system
    ("QD366", "member", {"degradation_concluded": True}, "cn_suy_thoai"),
    ("QD366", "member", {"disciplines": "canh_cao"}, "cn_ky_luat"),
    ("QD366", "outside_political_system", {"disciplines": "khien_trach"}, "cn_ky_luat"),
    ("QD366", "member", {"tasks_on_time": 4, "tasks_above_requirement": 0}, "cn_nhiem_vu_duoi_50"),
    ("QD366", "member", {"professional_level": "KHTNV"}, "chuyen_mon_khtnv"),
    # QĐ 366 — collectives
    ("QD366", "collective", {"disciplines": "khien_trach"}, "tt_bi_ky_luat"),
    (
        "QD366",
        "collective",
        {"subordinate_units_total": 10, "subordinate_units_disciplined": 3},
        "tt_cap_duoi_ky_luat_20",
    ),
    (
        "QD366",
        "collective",
        {"facts": frozenset({"internal_disunity_concluded"})},
        "tt_mat_doan_ket",
    ),
    ("QD366", "collective", {"degradation_concluded": True}, "tt_suy_thoai"),
    (
        "QD366",
        "collective",
        {
            "tasks_on_time": 4,
            "tasks_above_requirement": 0,
            "facts": frozenset({"key_targets_missed"}),
        },
        "tt_nhiem_vu_duoi_50",
    ),
    # QĐ 124
    ("QD124", "member", {"disciplines": "khien_trach"}, "cn_ky_luat"),
    ("QD124", "member", {"degradation_concluded": True}, "cn_suy_thoai"),
    ("QD124", "member", {"facts": frozenset({"prohibitions_breached"})}, "cn_vi_pham_dieu_cam"),
    ("QD124", "member", {"facts": frozenset({"exemplary_duty_failed"})}, "cn_khong_neu_guong"),
    ("QD124", "member", {"professional_level": "KHTNV"}, "chuyen_mon_khtnv"),
    ("QD124", "leader", {"tasks_on_time": 4, "tasks_above_requirement": 0}, "ld_don_vi_duoi_50"),
    ("QD124", "leader", {"leadership_disciplines": "khien_trach"}, "ld_tap_the_bi_ky_luat"),
    ("QD124", "collective", {"disciplines": "canh_cao"}, "tt_bi_ky_luat"),
    (
        "QD124",
        "collective",
        {"facts": frozenset({"subordinate_violation_disciplined"})},
        "tt_cap_duoi_vi_pham",
    ),
    (
        "QD124",
        "collective",
        {"subordinate_units_total": 5, "subordinate_units_disciplined": 2},
        "tt_cap_duoi_ky_luat_20",
    ),
    (
        "QD124",
        "collective",
        {"facts": frozenset({"internal_disunity_concluded"})},
        "tt_mat_doan_ket",
    ),
    ("QD124", "collective", {"degradation_concluded": True}, "tt_suy_thoai"),
    (
        "QD124",
        "collective",
        {
            "tasks_on_time": 4,
            "tasks_above_requirement": 0,
            "facts": frozenset({"key_targets_missed"}),
        },
        "tt_nhiem_vu_duoi_50",
    ),
    # QĐ 132 (HD 21)
    ("QD132", "member", {"degradation_concluded": True}, "suy_thoai"),
    ("QD132", "member", {"tasks_on_time": 4, "tasks_above_requirement": 0}, "nhiem_vu_duoi_50"),
    ("QD132", "member", {"professional_level": "KHTNV"}, "chuyen_mon_khtnv"),
    ("QD132", "member", {"disciplines": "khien_trach"}, "ky_luat_trong_nam"),
    ("QD132", "leader", {"disciplines": "cach_chuc"}, "ky_luat_trong_nam"),
    ("QD132", "collective", {"leadership_disciplines": "canh_cao"}, "tt_lanh_dao_bi_ky_luat"),
]


def _with_disciplines(pack: RulePack, changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(changes)
    for key in ("disciplines", "leadership_disciplines"):
        if isinstance(out.get(key), str):
            out[key] = _disc(pack, out[key])
    return out


@pytest.mark.parametrize(("code", "kind", "changes", "trigger"), TRIGGERS)
def test_each_khtnv_trigger_forces_khtnv(
    code: str, kind: str, changes: dict[str, Any], trigger: str
) -> None:
    pack = PACKS[code]
    result = evaluate(subject(pack, kind, **_with_disciplines(pack, changes)), pack)
    assert result.level == Level.KHTNV
    assert not reason(result, f"khtnv_triggers.{trigger}").passed


@pytest.mark.parametrize(
    ("code", "kind", "changes", "trigger"),
    [
        ("QD366", "leader", {"tasks_on_time": 7}, "ld_don_vi_duoi_70"),
        (
            "QD366",
            "leader",
            {"subordinate_units_total": 10, "subordinate_units_khtnv": 5},
            "ld_cap_duoi_khtnv",
        ),
        ("QD366", "leader", {"low_confidence_ratio": 0.5}, "ld_tin_nhiem_thap"),
        ("QD366", "member", {"tasks_on_time": 5}, "cn_nhiem_vu_duoi_50"),
        (
            "QD366",
            "collective",
            {"subordinate_units_total": 10, "subordinate_units_disciplined": 2},
            "tt_cap_duoi_ky_luat_20",
        ),
        (
            "QD366",
            "collective",
            {"tasks_on_time": 4, "tasks_above_requirement": 0},
            "tt_nhiem_vu_duoi_50",
        ),
        ("QD132", "member", {"tasks_on_time": 5}, "nhiem_vu_duoi_50"),
        (
            "QD132",
            "collective",
            {"leadership_disciplines": "khien_trach"},
            "tt_lanh_dao_bi_ky_luat",
        ),
    ],
)
def test_a_trigger_just_short_of_its_limit_does_not_fire(
    code: str, kind: str, changes: dict[str, Any], trigger: str
) -> None:
    pack = PACKS[code]
    result = evaluate(subject(pack, kind, **_with_disciplines(pack, changes)), pack)
    assert reason(result, f"khtnv_triggers.{trigger}").passed


def test_a_trigger_fires_even_with_a_perfect_score() -> None:
    s = subject(score=Decimal("100"), degradation_concluded=True)
    assert level(s) == Level.KHTNV


def test_a_trigger_on_a_value_not_given_does_not_apply() -> None:
    result = evaluate(subject(kind="leader"), QD366)
    check = reason(result, "khtnv_triggers.ld_tin_nhiem_thap")
    assert check.passed and "không áp dụng" in check.detail


def test_every_trigger_is_listed_even_when_one_fires() -> None:
    result = evaluate(subject(kind="leader", degradation_concluded=True), QD366)
    listed = [r.rule for r in result.reasons]
    expected = [f"khtnv_triggers.{t.id}" for t in QD366.khtnv_triggers if "leader" in t.kinds]
    assert listed == expected


# --- discipline in the year --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (date(2024, 12, 31), Level.HTXSNV),
        (date(2025, 1, 1), Level.KHTNV),
        (date(2025, 12, 31), Level.KHTNV),
        (date(2026, 1, 1), Level.HTXSNV),
    ],
)
def test_only_disciplines_decided_within_the_period_count(when: date, expected: Level) -> None:
    s = subject(disciplines=(Discipline("khien_trach", when),))
    assert level(s) == expected


def test_a_violation_already_counted_in_an_earlier_rating_is_not_counted_again() -> None:
    s = subject(QD132, disciplines=_disc(QD132, counted_before=True))
    assert level(s, QD132) == Level.HTXSNV


def test_two_decisions_for_one_violation_count_once_at_the_most_severe_form() -> None:
    both = (
        Discipline("khien_trach", in_year(QD132, 3), violation="V1"),
        Discipline("canh_cao", in_year(QD132, 9), violation="V1"),
    )
    result = evaluate(subject(QD132, disciplines=both), QD132)
    assert "thực tế: 1 (Cảnh cáo)" in reason(result, "khtnv_triggers.ky_luat_trong_nam").detail


def test_without_the_count_once_rule_every_decision_counts() -> None:
    pack = clone_pack(QD132, code="X", overrides={"discipline.count_once": False}, force=True)
    both = (
        Discipline("khien_trach", in_year(QD132, 3), violation="V1", counted_before=True),
        Discipline("canh_cao", in_year(QD132, 9), violation="V1"),
    )
    result = evaluate(subject(QD132, disciplines=both), pack)
    assert "thực tế: 2 (" in reason(result, "khtnv_triggers.ky_luat_trong_nam").detail


def test_a_min_form_ignores_lighter_disciplines() -> None:
    s = subject(QD132, "collective", leadership_disciplines=_disc(QD132, "khien_trach"))
    assert level(s, QD132) == Level.HTXSNV


def test_a_cap_rule_lowers_the_level_without_forcing_khtnv() -> None:
    cap = {
        "id": "ky_luat_toi_da_htnv",
        "title": "bị kỷ luật trong kỳ",
        "level": "HTNV",
        "kinds": ["member"],
        "when": [{"metric": "disciplines", "op": ">=", "value": 1}],
        "confirmed": False,
        "source": "thử nghiệm",
        "note": "ví dụ",
    }
    pack = clone_pack(
        QD366,
        code="X",
        overrides={"caps": [cap], "khtnv_triggers.cn_ky_luat.enabled": False},
        force=True,
    )
    result = evaluate(subject(disciplines=_disc(QD366)), pack)
    assert result.level == Level.HTNV
    assert not reason(result, "caps.ky_luat_toi_da_htnv").passed


# --- reasons -----------------------------------------------------------------------------------


def test_reasons_list_every_trigger_threshold_and_condition_checked() -> None:
    result = evaluate(subject(), QD366)
    conditions = [c for c in QD366.conditions if "member" in c.kinds]
    triggers = [t for t in QD366.khtnv_triggers if "member" in t.kinds]
    assert len(result.reasons) == len(triggers) + 3 + len(conditions)


def test_every_reason_names_its_source_and_flags_unconfirmed_rules() -> None:
    result = evaluate(subject(kind="collective"), QD366)
    assert all("Nguồn: " in r.detail for r in result.reasons)
    assert "(chưa xác nhận)" in reason(result, "khtnv_triggers.tt_bi_ky_luat").detail
    assert "(chưa xác nhận)" not in reason(result, "thresholds.HTXSNV").detail


def test_the_result_names_the_pack() -> None:
    assert evaluate(subject(QD124), QD124).pack_code == "QD124"


def test_a_cloned_pack_is_evaluated_with_its_own_parameters() -> None:
    pack = clone_pack(
        QD366, code="X", overrides={"conditions.htnv_tre_han_ca_nhan.when.0.value": 0.1}
    )
    s = subject(score=Decimal("60"), tasks_on_time=8, tasks_late=2)
    assert (level(s, QD366), level(s, pack)) == (Level.HTNV, Level.KHTNV)


# --- input validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tasks_on_time": 11}, "tasks_on_time"),
        ({"tasks_on_time": 8, "tasks_late": 3}, "tasks_late"),
        ({"tasks_on_time": 5, "tasks_above_requirement": 6}, "tasks_above_requirement"),
        ({"tasks_total": 0, "tasks_on_time": 0, "tasks_above_requirement": 0}, "tasks_total"),
        ({"tasks_late": -1}, "tasks_late"),
        ({"tasks_total": 10.0}, "tasks_total"),
        ({"score": None}, "score"),
        ({"score": Decimal("100.01")}, "score"),
        ({"score": -1}, "score"),
        ({"score": Decimal("89.995")}, "score"),
        ({"score": 89.999}, "score"),
        ({"score": True}, "score"),
        ({"score": float("nan")}, "score"),
        ({"subject_kind": "cadre"}, "subject_kind"),
        ({"period": (date(2025, 12, 31), date(2025, 1, 1))}, "period"),
        ({"professional_level": "GIOI"}, "professional_level"),
        ({"collective_level": "A"}, "collective_level"),
        ({"disciplines": (Discipline("phat_tien", date(2025, 1, 2)),)}, "disciplines[0].form"),
        ({"disciplines": (Discipline("giai_tan", date(2025, 1, 2)),)}, "disciplines[0].form"),
        ({"facts": frozenset({"unknown"})}, "facts"),
        ({"subordinate_units_total": 2, "subordinate_units_khtnv": 3}, "subordinate_units_khtnv"),
        ({"low_confidence_ratio": 1.5}, "low_confidence_ratio"),
        ({"degradation_concluded": "no"}, "degradation_concluded"),
    ],
)
def test_invalid_input_names_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(SubjectInputError) as exc:
        evaluate(subject(**changes), QD366)
    assert exc.value.field == field


def test_a_collective_cannot_be_removed_from_post() -> None:
    s = subject(kind="collective", disciplines=(Discipline("cach_chuc", date(2025, 5, 1)),))
    with pytest.raises(SubjectInputError, match=r"disciplines\[0\].form"):
        evaluate(s, QD366)


@pytest.mark.parametrize(
    ("grades_given", "field"),
    [
        (None, "grades"),
        ({"CHINH_TRI_TU_TUONG": "T"}, "grades.DAO_DUC_LOI_SONG"),
        (grades(QD124, "member") | {"X": "T"}, "grades.X"),
        (grades(QD124, "member") | {"KET_QUA_NHIEM_VU": "A"}, "grades.KET_QUA_NHIEM_VU"),
    ],
)
def test_grade_packs_validate_the_grades(grades_given: dict[str, str] | None, field: str) -> None:
    with pytest.raises(SubjectInputError) as exc:
        evaluate(replace(subject(QD124), grades=grades_given), QD124)
    assert exc.value.field == field


def test_an_unknown_framework_is_refused() -> None:
    with pytest.raises(SubjectInputError) as exc:
        evaluate(subject(QD124, framework="nope"), QD124)
    assert exc.value.field == "framework"


def test_input_errors_are_in_vietnamese() -> None:
    with pytest.raises(
        SubjectInputError, match=re.escape("tasks_on_time: không được lớn hơn tasks_total")
    ):
        evaluate(subject(tasks_on_time=11), QD366)


def test_general_criteria_codes_are_shared_by_the_grade_frameworks() -> None:
    for pack in (QD124, QD132):
        assert set(GENERAL) <= set(criteria(pack, "member"))
