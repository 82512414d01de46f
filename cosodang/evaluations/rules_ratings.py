"""Pure rules of proposal, decision and calibration: position groups, distributions, order.

No ORM, no request. The grouping of equivalent positions (rank band + post group), the outlier
conventions and which organisation types decide are data in
``rulepacks/data/position_groups.toml``.

Documented choices:

* **Position group** of a member = ``"<rank band>|<post group>"`` (e.g. ``"ta|chi_huy_truong"``).
  The post group is the first group of the data file, in its order, that matches one of the
  posts the member holds on the period's last day (a Party post by code, a work title by its
  folded words); none matching gives the ``default`` group.
* **Percentile** of a score within its group is the mid-rank percentile:
  ``100 × (below + ½ × equal) / n`` (a score equal to everyone's is at 50).
* **Quartiles** are linear interpolation between order statistics, exactly PostgreSQL's
  ``percentile_cont`` (so the SQL path and the Python fallback agree).
* **Outliers**: a score outside ``[Q1 − k·IQR, Q3 + k·IQR]`` (Tukey, k from the data file) in a
  group of at least ``min_group`` people; a level ``level_distance`` or more steps from the
  group's median level.
* **Order** (rules.md §1.3, QĐ 124: lower collectives before higher ones, the unit before its
  head): ``collective_order`` sorts collectives deepest first; ``heads_waiting`` names heads
  whose collective has no level yet, who therefore cannot be decided.
* **Stored reasons.** An engine reason is stored as ``[rule, passed, actual, tail]`` with tail
  ``"o"`` (met / did not fire), ``"f"`` (failed / fired) or ``"n"`` (not applicable): the
  sentence itself comes from the period's pack (``reason_table``), so a million ratings do not
  store a million copies of each sentence. Reasons that are not the pack's (quota, head cap,
  several posts, an override, adjusted inputs) are stored whole as
  ``{"rule", "passed", "detail"}``. ``expand_reasons`` returns every one as that dict.
"""

from __future__ import annotations

import functools
import json
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from cosodang.core.vn import fold
from cosodang.evaluations.engine import Compiled, RawReason, Reason, compiled
from cosodang.evaluations.schema import LEVEL_RANK, LEVELS_BEST_FIRST, RulePack

DATA_FILE = Path(__file__).resolve().parent / "rulepacks" / "data" / "position_groups.toml"
GROUP_SEPARATOR = "|"

# --------------------------------------------------------------------------------------------
# The data file
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RankBand:
    """A band of police ranks compared together."""

    code: str
    name: str
    ranks: frozenset[str]


@dataclass(frozen=True, slots=True)
class PostGroup:
    """A group of posts compared together, with the subject kind the pack rates them as."""

    code: str
    name: str
    subject_kind: str
    party_posts: frozenset[str]
    head_posts: frozenset[str]
    title_prefixes: tuple[str, ...]
    title_words: tuple[str, ...]
    default: bool


@dataclass(frozen=True, slots=True)
class OutlierRule:
    """When a score or level stands out from its group (a statistical convention)."""

    iqr_factor: Decimal
    min_group: int
    level_distance: int


@dataclass(frozen=True, slots=True)
class GroupingData:
    """The contents of position_groups.toml."""

    confirmed: bool
    source: str
    note: str
    rank_bands: tuple[RankBand, ...]
    post_groups: tuple[PostGroup, ...]
    outliers: OutlierRule
    deciders: Mapping[str, frozenset[str]]

    def band_of(self, rank: str) -> RankBand:
        """Return the band of a rank code; an unknown code falls in the band of no rank."""
        for band in self.rank_bands:
            if rank in band.ranks:
                return band
        return next(b for b in self.rank_bands if "" in b.ranks)

    @property
    def default_post(self) -> PostGroup:
        return next(g for g in self.post_groups if g.default)


