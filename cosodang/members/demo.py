"""Deterministic CAND-shaped demo data: members, their histories, and the demo logins.

The same (members, seed, today) always gives the same data: every random choice comes from a
`random.Random` seeded here and "today" is a fixed reference date. The tree is planned in
demo_data; members are generated cell by cell and written in batches with pre-assigned ids
(`bulk_create`, or COPY on PostgreSQL), and the whole seed records one audit event.
"""

from __future__ import annotations

import itertools
import random
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate
from typing import Any, NamedTuple

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from cosodang.accounts.models import Role, RoleGrant, User
from cosodang.core import audit
from cosodang.core.vn import add_months, fold, format_date, name_sort_key
from cosodang.orgs.models import OrgEvent, OrgEventKind, PartyOrg
from cosodang.orgs.rules import OrgType
from cosodang.orgs.services import path_segment

from . import demo_data as data
from .choices import Education, GapReason, Rank, Sex, TheoryLevel
from .counters import Tally
from .demo_data import DEMO_CELL_CODE, DEMO_CELL_SIZE, ROOT_CODE, CellSpec, Top, TreePlan, plan_tree
from .models import Discipline, Member, OrgMembership, PartyAgeGap, Position, Reward
from .rules import DisciplineForm, MemberStatus, PartyPost, expected_official_date

REFERENCE_DATE = date(2026, 11, 1)
MIN_MEMBERS = 100
DEFAULT_MEMBERS = 3000
DEFAULT_SEED = 2026
DEFAULT_BATCH = 5000
DEMO_NAME = "Nguyễn Thị Hà"  # the browser test searches "nguyen thi ha" in the demo cell
# Demo-only password shared by every demo login; never use COSODANG_DEMO data in production.
DEMO_PASSWORD = "cosodang-demo-2026"


class DemoPersona(NamedTuple):
    """A demo login: its role grant (org code), linked member (link) and display name."""

    username: str
    role: Role
    org_code: str
    link: str = ""  # "secretary": the cell's bi_thu; "member": a plain official member
    full_name: str = ""
    superuser: bool = False


DEMO_PERSONAS: tuple[DemoPersona, ...] = (
    DemoPersona("quantri", Role.ADMIN, ROOT_CODE, full_name="Phạm Quốc Khánh", superuser=True),
    DemoPersona("canbo.hanoi", Role.STAFF, "HN", full_name="Trần Minh Tuấn"),
    DemoPersona("bithu.hanoi", Role.SECRETARY, DEMO_CELL_CODE, link="secretary"),
    DemoPersona("dangvien.hanoi", Role.MEMBER, DEMO_CELL_CODE, link="member"),
    DemoPersona("kiemtra.hanoi", Role.INSPECTOR, "HN", full_name="Lê Thu Hằng"),
    DemoPersona("canbo.cantho", Role.STAFF, "CT", full_name="Huỳnh Văn Phúc"),
    DemoPersona("canbo.nghean", Role.STAFF, "NA", full_name="Hồ Đức Thắng"),
)

_OFFICER_LADDER = [(limit, Rank(rank)) for rank, limit in data.OFFICER_LADDER]
_RANK_ORDER = {value: i for i, value in enumerate(Rank.values)}
_MEMBER_MODELS = (Member, OrgMembership, Position, Reward, Discipline, PartyAgeGap)
_BULK_MODELS = (PartyOrg, OrgEvent, *_MEMBER_MODELS)


