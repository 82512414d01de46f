"""Tests for the deterministic demo generator (seed_demo) and the demo logins table."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cosodang.accounts.models import Role, RoleGrant, User
from cosodang.core import audit
from cosodang.core.vn import fold, is_twelve_digits
from cosodang.members import demo
from cosodang.members.demo_data import DEMO_CELL_CODE, PROVINCES, plan_tree
from cosodang.members.models import Member, OrgMembership, Position
from cosodang.members.rules import MemberStatus, PartyPost, check_member_dates
from cosodang.members.rules import expected_official_date as official_after
from cosodang.orgs.models import PartyOrg
from cosodang.orgs.rules import OrgType
from cosodang.orgs.services import path_segment

from .test_import_support import written_events

N = 300
MEMBER_ORG_TYPES = {OrgType.CELL, OrgType.GRASSROOTS_CELL}


def seed_demo(**options: object) -> str:
    """Run seed_demo with small defaults and return what it printed."""
    out = StringIO()
    call_command("seed_demo", stdout=out, **{"members": N, "seed": 7, **options})
    return out.getvalue()


def snapshot() -> list[tuple[str, str, str]]:
    return list(Member.objects.order_by("id").values_list("full_name", "national_id", "org__code"))


def wipe() -> None:
    """Delete the demo (children before parents: organisations protect their subtree)."""
    User.objects.all().delete()
    Member.objects.all().delete()
    for depth in sorted(set(PartyOrg.objects.values_list("depth", flat=True)), reverse=True):
        PartyOrg.objects.filter(depth=depth).delete()


@pytest.fixture
def seeded(db: None) -> None:
    seed_demo()


@pytest.mark.django_db
def test_same_seed_gives_the_same_data_and_another_seed_differs() -> None:
    seed_demo()
    first = snapshot()
    wipe()
    seed_demo()
    assert snapshot() == first
    assert len(first) == N
    wipe()
    seed_demo(seed=8)
    assert snapshot() != first


def test_tree_plan_is_pure_and_scales_with_members() -> None:
    small, again = plan_tree(300, 1), plan_tree(300, 1)
    assert [(o.code, o.name, o.path) for o in small.orgs] == [
        (o.code, o.name, o.path) for o in again.orgs
    ]
    big = plan_tree(100_000, 1)
    assert sum(c.size for c in big.cells) == 100_000
    assert 100_000 / 20 < len(big.cells) < 100_000 / 14  # about 17 members a cell
    codes = [o.code for o in big.orgs]
    assert len(codes) == len(set(codes))
    per_province = Counter(c.top.org.code for c in big.cells)
    assert all(per_province[p.code] >= 3 for p in PROVINCES)
    # Hà Nội, Cần Thơ and Nghệ An weigh more than an average province.
    average = sum(per_province[p.code] for p in PROVINCES) / len(PROVINCES)
    assert min(per_province["HN"], per_province["CT"], per_province["NA"]) > average


def test_small_plan_still_has_every_province_with_several_cells() -> None:
    plan = plan_tree(300, 1)
    per_province = Counter(c.top.org.code for c in plan.cells)
    assert all(per_province[p.code] >= 3 for p in PROVINCES)


def test_plan_keeps_a_few_structure_violations() -> None:
    forced = Counter(c.force for c in plan_tree(3000, 2026).cells)
    assert forced["two_official"] >= 1  # a cell with only two official members
    assert forced["big"] >= 1  # a grassroots cell of 30 members or more


@pytest.mark.usefixtures("seeded")
def test_identifiers_are_twelve_unique_digits() -> None:
    ids = list(Member.objects.values_list("national_id", flat=True))
    cards = [c for c in Member.objects.values_list("card_number", flat=True) if c is not None]
    assert all(is_twelve_digits(v) for v in ids + cards)
    assert len(set(ids)) == len(ids) == N
    assert len(set(cards)) == len(cards)
    # Only probationary members are still waiting for their Party card.
    assert not Member.objects.filter(card_number__isnull=True).exclude(
        status=MemberStatus.PROBATIONARY
    )


@pytest.mark.usefixtures("seeded")
def test_cccd_encodes_sex_century_and_birth_year() -> None:
    for sex, birth, national_id in Member.objects.values_list("sex", "birth_date", "national_id"):
        century = (0 if sex == "M" else 1) + (2 if birth.year >= 2000 else 0)
        assert national_id[3:6] == f"{century}{birth.year % 100:02d}"


@pytest.mark.usefixtures("seeded")
def test_members_sit_in_cells_and_carry_their_org_path() -> None:
    for org_type, org_path, path in Member.objects.values_list(
        "org__org_type", "org_path", "org__path"
    ):
        assert org_type in MEMBER_ORG_TYPES
        assert org_path == path


@pytest.mark.usefixtures("seeded")
def test_every_org_path_is_its_parent_path_plus_its_segment() -> None:
    orgs = {o.pk: o for o in PartyOrg.objects.all()}
    roots = [o for o in orgs.values() if o.parent_id is None]
    assert [(r.code, r.org_type) for r in roots] == [("CATW", OrgType.CENTRAL)]
    for org in orgs.values():
        parent_path = orgs[org.parent_id].path if org.parent_id else ""
        assert org.path == parent_path + path_segment(org.pk)
        assert org.depth == len(org.path) // len(path_segment(1)) - 1


@pytest.mark.usefixtures("seeded")
def test_the_article_committees_and_the_34_provinces_exist() -> None:
    names = set(PartyOrg.objects.values_list("name", flat=True))
    for name in (
        "Đảng bộ Công an thành phố Hà Nội",
        "Đảng bộ Học viện Chính trị Công an nhân dân",
        "Đảng bộ Học viện Cảnh sát nhân dân",
        "Đảng bộ Cục Cảnh sát quản lý trại giam, cơ sở giáo dục bắt buộc, trường giáo dưỡng",
        "Đảng bộ Công an thành phố Cần Thơ",
        "Đảng bộ Công an tỉnh Nghệ An",
        "Đảng bộ Cục Công tác Đảng và Công tác chính trị",
    ):
        assert name in names
    assert PartyOrg.objects.filter(org_type=OrgType.PROVINCIAL).count() == 34


@pytest.mark.usefixtures("seeded")
def test_member_dates_follow_the_rules() -> None:
    today = demo.REFERENCE_DATE
    for m in Member.objects.all():
        assert not check_member_dates(
            birth_date=m.birth_date,
            decision_date=m.decision_date,
            ceremony_date=m.ceremony_date,
            official_date=m.official_date,
            status=m.status,
            today=today,
        )
        assert m.ceremony_date is not None
        assert 5 <= (m.ceremony_date - m.decision_date).days <= 25
        if m.status == MemberStatus.PROBATIONARY:
            assert m.official_date is None
            assert today - timedelta(days=365) < m.ceremony_date <= today
        else:
            assert m.official_date == official_after(m.ceremony_date)
    probationary = Member.objects.filter(status=MemberStatus.PROBATIONARY).count()
    assert 0.02 * N < probationary < 0.15 * N


@pytest.mark.usefixtures("seeded")
def test_each_member_has_a_current_membership_starting_no_earlier_than_the_ceremony() -> None:
    current = OrgMembership.objects.filter(end__isnull=True)
    assert (
        current.count()
        == Member.objects.exclude(
            status__in=[MemberStatus.TRANSFERRED_OUT, MemberStatus.DECEASED]
        ).count()
    )
    for om in OrgMembership.objects.select_related("member"):
        assert om.start >= om.member.ceremony_date
        assert om.end is None or om.end >= om.start


@pytest.mark.usefixtures("seeded")
def test_cells_elect_one_official_secretary_and_small_committees() -> None:
    posts = Position.objects.filter(end__isnull=True).select_related("member")
    assert all(p.member.status == MemberStatus.OFFICIAL for p in posts)
    assert all(p.member.org_id == p.org_id for p in posts)
    secretaries = Counter(p.org_id for p in posts if p.party_post == PartyPost.SECRETARY)
    assert set(secretaries.values()) == {1}
    committee = Counter(p.org_id for p in posts)
    assert max(committee.values()) <= 7
    official = Counter(
        Member.objects.filter(status=MemberStatus.OFFICIAL).values_list("org_id", flat=True)
    )
    assert all(committee[org] == 1 for org, n in official.items() if n < 9)


@pytest.mark.usefixtures("seeded")
def test_demo_personas_have_their_grants_and_links() -> None:
    cell = PartyOrg.objects.get(code=DEMO_CELL_CODE)
    for persona in demo.DEMO_PERSONAS:
        user = User.objects.get(username=persona.username)
        assert user.check_password(demo.DEMO_PASSWORD)
        grant = RoleGrant.objects.get(user=user)
        assert (grant.role, grant.org.code) == (persona.role, persona.org_code)
        assert user.full_name
    assert User.objects.get(username="quantri").is_superuser
    secretary = User.objects.get(username="bithu.hanoi")
    assert RoleGrant.objects.get(user=secretary).org == cell
    holder = Position.objects.get(org=cell, party_post=PartyPost.SECRETARY, end__isnull=True)
    assert secretary.member == holder.member
    assert secretary.full_name == holder.member.full_name
    plain = User.objects.get(username="dangvien.hanoi").member
    assert plain is not None
    assert (plain.org, plain.status) == (cell, MemberStatus.OFFICIAL)
    assert not plain.positions.exists()
    assert RoleGrant.objects.get(user__username="canbo.cantho").role == Role.STAFF


@pytest.mark.usefixtures("seeded")
def test_nguyen_thi_ha_is_in_the_secretarys_cell() -> None:
    cell = User.objects.get(username="bithu.hanoi").member.org
    ha = Member.objects.get(org=cell, name_folded=fold("Nguyễn Thị Hà"))
    assert (ha.full_name, ha.sex) == ("Nguyễn Thị Hà", "F")


@pytest.mark.usefixtures("seeded")
def test_if_empty_is_a_no_op_and_a_second_seed_is_refused() -> None:
    before = (Member.objects.count(), PartyOrg.objects.count(), written_events().count())
    assert "bỏ qua" in seed_demo(if_empty=True, seed=99)
    after = (Member.objects.count(), PartyOrg.objects.count(), written_events().count())
    assert after == before
    with pytest.raises(CommandError, match="cơ sở dữ liệu trống"):
        seed_demo(seed=99)


@pytest.mark.usefixtures("seeded")
def test_one_audit_event_for_the_whole_seed_and_the_chain_holds() -> None:
    event = written_events().get()
    assert (event.action, event.object_id, event.diff["members"]) == ("demo.seed_demo", "7", N)
    assert event.diff["orgs"] == PartyOrg.objects.count()
    assert audit.verify_chain().ok


@pytest.mark.django_db
def test_small_batches_write_the_same_members() -> None:
    out = seed_demo(batch_size=50)
    assert f"Đã tạo {N}/{N} đảng viên…" in out
    first = snapshot()
    wipe()
    seed_demo()
    assert snapshot() == first


@pytest.mark.django_db
def test_too_few_members_is_refused() -> None:
    with pytest.raises(CommandError):
        seed_demo(members=10)


@pytest.mark.usefixtures("seeded")
def test_demo_logins_prints_every_persona_from_the_database() -> None:
    out = StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    for persona in demo.DEMO_PERSONAS:
        assert persona.username in text
    assert demo.DEMO_PASSWORD in text
    assert "Bí thư chi bộ" in text
    assert "Toàn hệ thống" in text


@pytest.mark.django_db
def test_demo_logins_without_demo_data_says_how_to_seed() -> None:
    out = StringIO()
    call_command("demo_logins", stdout=out)
    assert "seed_demo" in out.getvalue()


@pytest.mark.usefixtures("seeded")
def test_generated_dates_never_pass_the_reference_date() -> None:
    latest = max(
        max(Member.objects.values_list(field, flat=True).exclude(**{f"{field}__isnull": True}))
        for field in ("birth_date", "decision_date", "ceremony_date", "official_date")
    )
    assert latest <= demo.REFERENCE_DATE
    assert isinstance(latest, date)