def parse_grouping(data: Mapping[str, Any]) -> GroupingData:
    """Build the grouping data from the TOML dict; raise ValueError naming a bad entry."""
    bands = tuple(
        RankBand(code=b["code"], name=b["name"], ranks=frozenset(b["ranks"]))
        for b in data["rank_bands"]
    )
    posts = tuple(
        PostGroup(
            code=g["code"],
            name=g["name"],
            subject_kind=g["subject_kind"],
            party_posts=frozenset(g.get("party_posts", ())),
            head_posts=frozenset(g.get("head_posts", ())),
            title_prefixes=tuple(fold(t) for t in g.get("title_prefixes", ())),
            title_words=tuple(fold(t) for t in g.get("title_words", ())),
            default=bool(g.get("default", False)),
        )
        for g in data["post_groups"]
    )
    codes = [b.code for b in bands] + [g.code for g in posts]
    if any(GROUP_SEPARATOR in c for c in codes) or len(set(codes)) != len(codes):
        raise ValueError("position_groups: codes must be unique and must not contain '|'")
    if sum(g.default for g in posts) != 1:
        raise ValueError("position_groups: exactly one post group must be the default")
    if sum("" in b.ranks for b in bands) != 1:
        raise ValueError("position_groups: exactly one rank band must hold the empty rank ''")
    out = data["outliers"]
    return GroupingData(
        confirmed=bool(data["confirmed"]),
        source=data["source"],
        note=data.get("note", ""),
        rank_bands=bands,
        post_groups=posts,
        outliers=OutlierRule(
            iqr_factor=Decimal(str(out["iqr_factor"])),
            min_group=int(out["min_group"]),
            level_distance=int(out["level_distance"]),
        ),
        deciders={k: frozenset(v) for k, v in data["deciders"].items()},
    )


@functools.cache
def grouping() -> GroupingData:
    """Return the grouping data of the repo's data file (read once)."""
    return parse_grouping(tomllib.loads(DATA_FILE.read_text(encoding="utf-8")))


# --------------------------------------------------------------------------------------------
# Position groups
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Post:
    """A post held on the period's last day: a Party post (code, at an org) or a work title."""

    party_post: str = ""
    title: str = ""
    org: int | None = None  # the organisation of a Party post


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a member stands for comparison and rating."""

    group: str  # "<band>|<post group>"
    subject_kind: str
    headed_orgs: tuple[int, ...]  # organisations this member heads (Party head posts)
    post_labels: tuple[str, ...]  # each distinct post group held, for several-post rating


def _title_matches(group: PostGroup, title: str) -> bool:
    words = fold(title)
    if not words:
        return False
    padded = f" {words} "
    if any(words == p or words.startswith(p + " ") for p in group.title_prefixes):
        return True
    return any(f" {w} " in padded for w in group.title_words)


def _matches(group: PostGroup, post: Post) -> bool:
    if post.party_post:
        return post.party_post in group.party_posts
    return _title_matches(group, post.title)


def place(rank: str, posts: Iterable[Post], data: GroupingData | None = None) -> Placement:
    """Return a member's position group, subject kind and headed organisations."""
    data = data or grouping()
    posts = list(posts)
    held: list[PostGroup] = []
    for g in data.post_groups:
        if not g.default and any(_matches(g, p) for p in posts):
            held.append(g)
    main = held[0] if held else data.default_post
    heads = sorted(
        {
            p.org
            for p in posts
            if p.org is not None and any(p.party_post in g.head_posts for g in data.post_groups)
        }
    )
    return Placement(
        group=f"{data.band_of(rank).code}{GROUP_SEPARATOR}{main.code}",
        subject_kind=main.subject_kind,
        headed_orgs=tuple(heads),
        post_labels=tuple(g.code for g in held),
    )


def group_label(group: str, data: GroupingData | None = None) -> str:
    """Return "Cấp tá · Cấp trưởng chỉ huy (…)" for a position group code."""
    data = data or grouping()
    band, _, post = group.partition(GROUP_SEPARATOR)
    bands = {b.code: b.name for b in data.rank_bands}
    posts = {g.code: g.name for g in data.post_groups}
    return f"{bands.get(band, band)} · {posts.get(post, post)}"


def post_group(code: str, data: GroupingData | None = None) -> PostGroup | None:
    data = data or grouping()
    return next((g for g in data.post_groups if g.code == code), None)


def decider_types(decider: str, data: GroupingData | None = None) -> frozenset[str]:
    """Return the organisation types that act as a pack's decider code (none if unknown)."""
    data = data or grouping()
    return data.deciders.get(decider, frozenset())


# --------------------------------------------------------------------------------------------
# Distributions, percentiles, outliers
# --------------------------------------------------------------------------------------------


def percentile_cont(ordered: Sequence[float], q: float) -> float:
    """Return the q-quantile (0–1) of sorted values by linear interpolation (percentile_cont)."""
    if not ordered:
        raise ValueError("no values")
    pos = q * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def percentile_rank(ordered: Sequence[float], value: float) -> float:
    """Return the mid-rank percentile (0–100) of a value within sorted values."""
    import bisect

    n = len(ordered)
    if n == 0:
        return 0.0
    below = bisect.bisect_left(ordered, value)
    equal = bisect.bisect_right(ordered, value) - below
    return 100.0 * (below + 0.5 * equal) / n