class _Table:
    """A weighted pick list drawn with one `rng.random()` call."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, pairs: Sequence[tuple[Any, float]]) -> None:
        self.items = [item for item, _ in pairs]
        self.cum = list(accumulate(weight for _, weight in pairs))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random) -> Any:
        return self.items[bisect_right(self.cum, rng.random() * self.total)]


FAMILY, MIDDLE_M, MIDDLE_F = map(_Table, (data.FAMILY_NAMES, data.MIDDLE_MALE, data.MIDDLE_FEMALE))
ETHNIC = {region: _Table(pairs) for region, pairs in data.ETHNIC_MIX.items()}
RELIGION = {key: _Table(pairs) for key, pairs in data.RELIGIONS.items()}
REWARDS = _Table([(r, r[3]) for r in data.REWARDS])
PROVINCE_PICK = _Table([(p, p.weight) for p in data.PROVINCES])
EDU_REGULAR, EDU_ACADEMIC, THEORY_SENIOR, THEORY_MIDDLE = map(
    _Table,
    (data.EDUCATION_REGULAR, data.EDUCATION_ACADEMIC, data.THEORY_SENIOR, data.THEORY_MIDDLE),
)
_HIGHLAND_MINORITIES = frozenset({"Gia Rai", "Ê Đê", "Ba Na", "Xơ Đăng"})


# ------------------------------------------------------------------------------------------
# Members, streamed cell by cell
# ------------------------------------------------------------------------------------------


class _People:
    """Generate the members of one cell at a time, with histories, posts, rewards, discipline."""

    def __init__(
        self,
        rng: random.Random,
        today: date,
        first_ids: dict[type[models.Model], int],
        cell_ids: list[int],
    ) -> None:
        self.rng, self.today, self.t = rng, today, today.toordinal()
        self.ids: dict[type[models.Model], Iterator[int]] = {
            model: itertools.count(first_ids[model]) for model in _MEMBER_MODELS
        }
        self.buffers: dict[type[models.Model], list[Any]] = {m: [] for m in _MEMBER_MODELS}
        self.cell_ids = cell_ids
        self.cccd: dict[str, int] = {}
        self.cards = 0
        self.starts: dict[int, date] = {}
        self.tally = Tally()  # the organisations' member counters, written after the members

    def add(self, model: type[models.Model], **fields: Any) -> dict[str, Any]:
        """Buffer one row (a dict of field attnames) with the next pre-assigned id."""
        row = {"id": next(self.ids[model]), **fields}
        self.buffers[model].append(row)
        return row

    def flush(self, batch_size: int) -> int:
        """Insert the buffered rows (members first); return how many members were written."""
        written = len(self.buffers[Member])
        for model in _MEMBER_MODELS:
            insert_rows(model, self.buffers[model], batch_size)
            self.buffers[model].clear()
        return written

    def add_cell(self, cell: CellSpec) -> None:
        self.starts.clear()
        members = [self.member(cell, i) for i in range(cell.size)]
        self.posts(cell, members)

    def national_id(self, prov: data.Province, male: bool, year: int) -> str:
        """CCCD: birth-registration province, sex/century digit, birth year, 6 unique digits."""
        prefix = f"{prov.cccd}{(0 if male else 1) + (2 if year >= 2000 else 0)}{year % 100:02d}"
        n = self.cccd.get(prefix, 0)
        if n >= 1_000_000:
            raise ValueError(f"Hết số CCCD cho tiền tố {prefix}")
        self.cccd[prefix] = n + 1
        # n ↦ (7919·n + c) mod 10⁶ is a bijection, so numbers look random yet never repeat.
        return f"{prefix}{(n * 7919 + int(prefix) * 104_729) % 1_000_000:06d}"

    def card_number(self, prov: data.Province) -> str:
        n, self.cards = self.cards, self.cards + 1
        return f"{prov.cccd[-2:]}{(n * 7_654_321 + 1_234_567) % 10**10:010d}"

    def name(self, male: bool, ethnicity: str) -> str:
        rng = self.rng
        given = rng.choice(data.GIVEN_MALE if male else data.GIVEN_FEMALE)
        families = data.ETHNIC_FAMILIES.get(ethnicity)
        family = rng.choice(families) if families else FAMILY.pick(rng)
        if ethnicity == "Ê Đê":  # Ê Đê names put the family name last
            prefix = "Y " if male else "H'"
            return f"{prefix}{given} {family}"
        if ethnicity == "Gia Rai":
            return f"{family} {given}"
        middle = (MIDDLE_M if male else MIDDLE_F).pick(rng)
        if middle == "Thị" and rng.random() < 0.15:
            middle += " " + rng.choice(("Thu", "Thanh", "Ngọc", "Minh", "Hồng", "Kim"))
        return f"{family} {middle} {given}"

    def commune(self, prov: data.Province) -> str:
        rng = self.rng
        special = data.SPECIAL_COMMUNES.get(prov.code)
        if special and rng.random() < 0.8:
            kind, name = rng.choice(special)
            return f"{kind} {name}"
        kind = "phường" if rng.random() < (0.5 if prov.city else 0.2) else "xã"
        return f"{kind} {rng.choice(data.GENERIC_COMMUNES)}"

    def status(self, cell: CellSpec, idx: int, young: bool) -> MemberStatus:
        if cell.force == "demo":
            return MemberStatus.PROBATIONARY if idx == DEMO_CELL_SIZE - 2 else MemberStatus.OFFICIAL
        if cell.force == "two_official":
            return MemberStatus.OFFICIAL
        r = self.rng.random()
        probation = 0.3 if young else 0.055
        for status, share in (
            (MemberStatus.PROBATIONARY, probation),
            (MemberStatus.EXEMPTED, 0 if young else 0.008),
            (MemberStatus.TRANSFERRED_OUT, 0.012),
            (MemberStatus.DECEASED, 0 if young else 0.003),
        ):
            if r < share:
                return status
            r -= share
        return MemberStatus.OFFICIAL

    def member(self, cell: CellSpec, idx: int) -> dict[str, Any]:
        rng, t, kind, top = self.rng, self.t, cell.kind, cell.top
        prov = top.province
        student = kind == "student" and idx >= 2
        conscript = kind == "regiment" and rng.random() < 0.3
        status = self.status(cell, idx, student or conscript)
        probationary = status == MemberStatus.PROBATIONARY
        if status == MemberStatus.EXEMPTED:
            age = 55 + 9 * rng.random()
        elif student or conscript:
            age = 20 + 3.5 * rng.random()
        elif kind == "leaders":
            age = 51 + 8 * rng.random()
        else:
            age = 21 + 39 * rng.betavariate(1.8, 2.6)
        birth = date.fromordinal(t - int(age * 365.2425))
        male = rng.random() < (0.62 if kind in ("faculty", "office") else 0.85)
        ethnicity = ETHNIC[prov.region].pick(rng)
        if cell.force == "demo" and idx == 3:
            male, ethnicity, full_name = False, "Kinh", DEMO_NAME
        else:
            full_name = self.name(male, ethnicity)
        local = 0.7 if top.org.org_type == OrgType.PROVINCIAL else 0.3
        home = prov if rng.random() < local else PROVINCE_PICK.pick(rng)

        # Admission: decision at 18½ or later, ceremony 5–25 days on, official 12 months on.
        earliest = add_months(birth, 222).toordinal()
        if probationary:
            ceremony = t - rng.randint(1, 360)
            decision = ceremony - rng.randint(5, 25)
        else:
            latest = min(add_months(self.today, -13), add_months(birth, 480)).toordinal()
            decision = earliest + int(max(0, latest - earliest) * rng.random() ** 2.5)
            ceremony = decision + rng.randint(5, 25)
        ceremony_date = date.fromordinal(ceremony)
        official = None if probationary else expected_official_date(ceremony_date)
        member_id = next(self.ids[Member])

        first_decision = None  # removed from the roll, then re-admitted
        if (
            status == MemberStatus.OFFICIAL
            and decision - earliest > 6 * 365
            and rng.random() < 0.019
        ):
            fd = earliest + rng.randint(0, decision - earliest - 5 * 365)
            removal = date.fromordinal(rng.randint(fd + 400, decision - 400))
            first_decision = date.fromordinal(fd)
            self.add(
                PartyAgeGap,
                member_id=member_id,
                start=removal,
                end=date.fromordinal(decision),
                reason=GapReason.REMOVED,
                note=f"Bị xóa tên, kết nạp lại ngày {format_date(date.fromordinal(decision))}",
            )

        start = ceremony_date
        if not probationary and ceremony < t - 800 and rng.random() < 0.17:
            other = rng.choice(self.cell_ids)
            if other != cell.org.pk:
                moved = date.fromordinal(rng.randint(ceremony + 365, t - 30))
                self.add(
                    OrgMembership,
                    member_id=member_id,
                    org_id=other,
                    start=ceremony_date,
                    end=moved,
                    note="Chuyển sinh hoạt đảng",
                )
                start = moved
        status_date = end = None
        if status in (MemberStatus.EXEMPTED, MemberStatus.TRANSFERRED_OUT, MemberStatus.DECEASED):
            status_date = date.fromordinal(
                min(t - 1, max(start.toordinal() + 30, t - rng.randint(10, 1000)))
            )
            end = None if status == MemberStatus.EXEMPTED else status_date
        self.add(OrgMembership, member_id=member_id, org_id=cell.org.pk, start=start, end=end)
        self.starts[member_id] = start

        civilian = not (student or conscript) and kind != "leaders" and rng.random() < 0.04
        if civilian:
            rank: str = Rank.NONE
        elif student or conscript:
            rank = (Rank.HA_SI, Rank.TRUNG_SI, Rank.THUONG_SI)[min(2, int(age - 20))]
        elif kind == "leaders":
            rank = Rank.TRUNG_TUONG if idx == 0 else Rank.THIEU_TUONG if idx < 3 else Rank.DAI_TA
        else:
            years = (age - 22) * rng.uniform(0.8, 1.0) + rng.uniform(-1, 1)
            rank = next((r for limit, r in _OFFICER_LADDER if years < limit), Rank.DAI_TA)
            roll = rng.random()
            cap = Rank.DAI_TA if roll < 0.04 else Rank.THUONG_TA if roll < 0.25 else Rank.TRUNG_TA
            rank = min(rank, cap, key=_RANK_ORDER.__getitem__)
        grade = _RANK_ORDER[rank]
        if student:
            post, edu = "Học viên", Education.NONE
        elif conscript:
            post, edu = "Chiến sĩ", Education.NONE
        elif civilian:
            post, edu = "Công nhân công an", rng.choice((Education.NONE, Education.TRUNG_CAP))
        elif kind == "leaders":
            post, edu = (
                "Phó Giám đốc Học viện" if idx < 3 else "Trợ lý Ban Giám đốc",
                Education.TIEN_SI,
            )
        elif kind == "faculty":
            post, edu = "Giảng viên chính" if age > 40 else "Giảng viên", EDU_ACADEMIC.pick(rng)
        else:
            post, edu = "Cán bộ", EDU_REGULAR.pick(rng)
            if kind == "commune" and rng.random() < 0.4:
                post = "Cảnh sát khu vực"
            elif kind == "prison":
                post = "Cán bộ quản giáo"
            elif kind == "dept" and grade >= _RANK_ORDER[Rank.THUONG_TA] and rng.random() < 0.3:
                post = "Phó Trưởng phòng"
        if grade >= _RANK_ORDER[Rank.THUONG_TA]:
            theory = THEORY_SENIOR.pick(rng)
        elif grade >= _RANK_ORDER[Rank.DAI_UY]:
            theory = THEORY_MIDDLE.pick(rng)
        else:
            theory = TheoryLevel.SO_CAP if rng.random() < 0.5 else TheoryLevel.NONE

        if ethnicity in ("Khmer", "Hoa"):
            religion = RELIGION[ethnicity].pick(rng)
        elif ethnicity in _HIGHLAND_MINORITIES:
            religion = RELIGION["highland_minority"].pick(rng)
        else:
            religion = RELIGION["south" if home.region in ("south", "mekong") else "default"].pick(
                rng
            )
        born_in = self.commune(home)
        residence = prov if rng.random() < 0.85 else home
        res_commune = self.commune(residence)
        if res_commune.startswith("phường"):
            detail = f"Số {rng.randint(1, 250)} đường {rng.choice(data.STREETS)}"
        else:
            village = "Ấp" if residence.region in ("south", "mekong") else "Thôn"
            detail = f"{village} {rng.randint(1, 15)}"
        north = home.region not in ("south", "mekong", "highland")
        card_date = None
        if official is not None:
            card_date = min(self.today, official + timedelta(days=rng.randint(45, 270)))
        m = {
            "id": member_id,
            "full_name": full_name,
            "name_folded": fold(full_name),
            "sort_key": name_sort_key(full_name),
            "sex": Sex.MALE if male else Sex.FEMALE,
            "birth_date": birth,
            "ethnicity": ethnicity,
            "religion": religion,
            "national_id": self.national_id(home, male, birth.year),
            "old_national_id": f"{rng.randrange(10**8, 10**9)}" if birth.year < 1995 else "",
            "phone": f"0{rng.choice('398753')}{rng.randrange(10**8):08d}"
            if rng.random() < 0.75
            else "",
            "birth_place_province": home.name,
            "birth_place_detail": born_in,
            "hometown_province": home.name,
            "hometown_commune": born_in if rng.random() < 0.8 else self.commune(home),
            "residence_province": residence.name,
            "residence_commune": res_commune,
            "residence_detail": detail,
            "org_id": cell.org.pk,
            "org_path": cell.org.path,
            "card_number": None if probationary else self.card_number(prov),
            "card_issue_place": "" if probationary else "Đảng ủy Công an Trung ương",
            "card_issue_date": card_date,
            "first_decision_date": first_decision,
            "decision_date": date.fromordinal(decision),
            "ceremony_date": ceremony_date,
            "official_date": official,
            "status": status,
            "status_date": status_date,
            "rank": rank,
            "police_position": post,
            "work_unit": cell.work_unit,
            "general_education": "10/10"
            if birth.year < 1975 and north and rng.random() < 0.5
            else "12/12",
            "education": edu,
            "theory_level": theory,
        }
        self.buffers[Member].append(m)
        self.tally.add(cell.org.pk, status)
        if rng.random() < 0.2:
            self.rewards(member_id, top, ceremony, age)
        if rng.random() < 0.01 and ceremony + 60 < t:
            self.discipline(member_id, cell, ceremony)
        return m

    def rewards(self, member_id: int, top: Top, ceremony: int, age: float) -> None:
        rng = self.rng
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            title, issuer, suffix, _, min_years = REWARDS.pick(rng)
            if age - 22 < min_years:
                title, issuer, suffix, _, min_years = data.REWARDS[0]
            self.add(
                Reward,
                member_id=member_id,
                title=title,
                date=date.fromordinal(rng.randint(ceremony, self.t - 1)),
                issuer=issuer.format(head=top.head, unit=top.org.label),
                decision_ref=f"{rng.randint(100, 9999)}{suffix.format(abbr=top.abbr)}",
            )

    def discipline(self, member_id: int, cell: CellSpec, ceremony: int) -> None:
        # Only reprimand or warning: the forms a probationary member may also receive.
        rng = self.rng
        reprimand = rng.random() < 0.65
        self.add(
            Discipline,
            member_id=member_id,
            date=date.fromordinal(rng.randint(ceremony + 60, self.t - 1)),
            form=DisciplineForm.REPRIMAND if reprimand else DisciplineForm.WARNING,
            reason=rng.choice(data.DISCIPLINE_REASONS),
            decision_ref=f"{rng.randint(10, 999)}-QĐ/{'CB' if reprimand else 'UBKT'}",
            issuer=f"Chi bộ {cell.org.label}"
            if reprimand
            else f"Ủy ban Kiểm tra Đảng ủy {cell.top.org.label}",
        )

    def posts(self, cell: CellSpec, members: list[dict[str, Any]]) -> None:
        """Elect the cell's secretary (and, from 9 official members, a committee of 3–7)."""
        official = [m for m in members if m["status"] == MemberStatus.OFFICIAL]
        if not official:
            return
        rng, t = self.rng, self.t
        ranked = sorted(
            official,
            reverse=True,
            key=lambda m: (
                _RANK_ORDER[m["rank"]]
                + (t - m["birth_date"].toordinal()) / 3652.5
                + 2 * rng.random()
            ),
        )
        n = len(official)
        size = 1 if n < 9 else 3 if n < 20 else 5 if n < 40 else 7
        posts = [PartyPost.SECRETARY] + ([PartyPost.DEPUTY_SECRETARY] if size > 1 else [])
        posts += [PartyPost.COMMITTEE_MEMBER] * (size - 2)
        term = date(2025, rng.randint(3, 7), rng.randint(1, 28))
        for m, post in zip(ranked, posts, strict=False):
            start = min(self.today, max(term, m["official_date"], self.starts[m["id"]]))
            self.add(Position, member_id=m["id"], org_id=cell.org.pk, party_post=post, start=start)
            title = {PartyPost.SECRETARY: cell.head, PartyPost.DEPUTY_SECRETARY: cell.deputy}.get(
                post, ""
            )
            if title:
                m["police_position"] = title


