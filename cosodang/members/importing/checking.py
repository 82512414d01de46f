"""Checking the rows of a batch, chunk by chunk: the same pass serves the preview and the import.

Each chunk of rows costs a fixed number of queries (members matched by national ID or card
number, organisation codes, the history rules of update_member), never one per row. The
member rules themselves are those of members.services and members.rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from django.db.models import Q
from django.utils import timezone

from cosodang.core import audit
from cosodang.core.access import Action, scope_paths
from cosodang.core.errors import ValidationError
from cosodang.core.vn import format_date
from cosodang.orgs.models import PartyOrg

from .. import importing_rules as R
from .. import rules, services
from ..columns import BY_FIELD, ORG_CODE, Layout
from ..columns import header_label as _header
from ..models import ImportBatch, Member, OrgMembership, Position
from .reading import Progress, Sheet

CHUNK = 1000  # rows checked per round of queries
ATTNAMES = {f.name: f.attname for f in Member._meta.concrete_fields}
SAMPLE_SIZE = 10  # rows of each kind shown in the preview
# full_clean() would query the database for these (FK existence, uniqueness, the date check
# constraints); the import checks them in bulk per chunk instead.
CLEAN_EXCLUDE = ["org", "national_id", "card_number", "ceremony_date", "official_date"]
NOT_FOUND = (
    "Không tìm thấy đảng viên này trong phạm vi bạn được nhập (không có hoặc không có quyền)."
)


@dataclass
class Update:
    """A planned change to a member, with what it was when read (to detect concurrent edits)."""

    row: int
    pk: int
    values: dict[str, Any]  # {field attname: new value}, derived fields included
    diff: dict[str, list[Any]]  # {field: [before, after]} as plain values, for the report
    shown: list[list[str]]  # [column, before, after] for the preview (sampled rows only)
    moved: bool
    stamp: datetime


@dataclass
class Scan:
    """The outcome of checking every row of a batch."""

    counts: dict[str, int] = field(default_factory=R.empty_counts)
    rejections: list[list[Any]] = field(default_factory=list)  # [row, column, reason]
    samples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # New members as (row, values of the concrete fields in order): a tuple takes a sixth of
    # the memory of a model instance, which matters at 100,000 rows.
    creates: list[tuple[int, tuple[Any, ...]]] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    kept: list[list[Any]] = field(default_factory=list)  # [outcome, row, member id]


def _shown(value: Any) -> str:
    if value is None or value == "":
        return ""
    if hasattr(value, "isoformat") and not isinstance(value, datetime):
        return format_date(value)
    return str(value)


class Scanner:
    """Check the rows of one batch chunk by chunk, as a given actor."""

    def __init__(self, batch: ImportBatch, actor: Any, *, keep_plan: bool) -> None:
        self.batch = batch
        self.mode = R.ImportMode(batch.mode)
        self.default_org: PartyOrg | None = batch.org
        self.scope = None if actor is None else scope_paths(actor, Action.EDIT_MEMBER)
        self.limit = batch.org_path
        self.keep_plan = keep_plan
        self.today = timezone.localdate()
        self.by_code: dict[str, PartyOrg | None] = {}
        self.by_id: dict[int, PartyOrg] = {}
        self.dups: dict[tuple[str, str], list[int]] = {}
        # member id -> (row, outcome) of the row that matched it; None once withdrawn
        self.claimed: dict[int, tuple[int, R.Outcome | None]] = {}
        self.result = Scan(samples={o.value: [] for o in R.Outcome})

    # -- scope ---------------------------------------------------------------------------------

    def may_edit(self, path: str) -> bool:
        return self.scope is None or any(path.startswith(p) for p in self.scope)

    def in_limit(self, path: str) -> bool:
        return path.startswith(self.limit)

    # -- the pass over the sheet ---------------------------------------------------------------

    def run(self, sheet: Sheet, progress: Progress | None = None) -> Scan:
        self.dups = R.duplicate_rows(self._identifiers(sheet))
        done = 0
        rows = sheet.rows()
        while chunk := list(islice(rows, CHUNK)):
            self._chunk([R.read_row(n, cells, sheet.layout) for n, cells in chunk])
            done += len(chunk)
            if progress is not None:
                progress(done)
        return self.result

    def _identifiers(self, sheet: Sheet) -> Iterator[tuple[int, list[tuple[str, str]]]]:
        """Yield the identifiers of every row (first pass, to report duplicates in the file)."""
        ids = Layout(0, tuple(p for p in sheet.layout.positions if p[1].field in R.IDENTIFIERS), ())
        for number, cells in sheet.rows():
            row = R.read_row(number, cells, ids)
            yield number, R.identifier_keys(row)

    def _chunk(self, rows: list[R.Row]) -> None:
        nids = {r.values["national_id"] for r in rows if "national_id" in r.values}
        cards = {r.values["card_number"] for r in rows if "card_number" in r.values}
        found = list(
            Member.objects.filter(Q(national_id__in=nids) | Q(card_number__in=cards))
            if nids or cards
            else []
        )
        self._load_orgs({r.values[ORG_CODE] for r in rows if ORG_CODE in r.values}, found)
        by_nid = {m.national_id: m for m in found if m.national_id}
        by_card = {m.card_number: m for m in found if m.card_number}
        planned: list[tuple[R.Row, Any, Member]] = []
        for row in rows:
            plan, member = self._row(row, by_nid, by_card)
            if row.errors:
                self._reject(row)
            else:
                planned.append((row, plan, member))
        self._check_history(planned)
        for row, plan, member in planned:
            if row.errors:
                self._reject(row)
            else:
                self._accept(row, plan, member)

    def _load_orgs(self, codes: set[str], found: list[Member]) -> None:
        missing_codes = codes - self.by_code.keys()
        missing_ids = {m.org_id for m in found} - self.by_id.keys()
        if missing_codes or missing_ids:
            query = PartyOrg.objects.filter(Q(code__in=missing_codes) | Q(pk__in=missing_ids))
            for org in query:
                self.by_code[org.code] = org
                self.by_id[org.pk] = org
            for code in missing_codes:
                self.by_code.setdefault(code, None)
        for m in found:
            m.org = self.by_id[m.org_id]

    # -- one row -------------------------------------------------------------------------------

    def _row(
        self, row: R.Row, by_nid: dict[str, Member], by_card: dict[str, Member]
    ) -> tuple[Any, Any]:
        """Decide what a row does: return (new Member, Update or outcome; member), or errors."""
        v = row.values
        keys = R.identifier_keys(row)
        for name, value in keys:
            others = [n for n in self.dups.get((name, value), []) if n != row.number]
            if others:
                row.reject(name, R.duplicate_message(name, others))
        id_errors = any(h in (BY_FIELD[f].header for f in R.IDENTIFIERS) for h, _ in row.errors)
        if not keys and not id_errors:
            row.reject(
                "national_id",
                "Cần có Số CCCD hoặc Số thẻ đảng viên để đối chiếu (tránh tạo trùng hồ sơ).",
            )
        by_id = by_nid.get(v.get("national_id", "")) if "national_id" in v else None
        by_no = by_card.get(v.get("card_number", "")) if "card_number" in v else None
        member = by_id or by_no
        key = "national_id" if by_id is not None else "card_number"  # what matched
        if member is not None and not self.may_edit(member.org_path):
            row.reject(key, NOT_FOUND)
            return None, None
        if by_id is not None and by_no is not None and by_id.pk != by_no.pk:
            if not self.may_edit(by_no.org_path):
                row.reject("card_number", NOT_FOUND)
            else:
                row.reject(
                    "card_number",
                    "Số CCCD và số thẻ đảng viên thuộc hai đảng viên khác nhau trong hệ thống.",
                )
            return None, None
        target = self._target(row, member)
        if row.errors:
            return None, None
        if member is None:
            new = self._new(row, target)
            return new, new
        return self._matched(row, member, target, key), member

    def _target(self, row: R.Row, member: Member | None) -> PartyOrg | None:
        """Return the organisation a row names (or the default one); None keeps the current."""
        code = row.values.get(ORG_CODE)
        if code is None:
            if member is not None:
                return None
            org = self.default_org
            if org is None:
                row.reject(ORG_CODE, "Thiếu mã tổ chức (chi bộ) của đảng viên mới.")
            elif org.org_type not in services.MEMBER_ORG_TYPES:
                row.reject(
                    ORG_CODE,
                    f"Thiếu mã chi bộ: tổ chức nhận «{org.code}» không phải chi bộ nên không "
                    "dùng làm chi bộ mặc định được.",
                )
            return org
        org = self.by_code.get(code)
        if org is None or not self.may_edit(org.path):
            row.reject(ORG_CODE, f"Không tìm thấy tổ chức mã «{code}» trong phạm vi bạn được nhập.")
            return None
        if not self.in_limit(org.path):
            assert self.default_org is not None
            row.reject(ORG_CODE, f"Tổ chức «{code}» không thuộc «{self.default_org.name}».")
            return None
        return org

    def validate_member(self, row: R.Row, member: Member) -> None:
        """Run the services' member checks (fields, date rules, cell) and the date constraint."""
        try:
            services.validate_member(member, exclude=CLEAN_EXCLUDE)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                row.errors.extend((_header(name), m) for m in messages)

    def _new(self, row: R.Row, org: PartyOrg | None) -> Member | None:
        data = services.normalise_data(
            {k: v for k, v in row.values.items() if k in services.EDITABLE_FIELDS}
        )
        member = Member(org=org, **data)
        self.validate_member(row, member)
        if row.errors:
            return None
        services.derive_fields(member)
        return member

    def _matched(self, row: R.Row, member: Member, org: PartyOrg | None, key: str) -> Any:
        v = row.values
        if not self.in_limit(member.org_path):
            assert self.default_org is not None
            row.reject(key, f"Đảng viên này đang sinh hoạt ngoài «{self.default_org.name}».")
            return None
        if not R.same_person(
            v.get("full_name"), v.get("birth_date"), member.full_name, member.birth_date
        ):
            row.reject(
                key,
                f"{BY_FIELD[key].header} đã thuộc một đảng viên khác trong hệ thống (họ tên "
                "và ngày sinh đều không khớp).",
            )
            return None
        if self.mode == R.ImportMode.SKIP:
            return R.Outcome.SKIPPED
        current = {f: getattr(member, f) for f in services.EDITABLE_FIELDS}
        data = services.normalise_data(
            {k: x for k, x in v.items() if k in services.EDITABLE_FIELDS}
        )
        changes = R.changes_for(self.mode, current, data)
        moved = self.mode == R.ImportMode.UPDATE and org is not None and org.pk != member.org_id
        if not changes and not moved:
            return R.Outcome.UNCHANGED
        diff = audit.diff({k: current[k] for k in changes}, changes)
        shown: list[list[str]] = []
        if len(self.result.samples[R.Outcome.UPDATED]) < SAMPLE_SIZE:
            shown = [[_header(k), _shown(current[k]), _shown(x)] for k, x in changes.items()]
        stamp = member.updated_at
        for name, value in changes.items():
            setattr(member, name, value)
        written = list(changes)
        if "full_name" in changes:
            written += ["name_folded", "sort_key"]
        if moved:
            assert org is not None
            diff["org"] = [member.org.code, org.code]
            shown.append([_header("org"), member.org.code, org.code])
            member.org = org
            written += ["org", "org_path"]
        self.validate_member(row, member)
        if row.errors:
            return None
        services.derive_fields(member)
        # Only the written values are kept: a model instance per row would not fit 100,000 rows.
        values = {ATTNAMES[f]: getattr(member, ATTNAMES[f]) for f in written}
        return Update(row.number, member.pk, values, diff, shown, moved, stamp)

    def _check_history(self, planned: list[tuple[R.Row, Any, Member]]) -> None:
        """Apply update_member's history rules to a chunk with two queries at most."""
        updates = {p.pk: (row, p) for row, p, _ in planned if isinstance(p, Update)}
        moved = [pk for pk, (_, p) in updates.items() if p.moved]
        if moved:
            late = OrgMembership.objects.filter(
                member_id__in=moved, end__isnull=True, start__gt=self.today
            ).values_list("member_id", flat=True)
            for pk in set(late):
                updates[pk][0].reject(
                    ORG_CODE, "Ngày chuyển sinh hoạt trước ngày bắt đầu sinh hoạt ở chi bộ cũ."
                )
        demoted = [
            pk
            for pk, (_, p) in updates.items()
            if p.values.get("status") == rules.MemberStatus.PROBATIONARY
        ]
        if demoted:
            held = Position.objects.filter(member_id__in=demoted, end__isnull=True).exclude(
                party_post=""
            )
            for pk, post in held.values_list("member_id", "party_post"):
                if rules.post_requires_official(rules.PartyPost(post)):
                    label = rules.PARTY_POST_LABELS[rules.PartyPost(post)]
                    updates[pk][0].reject(
                        "status",
                        f"Đảng viên dự bị không được giữ chức vụ «{label}» "
                        "(Điều lệ Đảng, Điều 5 khoản 3).",
                    )

    # -- outcomes ------------------------------------------------------------------------------

    def _reject(self, row: R.Row) -> None:
        self.result.counts[R.Outcome.REJECTED] += 1
        self.result.rejections.extend([row.number, h, m] for h, m in row.errors)
        if not self.batch.partial:
            # Nothing will be written: stop holding the planned rows.
            self.keep_plan = False
            self.result.creates.clear()
            self.result.updates.clear()

    def _accept(self, row: R.Row, plan: Any, member: Member) -> None:
        result = self.result
        if isinstance(plan, Member):
            outcome = R.Outcome.NEW
        elif isinstance(plan, Update):
            outcome = R.Outcome.UPDATED
        else:
            outcome = plan
        if member.pk is not None and self._claimed_twice(row, member.pk, outcome):
            return
        result.counts[outcome] += 1
        if self.keep_plan:
            if isinstance(plan, Member):
                result.creates.append((row.number, _pack(plan)))
            elif isinstance(plan, Update):
                result.updates.append(plan)
            else:
                result.kept.append([outcome.value, row.number, member.pk])
        samples = result.samples[outcome]
        if len(samples) < SAMPLE_SIZE:
            samples.append(
                {
                    "row": row.number,
                    "name": row.values.get("full_name", member.full_name),
                    "birth": _shown(row.values.get("birth_date", member.birth_date)),
                    "org": row.values.get(ORG_CODE) or member.org.code,
                    "member": member.pk,
                    "changes": plan.shown if isinstance(plan, Update) else [],
                }
            )

    def _claimed_twice(self, row: R.Row, pk: int, outcome: R.Outcome) -> bool:
        """Reject both rows when two rows of the file resolve to the same member."""
        first, first_outcome = self.claimed.setdefault(pk, (row.number, outcome))
        if first == row.number:
            return False
        key = R.identifier_keys(row)[0][0]
        message = (
            f"Cùng một đảng viên với dòng {first} (khớp qua số CCCD hoặc số thẻ đảng viên); "
            "các dòng này đều không được nhập."
        )
        row.reject(key, message)
        self._reject(row)
        if first_outcome is not None:
            # Withdraw the earlier row, which was accepted before the second one appeared.
            self.claimed[pk] = (first, None)
            result = self.result
            result.counts[first_outcome] -= 1
            result.counts[R.Outcome.REJECTED] += 1
            result.rejections.append(
                [
                    first,
                    BY_FIELD[key].header,
                    message.replace(f"dòng {first}", f"dòng {row.number}"),
                ]
            )
            result.updates = [u for u in result.updates if u.row != first]
            result.kept = [k for k in result.kept if k[1] != first]
            samples = result.samples[first_outcome]
            samples[:] = [x for x in samples if x["row"] != first]
        return True


def _pack(member: Member) -> tuple[Any, ...]:
    return tuple(getattr(member, f.attname) for f in Member._meta.concrete_fields)