@dataclass(frozen=True, slots=True)
class Distribution:
    """The scores of a group: count, min, quartiles, max, mean."""

    count: int
    min: float
    q1: float
    median: float
    q3: float
    max: float
    mean: float

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1


def distribution(values: Iterable[float]) -> Distribution | None:
    """Return the distribution of the values, or None when there are none."""
    ordered = sorted(values)
    if not ordered:
        return None
    return Distribution(
        count=len(ordered),
        min=ordered[0],
        q1=percentile_cont(ordered, 0.25),
        median=percentile_cont(ordered, 0.5),
        q3=percentile_cont(ordered, 0.75),
        max=ordered[-1],
        mean=sum(ordered) / len(ordered),
    )


def score_fences(dist: Distribution, rule: OutlierRule) -> tuple[float, float] | None:
    """Return (low, high) fences of a group's scores, or None if the group is too small."""
    if dist.count < rule.min_group:
        return None
    k = float(rule.iqr_factor)
    return dist.q1 - k * dist.iqr, dist.q3 + k * dist.iqr


def is_score_outlier(score: float, fences: tuple[float, float] | None) -> bool:
    return fences is not None and not fences[0] <= score <= fences[1]


def median_level(level_counts: Mapping[str, int]) -> str | None:
    """Return the median level of a group (by rank), or None if nobody has a level."""
    total = sum(level_counts.get(lv, 0) for lv in LEVEL_RANK)
    if not total:
        return None
    seen = 0
    for lv in reversed(LEVELS_BEST_FIRST):  # worst first
        seen += level_counts.get(lv, 0)
        if 2 * seen >= total:
            return str(lv)
    return None  # pragma: no cover - unreachable: the loop covers every level


def is_level_outlier(level: str, median: str | None, rule: OutlierRule) -> bool:
    """Tell whether a level is `level_distance` or more steps from the group's median level."""
    if not level or median is None:
        return False
    return abs(LEVEL_RANK[level] - LEVEL_RANK[median]) >= rule.level_distance


# --------------------------------------------------------------------------------------------
# Calibration summary: exact statistics of a group from its tally
# --------------------------------------------------------------------------------------------

SUMMARY_LEVELS = tuple(str(lv) for lv in LEVELS_BEST_FIRST)


def ancestor_paths(path: str) -> list[str]:
    """Return the paths of an organisation's ancestors and itself, root first ("1.", "1.4.")."""
    parts = [p for p in path.split(".") if p]
    return [".".join(parts[: i + 1]) + "." for i in range(len(parts))]


class GroupTally:
    """What the calibration page shows of one position group, as exact counts.

    ``scores`` counts each distinct score (2-decimal ``Decimal``; the quartiles need every
    value, and equal scores are many); ``proposed`` and ``current`` count levels (the current
    level is the decided one, else the proposal). Tallies add up (``merge``), so a unit's
    tally is folded into each of its ancestors'.
    """

    __slots__ = ("current", "proposed", "rated", "scores")

    def __init__(self) -> None:
        self.rated = 0
        self.scores: dict[Decimal, int] = {}
        self.proposed: dict[str, int] = {}
        self.current: dict[str, int] = {}

    def add(self, score: Decimal | None, proposed: str, current: str, n: int = 1) -> None:
        self.rated += n
        if score is not None:
            self.scores[score] = self.scores.get(score, 0) + n
        if proposed:
            self.proposed[proposed] = self.proposed.get(proposed, 0) + n
        if current:
            self.current[current] = self.current.get(current, 0) + n

    def merge(self, other: GroupTally) -> None:
        self.rated += other.rated
        scores = self.scores
        for score, n in other.scores.items():
            scores[score] = scores.get(score, 0) + n
        for target, source in ((self.proposed, other.proposed), (self.current, other.current)):
            for level, n in source.items():
                target[level] = target.get(level, 0) + n


def _order_stat(ordered: Sequence[tuple[Decimal, int]], k: int) -> Decimal:
    """Return the k-th (0-based) value of the multiset given as sorted (value, count)."""
    seen = 0
    for value, n in ordered:
        seen += n
        if k < seen:
            return value
    raise IndexError(k)  # pragma: no cover - k < count by construction


def exact_quantile(ordered: Sequence[tuple[Decimal, int]], count: int, q: Decimal) -> Decimal:
    """Return percentile_cont's q-quantile of the multiset, in exact decimal arithmetic."""
    pos = q * (count - 1)
    lo = int(pos)
    low = _order_stat(ordered, lo)
    if pos == lo:
        return low
    high = _order_stat(ordered, min(lo + 1, count - 1))
    return low + (high - low) * (pos - lo)


