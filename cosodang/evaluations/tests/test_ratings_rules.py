"""Pure rules of ratings: position groups, percentiles, outliers, order, stored reasons."""

from __future__ import annotations

import pytest

from cosodang.evaluations import rules_ratings as rr
from cosodang.evaluations.rules import evaluate
from cosodang.evaluations.tests.builders import QD366, subject
from cosodang.members.choices import Rank
from cosodang.members.rules import PartyPost


def test_every_police_rank_falls_in_exactly_one_band() -> None:
    data = rr.grouping()
    for rank in Rank.values:
        assert sum(rank in b.ranks for b in data.rank_bands) == 1, rank


def test_every_party_post_code_in_the_data_file_exists() -> None:
    posts = {p.value for p in PartyPost}
    for group in rr.grouping().post_groups:
        assert group.party_posts <= posts, group.code


def test_a_major_without_a_post_is_in_the_field_grade_officer_band_without_post() -> None:
    assert rr.place("thieu_ta", []).group == "ta|can_bo"


def test_a_member_without_rank_is_in_the_no_rank_band() -> None:
    assert rr.place("", []).group.startswith("khong|")


def test_a_deputy_team_leader_title_is_a_deputy_commander_not_a_commander() -> None:
    placement = rr.place("dai_uy", [rr.Post(title="Phó Đội trưởng")])
    assert placement.group == "uy|chi_huy_pho"


def test_a_team_leader_title_is_a_commander_and_rated_as_a_leader() -> None:
    placement = rr.place("trung_ta", [rr.Post(title="Đội trưởng")])
    assert (placement.group, placement.subject_kind) == ("ta|chi_huy_truong", "leader")


def test_a_title_word_matches_whole_words_only() -> None:
    # "Trường" folds to "truong" too; "Giảng viên trường" must not become a commander, but a
    # whole word match is all the data can tell, so we check a title with the word inside.
    assert rr.place("", [rr.Post(title="Cán bộ")]).group == "khong|can_bo"
    assert rr.place("", [rr.Post(title="Trưởngphòng")]).group == "khong|can_bo"


def test_a_cell_secretary_heads_the_cell_of_the_post() -> None:
    placement = rr.place("thieu_ta", [rr.Post(party_post="bi_thu", org=7)])
    assert placement.headed_orgs == (7,)
    assert placement.group == "ta|cap_uy_chu_chot"


def test_a_deputy_secretary_heads_nothing() -> None:
    assert rr.place("thieu_ta", [rr.Post(party_post="pho_bi_thu", org=7)]).headed_orgs == ()


def test_the_first_group_of_the_data_file_wins_for_several_posts() -> None:
    placement = rr.place(
        "thieu_ta", [rr.Post(title="Đội trưởng"), rr.Post(party_post="bi_thu", org=3)]
    )
    assert placement.group == "ta|cap_uy_chu_chot"
    assert placement.post_labels == ("cap_uy_chu_chot", "chi_huy_truong")


def test_group_label_names_band_and_post_group() -> None:
    assert rr.group_label("ta|can_bo") == (
        "Cấp tá · Cán bộ, chiến sĩ không giữ chức vụ lãnh đạo, quản lý"
    )


def test_percentile_cont_interpolates_like_postgresql() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    assert rr.percentile_cont(values, 0.25) == pytest.approx(1.75)
    assert rr.percentile_cont(values, 0.5) == pytest.approx(2.5)
    assert rr.percentile_cont([5.0], 0.75) == 5.0


def test_percentile_rank_counts_half_of_the_equal_scores() -> None:
    assert rr.percentile_rank([70.0, 80.0, 80.0, 90.0], 80.0) == 50.0
    assert rr.percentile_rank([70.0, 80.0, 90.0, 95.0], 95.0) == 87.5


def test_distribution_reports_count_quartiles_and_mean() -> None:
    dist = rr.distribution([60, 70, 80, 90, 100])
    assert dist is not None
    assert (dist.count, dist.min, dist.q1, dist.median, dist.q3, dist.max, dist.mean) == (
        5,
        60,
        70,
        80,
        90,
        100,
        80,
    )


def test_a_score_beyond_one_and_a_half_iqr_is_an_outlier() -> None:
    dist = rr.distribution([80, 81, 82, 83, 84, 85, 40])
    assert dist is not None
    fences = rr.score_fences(dist, rr.grouping().outliers)
    assert rr.is_score_outlier(40, fences)
    assert not rr.is_score_outlier(80, fences)


def test_a_group_smaller_than_the_minimum_has_no_score_outliers() -> None:
    dist = rr.distribution([10, 90, 95])
    assert dist is not None
    assert rr.score_fences(dist, rr.grouping().outliers) is None


def test_a_level_two_steps_from_the_groups_median_level_is_an_outlier() -> None:
    rule = rr.grouping().outliers
    median = rr.median_level({"HTNV": 5, "HTTNV": 1, "HTXSNV": 1})
    assert median == "HTNV"
    assert rr.is_level_outlier("HTXSNV", median, rule)
    assert not rr.is_level_outlier("HTTNV", median, rule)


def test_collectives_are_ordered_lower_levels_first() -> None:
    order = rr.collective_order([("A.", "province"), ("A.B.C.", "cell"), ("A.B.", "branch")])
    assert order == ["cell", "branch", "province"]


def test_a_head_whose_collective_has_no_level_waits() -> None:
    assert rr.heads_waiting({"head1": 5, "head2": 6, "member": None}, {5: "HTTNV"}) == ["head2"]


def test_the_grassroots_committee_decides_members_under_qd366_data() -> None:
    assert "grassroots_branch" in rr.decider_types("dang_uy_co_so")
    assert rr.decider_types("khong_co") == frozenset()


def test_stored_reasons_expand_to_the_engines_sentences() -> None:
    result = evaluate(subject(QD366, score=85), QD366)
    table = rr.reason_table(QD366)
    stored = rr.pack_reasons(result.raw_reasons, table)
    assert all(isinstance(item, list) for item in stored)
    expected = [{"rule": r.rule, "passed": r.passed, "detail": r.detail} for r in result.reasons]
    assert rr.expand_reasons(stored, table) == expected


def test_stored_engine_reasons_are_a_third_of_the_sentences_or_less() -> None:
    import json

    result = evaluate(subject(QD366, score=85), QD366)
    stored = rr.pack_reasons(result.raw_reasons, rr.reason_table(QD366))
    full = [r.detail for r in result.reasons]
    assert len(json.dumps(stored)) * 3 < len(json.dumps(full, ensure_ascii=False))


def test_a_reason_that_is_not_the_packs_is_stored_whole() -> None:
    reason = rr.text_reason("quota", False, "Vượt tỷ lệ")
    assert rr.expand_reasons([reason], None) == [
        {"rule": "quota", "passed": False, "detail": "Vượt tỷ lệ"}
    ]


def test_the_data_file_refuses_two_default_post_groups() -> None:
    import tomllib

    data = tomllib.loads(rr.DATA_FILE.read_text(encoding="utf-8"))
    data["post_groups"][0]["default"] = True
    with pytest.raises(ValueError, match="default"):
        rr.parse_grouping(data)


def test_the_bulk_json_of_reasons_equals_the_stored_reasons() -> None:
    import json

    for score in (45, 69.99, 85, 95):
        result = evaluate(subject(QD366, score=score, professional_level="HTTNV"), QD366)
        table = rr.reason_table(QD366)
        expected = rr.pack_reasons(result.raw_reasons, table)
        assert json.loads(rr.reasons_json(result.raw_reasons, table)) == expected