# ------------------------------------------------------------------------------------------
# Writing to the database
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedResult:
    """What one seed wrote."""

    members: int
    orgs: int
    cells: int
    users: int


def database_has_data() -> bool:
    """Tell whether the database already holds members, organisations or demo logins."""
    usernames = [p.username for p in DEMO_PERSONAS]
    return (
        Member.objects.exists()
        or PartyOrg.objects.exists()
        or User.objects.filter(username__in=usernames).exists()
    )


def insert_rows(model: type[models.Model], rows: list[dict[str, Any]], batch_size: int) -> None:
    """Insert rows (dicts of attnames, ids included): COPY on PostgreSQL, else bulk_create."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        objs = [model(**row) for row in rows]
        model._default_manager.bulk_create(objs, batch_size=batch_size)
        return
    # COPY skips building model instances and SQL text: about 3x faster than bulk_create
    # here, which is what keeps a 1,000,000-member seed within minutes.
    fields = model._meta.concrete_fields
    defaults = {f.attname: f.get_default() for f in fields}
    now = timezone.now()
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults[f.attname] = now
    names = [f.attname for f in fields]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column or f.attname) for f in fields)
    sql = f"COPY {table} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            values = defaults | row
            copy.write_row([values[name] for name in names])


def _write_orgs(plan: TreePlan, seed: int, first_event: int, batch_size: int) -> None:
    rng = random.Random(f"cosodang-demo-events:{seed}")
    width = len(path_segment(1))
    orgs = [
        {
            "id": o.pk,
            "code": o.code,
            "name": o.name,
            "name_folded": fold(o.name),
            "org_type": o.org_type.value,
            "parent_id": o.parent.pk if o.parent else None,
            "path": o.path,
            "depth": len(o.path) // width - 1,
            "effective_from": o.since,
            "approval_ref": o.approval_ref,
        }
        for o in plan.orgs
    ]
    events = [
        {
            "id": first_event + i,
            "org_id": o.pk,
            "kind": OrgEventKind.CREATED.value,
            "date": o.since,
            "new_value": o.name,
            "decision_ref": f"{rng.randint(10, 999)}-QĐ/ĐU",
        }
        for i, o in enumerate(plan.orgs)
    ]
    insert_rows(PartyOrg, orgs, batch_size)
    insert_rows(OrgEvent, events, batch_size)


def _create_personas() -> int:
    """Create the demo logins and their role grants; link the demo cell's secretary."""
    orgs = dict(
        PartyOrg.objects.filter(code__in={p.org_code for p in DEMO_PERSONAS}).values_list(
            "code", "id"
        )
    )
    cell_id = orgs[DEMO_CELL_CODE]
    secretary = Member.objects.filter(
        positions__org_id=cell_id,
        positions__party_post=PartyPost.SECRETARY,
        positions__end__isnull=True,
    ).first()
    plain = (
        Member.objects.filter(org_id=cell_id, status=MemberStatus.OFFICIAL)
        .exclude(positions__org_id=cell_id)
        .exclude(full_name=DEMO_NAME)
        .order_by("id")
        .first()
    )
    linked = {"secretary": secretary, "member": plain}
    # One hash for the shared demo password: hashing it seven times costs seconds per seed.
    hashed = make_password(DEMO_PASSWORD)
    for p in DEMO_PERSONAS:
        member = linked.get(p.link)
        user = User.objects.create_user(
            username=p.username,
            member=member,
            full_name=member.full_name if member else p.full_name,
            is_superuser=p.superuser,
            is_staff=p.superuser,
        )
        User.objects.filter(pk=user.pk).update(password=hashed)
        RoleGrant.objects.create(user=user, org_id=orgs[p.org_code], role=p.role)
    return len(DEMO_PERSONAS)