def summary_values(tally: GroupTally) -> dict[str, Any]:
    """Return the stored columns of a CalibrationGroup row for a tally (exact)."""
    ordered = sorted(tally.scores.items())
    count = sum(n for _, n in ordered)
    values: dict[str, Any] = {
        "rated": tally.rated,
        "scored": count,
        "score_sum": sum((v * n for v, n in ordered), Decimal(0)),
        "score_min": None,
        "score_q1": None,
        "score_median": None,
        "score_q3": None,
        "score_max": None,
    }
    if count:
        values.update(
            score_min=ordered[0][0],
            score_q1=exact_quantile(ordered, count, Decimal("0.25")),
            score_median=exact_quantile(ordered, count, Decimal("0.5")),
            score_q3=exact_quantile(ordered, count, Decimal("0.75")),
            score_max=ordered[-1][0],
        )
    for lv in SUMMARY_LEVELS:
        values[f"proposed_{lv.lower()}"] = tally.proposed.get(lv, 0)
        values[f"level_{lv.lower()}"] = tally.current.get(lv, 0)
    return values


def summary_distribution(values: Mapping[str, Any]) -> Distribution | None:
    """Return the score distribution of a summary row (None: nobody scored)."""
    count = values["scored"]
    if not count:
        return None
    return Distribution(
        count=count,
        min=float(values["score_min"]),
        q1=float(values["score_q1"]),
        median=float(values["score_median"]),
        q3=float(values["score_q3"]),
        max=float(values["score_max"]),
        mean=float(Decimal(values["score_sum"]) / count),
    )


# --------------------------------------------------------------------------------------------
# Order of rating (rules.md §1.3)
# --------------------------------------------------------------------------------------------


def collective_order[T](collectives: Iterable[tuple[str, T]]) -> list[T]:
    """Return collectives (path, item) lower levels first (deepest path first, then path)."""
    return [item for _, item in sorted(collectives, key=lambda c: (-c[0].count("."), c[0]))]


def heads_waiting(heads: Mapping[Any, int | None], rated: Mapping[int, str]) -> list[Any]:
    """Return the heads (key → headed org) whose collective has no level yet."""
    return [key for key, org in heads.items() if org is not None and not rated.get(org)]


# --------------------------------------------------------------------------------------------
# Stored reasons
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReasonTable:
    """The sentences of a pack's reasons: rule → (head, tails by code) and back."""

    heads: dict[str, str]
    tails: dict[str, dict[str, str]]  # rule -> code -> tail
    codes: dict[tuple[str, str], str]  # (rule, tail) -> code
    # (rule, tail) -> JSON text around the actual value: (prefix if passed, if not, suffix)
    frames: dict[tuple[str, str], tuple[str, str, str]]


def _table_of(c: Compiled) -> ReasonTable:
    heads: dict[str, str] = {}
    tails: dict[str, dict[str, str]] = {}
    for kind in c.triggers:
        checks = [*c.triggers[kind], *c.caps[kind]]
        for rung in c.ladder[kind]:
            heads[rung.rule] = rung.head
            tails[rung.rule] = {"o": rung.ok_tail, "f": rung.fail_tail}
            checks.extend(rung.checks)
        for check in checks:
            heads[check.rule] = check.head
            tails[check.rule] = {"o": check.ok_tail, "f": check.fail_tail, "n": check.na_tail}
    codes = {(rule, tail): code for rule, by in tails.items() for code, tail in by.items()}
    frames = {
        key: (
            f"[{json.dumps(key[0])},true,",
            f"[{json.dumps(key[0])},false,",
            f",{json.dumps(code)}]",
        )
        for key, code in codes.items()
    }
    return ReasonTable(heads=heads, tails=tails, codes=codes, frames=frames)


_TABLES: dict[int, tuple[Compiled, ReasonTable]] = {}


def reason_table(pack: RulePack) -> ReasonTable:
    """Return the reason sentences of a pack (built once per compiled pack)."""
    c = compiled(pack)
    entry = _TABLES.get(id(c))
    if entry is None or entry[0] is not c:
        if len(_TABLES) > 64:
            _TABLES.clear()
        entry = (c, _table_of(c))
        _TABLES[id(c)] = entry
    return entry[1]


