"""Tests of the group-level caps: head capped by the collective, quota, several posts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cosodang.evaluations.packs import clone_pack
from cosodang.evaluations.rules import (
    GroupMember,
    SubjectInputError,
    apply_head_cap,
    apply_quota,
    evaluate,
    evaluate_posts,
    quota_allowed,
)
from cosodang.evaluations.schema import Level
from cosodang.evaluations.tests.builders import PACKS, QD132, QD366, level, reason, subject

# --- head capped by the collective -------------------------------------------------------------


@pytest.mark.parametrize("code", ["QD132", "QD124", "QD366"])
def test_the_head_is_capped_at_the_collectives_level(code: str) -> None:
    pack = PACKS[code]
    result = evaluate(subject(pack, "leader", collective_level="HTTNV"), pack)
    assert result.level == Level.HTTNV
    assert not reason(result, "head_cap").passed
    assert "hạ xuống HTTNV" in reason(result, "head_cap").detail


def test_a_head_below_the_collective_keeps_the_level() -> None:
    result = evaluate(subject(kind="leader", score=75, collective_level="HTXSNV"), QD366)
    assert result.level == Level.HTTNV
    assert reason(result, "head_cap").passed


def test_the_head_cap_can_be_switched_off_in_a_clone_while_not_confirmed() -> None:
    pack = clone_pack(QD366, code="X", overrides={"head_cap.enabled": False})
    assert level(subject(kind="leader", collective_level="HTNV"), pack) == Level.HTXSNV


def test_apply_head_cap_works_on_a_result_after_the_collective_is_decided() -> None:
    head = evaluate(subject(QD132, "leader"), QD132)
    assert apply_head_cap(head, "KHTNV", QD132).level == Level.KHTNV


def test_a_collective_cannot_have_a_collective_level() -> None:
    with pytest.raises(SubjectInputError) as exc:
        evaluate(subject(kind="collective", collective_level="HTNV"), QD366)
    assert exc.value.field == "collective_level"


# --- quota within a comparison group -----------------------------------------------------------


@pytest.mark.parametrize(
    ("candidates", "httnv", "allowed"),
    [(1, 5, 1), (2, 5, 1), (1, 4, 0), (5, 10, 2), (6, 0, 1), (1, 0, 0), (10, 50, 10), (0, 9, 0)],
)
def test_quota_allows_htxsnv_up_to_20_percent_of_the_final_httnv(
    candidates: int, httnv: int, allowed: int
) -> None:
    assert quota_allowed(QD366, candidates, httnv) == allowed


def test_quota_allowance_is_the_largest_count_that_keeps_the_final_ratio() -> None:
    for x in range(40):
        for t in range(40):
            k = quota_allowed(QD366, x, t)
            assert 5 * k <= t + x - k  # k ≤ 20 % of the final HTTNV count
            assert k == x or 5 * (k + 1) > t + x - k - 1


def member(
    key: str, score: str, above: int = 5, group: str = "G", kind: str = "member"
) -> GroupMember:
    s = subject(kind=kind, score=Decimal(score), tasks_above_requirement=above)
    return GroupMember(key, group, s, evaluate(s, QD366))


def levels(members: list[GroupMember]) -> dict[str, Level]:
    return {m.key: m.result.level for m in members}


def httnv_crowd(n: int, group: str = "G") -> list[GroupMember]:
    return [member(f"t{i:02d}", "80", group=group) for i in range(n)]


def test_quota_keeps_the_highest_scores() -> None:
    out = apply_quota(
        [member("a", "91"), member("b", "95"), member("c", "93"), *httnv_crowd(9)], QD366
    )
    assert {k: v for k, v in levels(out).items() if k in "abc"} == {
        "a": Level.HTTNV,
        "b": Level.HTXSNV,
        "c": Level.HTXSNV,
    }


def test_quota_ties_on_score_are_broken_by_the_share_of_tasks_above_requirement() -> None:
    out = apply_quota(
        [member("a", "92", above=4), member("b", "92", above=6), *httnv_crowd(4)], QD366
    )
    assert (levels(out)["a"], levels(out)["b"]) == (Level.HTTNV, Level.HTXSNV)


def test_quota_full_ties_are_broken_by_key_ascending_and_say_so() -> None:
    out = apply_quota([member("m03", "92"), member("m02", "92"), *httnv_crowd(4)], QD366)
    assert (levels(out)["m02"], levels(out)["m03"]) == (Level.HTXSNV, Level.HTTNV)
    assert "Đồng hạng" in out[0].result.reasons[-1].detail


def test_quota_outcome_does_not_depend_on_input_order() -> None:
    group = [member(f"m{i}", str(90 + i % 3)) for i in range(6)] + httnv_crowd(12)
    assert levels(apply_quota(group, QD366)) == levels(apply_quota(group[::-1], QD366))


def test_quota_records_a_reason_on_every_candidate() -> None:
    out = apply_quota([member("a", "95"), member("b", "91"), *httnv_crowd(5)], QD366)
    kept, capped = out[0].result.reasons[-1], out[1].result.reasons[-1]
    assert (kept.rule, kept.passed, capped.rule, capped.passed) == ("quota", True, "quota", False)
    assert "thứ 2/2, được tối đa 1" in capped.detail and "hạ xuống HTTNV" in capped.detail


def test_quota_is_applied_per_comparison_group() -> None:
    group_a = [member("a1", "95", group="A"), member("a2", "95", group="A"), *httnv_crowd(4, "A")]
    group_b = [member("b1", "95", group="B"), *httnv_crowd(5, "B")]
    got = levels(apply_quota(group_a + group_b, QD366))
    assert [got["a1"], got["a2"], got["b1"]] == [Level.HTXSNV, Level.HTTNV, Level.HTXSNV]


def test_quota_leaves_kinds_outside_its_scope_alone() -> None:
    out = apply_quota([member("c", "95", kind="collective")], QD366)
    assert out[0].result.level == Level.HTXSNV


def test_quota_with_a_lower_ratio_in_a_clone_keeps_fewer() -> None:
    pack = clone_pack(QD366, code="X", overrides={"quota.max_ratio": 0.1})
    out = apply_quota([member("a", "95"), member("b", "94"), *httnv_crowd(10)], pack)
    assert list(levels(out).values()).count(Level.HTXSNV) == 1


def test_quota_on_the_rated_basis_counts_everyone_rated() -> None:
    pack = clone_pack(QD366, code="X", overrides={"quota.basis": "rated"})
    out = apply_quota([member(f"m{i}", "95") for i in range(10)], pack)
    assert list(levels(out).values()).count(Level.HTXSNV) == 2


def test_a_disabled_quota_changes_nothing() -> None:
    pack = clone_pack(QD366, code="X", overrides={"quota.enabled": False})
    group = [member("a", "95"), member("b", "95")]
    assert apply_quota(group, pack) == group


# --- several posts -----------------------------------------------------------------------------


def test_a_member_with_several_posts_gets_the_lowest_per_post_level() -> None:
    posts = [
        subject(kind="leader", post="Bí thư chi bộ"),
        subject(kind="member", post="Cán bộ Phòng Tham mưu", score=Decimal("80")),
    ]
    result = evaluate_posts(posts, QD366)
    assert result.level == Level.HTTNV
    assert "mức thấp nhất" in result.reasons[-1].detail


def test_reasons_of_several_posts_name_the_post() -> None:
    posts = [subject(kind="leader", post="Bí thư chi bộ"), subject(post="Cán bộ")]
    details = [r.detail for r in evaluate_posts(posts, QD366).reasons[:-1]]
    assert all(d.startswith(("[Bí thư chi bộ] ", "[Cán bộ] ")) for d in details)


def test_a_clone_may_take_the_main_posts_level_instead() -> None:
    pack = clone_pack(QD366, code="X", overrides={"several_posts.combine": "main"})
    posts = [subject(post="Chính"), subject(post="Kiêm nhiệm", score=Decimal("60"))]
    assert evaluate_posts(posts, pack).level == Level.HTXSNV


def test_several_posts_need_at_least_one_post() -> None:
    with pytest.raises(SubjectInputError):
        evaluate_posts([], QD366)