def seed(
    *,
    members: int = DEFAULT_MEMBERS,
    seed: int = DEFAULT_SEED,
    batch_size: int = DEFAULT_BATCH,
    today: date = REFERENCE_DATE,
    progress: Callable[[int, int], None] | None = None,
) -> SeedResult:
    """Write the whole demo (tree, members, logins) in one transaction with one audit event."""
    if members < MIN_MEMBERS:
        raise ValueError(f"Cần ít nhất {MIN_MEMBERS} đảng viên mẫu.")
    with transaction.atomic():
        first: dict[type[models.Model], int] = {
            m: (m._default_manager.aggregate(top=Max("id"))["top"] or 0) + 1 for m in _BULK_MODELS
        }
        plan = plan_tree(members, seed, first[PartyOrg])
        _write_orgs(plan, seed, first[OrgEvent], batch_size)
        people = _People(
            random.Random(f"cosodang-demo-members:{seed}"),
            today,
            first,
            [c.org.pk for c in plan.cells],
        )
        done = 0
        for cell in plan.cells:
            people.add_cell(cell)
            if len(people.buffers[Member]) >= batch_size:
                done += people.flush(batch_size)
                if progress:
                    progress(done, members)
        done += people.flush(batch_size)
        people.tally.save()
        if progress:
            progress(done, members)
        if connection.vendor == "postgresql":  # ids were given explicitly: move sequences on
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), list(_BULK_MODELS)):
                    cursor.execute(sql)
        users = _create_personas()
        audit.record(
            actor=None,
            action="demo.seed_demo",
            object_type="demo",
            object_id=str(seed),
            object_repr="Dữ liệu mẫu",
            changes={
                "members": members,
                "orgs": len(plan.orgs),
                "cells": len(plan.cells),
                "users": users,
                "reference_date": today.isoformat(),
            },
        )
    return SeedResult(members=done, orgs=len(plan.orgs), cells=len(plan.cells), users=users)