def pack_reason(raw: RawReason | Reason, table: ReasonTable) -> list[Any] | dict[str, Any]:
    """Return one engine reason in its stored form (compact when the pack has its sentence)."""
    rule, passed, text, actual, tail = raw
    code = table.codes.get((rule, tail))
    if code is not None and table.heads.get(rule) == text:
        return [rule, passed, actual, code]
    return {"rule": rule, "passed": passed, "detail": text + actual + tail}


def pack_reasons(raws: Iterable[RawReason | Reason], table: ReasonTable) -> list[Any]:
    """Return engine reasons in their stored form."""
    return [pack_reason(r, table) for r in raws]


_ACTUAL_JSON: dict[str, str] = {}


def reasons_json(raws: Iterable[RawReason], table: ReasonTable) -> str:
    """Return ``json.dumps(pack_reasons(raws, table))`` without building the lists (bulk path).

    The JSON text of a reason is its rule's frame around the JSON of the actual value; actual
    values repeat across subjects (scores, task ratios), so their JSON is cached.
    """
    frames = table.frames
    heads = table.heads
    cache = _ACTUAL_JSON
    parts = []
    for raw in raws:
        rule, passed, text, actual, tail = raw
        frame = frames.get((rule, tail))
        if frame is None or heads.get(rule) != text:
            parts.append(json.dumps(pack_reason(raw, table), ensure_ascii=False))
            continue
        value = cache.get(actual)
        if value is None:
            if len(cache) > 200_000:
                cache.clear()
            value = cache[actual] = json.dumps(actual, ensure_ascii=False)
        parts.append((frame[0] if passed else frame[1]) + value + frame[2])
    return "[" + ",".join(parts) + "]"


def text_reason(rule: str, passed: bool, detail: str) -> dict[str, Any]:
    """Return a reason that is not one of the pack's sentences, stored whole."""
    return {"rule": rule, "passed": passed, "detail": detail}


def expand_reasons(stored: Iterable[Any], table: ReasonTable | None) -> list[dict[str, Any]]:
    """Return stored reasons as {"rule", "passed", "detail"} dicts, sentences filled in."""
    out: list[dict[str, Any]] = []
    for item in stored or ():
        if isinstance(item, dict):
            out.append(
                {
                    "rule": item.get("rule", ""),
                    "passed": bool(item.get("passed")),
                    "detail": item.get("detail", ""),
                }
            )
            continue
        rule, passed, actual, code = item
        head = table.heads.get(rule) if table else None
        tail = table.tails.get(rule, {}).get(code) if table else None
        # A rule the pack no longer has shows what the rating stored.
        detail = f"{rule}: {actual}" if head is None or tail is None else head + actual + tail
        out.append({"rule": rule, "passed": bool(passed), "detail": detail})
    return out


# --------------------------------------------------------------------------------------------
# A decision's steps after the proposal (stored as a short code, reasons rebuilt on read)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Steps:
    """What the committee's decision did to a proposal, all the reasons need to be rebuilt.

    Stored in ``Rating.steps`` as ``"h:<collective level>[:p];q:<rank>/<of>/<allowed>[/t];
    o:<level before>"`` (each part optional, in this order): the head capped by the collective
    he or she heads (``p``: its level was only proposed), the place in the HTXSNV quota
    (``t``: demoted while tied), the committee's override (its reason is ``Rating.note``).
    """

    head: str = ""
    head_proposed: bool = False
    quota: tuple[int, int, int, bool] | None = None  # rank, of, allowed, tied
    override_from: str | None = None


def encode_steps(steps: Steps) -> str:
    """Return the stored code of a decision's steps ("" when the proposal was kept as is)."""
    parts = []
    if steps.head:
        parts.append(f"h:{steps.head}" + (":p" if steps.head_proposed else ""))
    if steps.quota is not None:
        rank, of, allowed, tied = steps.quota
        parts.append(f"q:{rank}/{of}/{allowed}" + ("/t" if tied else ""))
    if steps.override_from is not None:
        parts.append(f"o:{steps.override_from}")
    return ";".join(parts)


def decode_steps(code: str) -> Steps:
    """Return the steps of a stored code (the inverse of ``encode_steps``)."""
    head, head_proposed, quota, override = "", False, None, None
    for part in (code or "").split(";"):
        kind, _, rest = part.partition(":")
        if kind == "h":
            head, _, flag = rest.partition(":")
            head_proposed = flag == "p"
        elif kind == "q":
            numbers = rest.split("/")
            quota = (int(numbers[0]), int(numbers[1]), int(numbers[2]), numbers[3:] == ["t"])
        elif kind == "o":
            override = rest
    return Steps(head, head_proposed, quota, override)
