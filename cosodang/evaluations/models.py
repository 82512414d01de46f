"""Quality evaluation: stored rule packs, review periods, self-reviews, assessments, ratings.

The cycle of one period (rules.md §1): the member writes a self-review; the cell gathers
assessments from several sources (each its own attributed record); the cell proposes a level
(the engine's result on the consolidated inputs, `Rating.proposed_*`); the deciding committee
calibrates and decides (`Rating.level`, after quota and head-vs-collective caps); results are
published for a window, members may object, and after close the ratings are locked. Collective
ratings of cells and grassroots organisations (`OrgRating`) feed the head-vs-collective cap.

Each scoped model names its organisation path once (`scope_path`) for core/access.py.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cosodang.evaluations.schema import LEVELS_BEST_FIRST, SUBJECT_KIND_LABELS
from cosodang.members.models import Member
from cosodang.orgs.models import PartyOrg

LEVEL_CHOICES = [(lv.value, lv.value) for lv in LEVELS_BEST_FIRST]
SUBJECT_KIND_CHOICES = list(SUBJECT_KIND_LABELS.items())


class StoredPack(models.Model):
    """Keep one rule pack in the database: a file of the repo, or a staff member's clone.

    `data` is the pack in dict form (`packs.to_dict`), validated by `packs.from_dict` whenever
    it is written or read, so the engine never runs on a pack that does not validate. A built-in
    pack mirrors its file in `cosodang/evaluations/rulepacks/`; a clone belongs to the
    organisation whose staff made it (`owner`) and is visible in that subtree only.
    """

    scope_path = "owner_path"

    code = models.CharField("mã", max_length=40, unique=True)
    title = models.CharField("tên", max_length=255)
    effective_from = models.DateField("hiệu lực từ")
    effective_to = models.DateField("hiệu lực đến", null=True, blank=True)
    data = models.JSONField("nội dung")
    builtin = models.BooleanField("gói gốc (từ tệp)", default=False)
    source_file = models.CharField("tệp nguồn", max_length=100, blank=True)
    derived_from = models.ForeignKey(
        "self",
        verbose_name="sao chép từ",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clones",
    )
    owner = models.ForeignKey(
        PartyOrg,
        verbose_name="tổ chức sở hữu",
        null=True,  # None: a built-in pack, in force everywhere
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # "" for a built-in pack: every scope path starts with "", so everyone may read it.
    owner_path = models.CharField(max_length=255, blank=True, editable=False, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "gói quy tắc xếp loại"
        verbose_name_plural = "gói quy tắc xếp loại"
        ordering = ["-effective_from", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(builtin=True, owner__isnull=True)
                | Q(builtin=False, owner__isnull=False),
                name="evaluations_pack_builtin_xor_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"


class PeriodKind(models.TextChoices):
    QUARTER = "quarter", "Quý"
    YEAR = "year", "Năm"


class PeriodState(models.TextChoices):
    """Where a period is; the order of the cycle (rules.py holds the transitions)."""

    DRAFT = "draft", "Đang lập kế hoạch"
    OPEN = "open", "Đang kiểm điểm"
    PUBLISHED = "published", "Đang công khai kết quả"
    CLOSED = "closed", "Đã kết thúc (khóa)"


class Period(models.Model):
    """Review period of an organisation subtree with its plan (kế hoạch) and rule pack.

    Quarters 1–3 are reviewed on their own; the fourth quarter merges into the year's review
    (rules.md §1.2), so a quarterly period has quarter 1, 2 or 3 and a yearly one none.
    """

    scope_path = "org_path"

    org = models.ForeignKey(
        PartyOrg, verbose_name="tổ chức", on_delete=models.PROTECT, related_name="+"
    )
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    kind = models.CharField("loại kỳ", max_length=8, choices=PeriodKind.choices)
    year = models.PositiveSmallIntegerField("năm")
    quarter = models.PositiveSmallIntegerField("quý", null=True, blank=True)
    start = models.DateField("từ ngày")
    end = models.DateField("đến ngày")
    pack = models.ForeignKey(
        StoredPack, verbose_name="gói quy tắc", on_delete=models.PROTECT, related_name="periods"
    )
    # The plan (kế hoạch): set by the deciding committee, checked by the services.
    opens_on = models.DateField("mở kiểm điểm")
    self_review_due = models.DateField("hạn nộp bản kiểm điểm")
    cell_meeting_by = models.DateField("hạn họp chi bộ kiểm điểm")
    decision_by = models.DateField("hạn cấp ủy quyết định")
    publish_from = models.DateField("công khai từ")
    publish_until = models.DateField("công khai đến")
    closes_on = models.DateField("kết thúc kỳ")
    state = models.CharField(
        "trạng thái", max_length=10, choices=PeriodState.choices, default=PeriodState.DRAFT
    )
    peer_review = models.BooleanField("cho phép đảng viên góp ý lẫn nhau", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "kỳ đánh giá"
        verbose_name_plural = "kỳ đánh giá"
        ordering = ["-year", "-quarter"]
        constraints = [
            # Two constraints, not nulls_distinct=False: SQLite cannot enforce that option.
            models.UniqueConstraint(
                fields=["org", "kind", "year", "quarter"],
                condition=Q(quarter__isnull=False),
                name="evaluations_period_unique_quarter",
            ),
            models.UniqueConstraint(
                fields=["org", "kind", "year"],
                condition=Q(quarter__isnull=True),
                name="evaluations_period_unique_year",
            ),
            models.CheckConstraint(
                condition=Q(kind="quarter", quarter__gte=1, quarter__lte=3)
                | Q(kind="year", quarter__isnull=True),
                name="evaluations_period_quarter_1_to_3_or_year",
            ),
            models.CheckConstraint(
                condition=Q(start__lte=models.F("end")), name="evaluations_period_dates"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """Return "Quý 2/2026" or "Năm 2026"."""
        if self.kind == PeriodKind.QUARTER:
            return f"Quý {self.quarter}/{self.year}"
        return f"Năm {self.year}"


class SelfReviewState(models.TextChoices):
    DRAFT = "draft", "Đang soạn"
    SUBMITTED = "submitted", "Đã nộp"
    RETURNED = "returned", "Trả lại để bổ sung"


class SelfReviewForm(models.TextChoices):
    """Self-review form shapes of HD 43 (rules.md §2.1)."""

    FORM_2A = "2A", "Mẫu 2A — đảng viên không giữ chức vụ lãnh đạo, quản lý"
    FORM_2B = "2B", "Mẫu 2B — đảng viên giữ chức vụ lãnh đạo, quản lý"
    FORM_2C = "2C", "Mẫu 2C — đảng viên không làm việc trong hệ thống chính trị"


class SelfReview(models.Model):
    """A member's self-criticism review (bản kiểm điểm) for one period, on their group's form."""

    scope_path = "org_path"

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="self_reviews")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="self_reviews")
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    form = models.CharField("mẫu", max_length=2, choices=SelfReviewForm.choices)
    state = models.CharField(
        "trạng thái",
        max_length=10,
        choices=SelfReviewState.choices,
        default=SelfReviewState.DRAFT,
    )
    # Sections of the form (rules.md §2.1).
    ideology = models.TextField("tư tưởng chính trị", blank=True)
    ethics = models.TextField("phẩm chất đạo đức, lối sống", blank=True)
    working_style = models.TextField("tác phong, lề lối làm việc", blank=True)
    discipline = models.TextField("ý thức tổ chức kỷ luật", blank=True)
    task_results = models.TextField("kết quả thực hiện chức trách, nhiệm vụ", blank=True)
    evidence = models.TextField("sản phẩm cụ thể, minh chứng", blank=True)
    example_duty = models.TextField("trách nhiệm nêu gương (người giữ chức vụ)", blank=True)
    tasks_total = models.PositiveIntegerField("số nhiệm vụ được giao", default=0)
    tasks_on_time = models.PositiveIntegerField("hoàn thành đúng hạn", default=0)
    tasks_above_requirement = models.PositiveIntegerField("vượt yêu cầu", default=0)
    tasks_late = models.PositiveIntegerField("chậm tiến độ", default=0)
    # {"<manifestation id>": {"flag": bool, "note": str}} over the 27 of rules.md §2.2.
    manifestations = models.JSONField("27 biểu hiện suy thoái", default=dict, blank=True)
    shortcomings = models.TextField("hạn chế, khuyết điểm và nguyên nhân", blank=True)
    # [{"text": str, "status": "done" | "in_progress" | "not_done", "note": str}]
    remedies = models.JSONField("khắc phục hạn chế kỳ trước", default=list, blank=True)
    remedy_plan = models.TextField("phương hướng, biện pháp khắc phục", blank=True)
    # {"<criterion code of the pack's framework>": "<points>"} (decimal strings).
    criterion_scores = models.JSONField("tự chấm điểm theo tiêu chí", default=dict, blank=True)
    self_score = models.DecimalField(
        "tổng điểm tự chấm", max_digits=5, decimal_places=2, null=True, blank=True
    )
    proposed_level = models.CharField(
        "tự xếp loại", max_length=6, choices=LEVEL_CHOICES, blank=True
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Why the cell returned the review for completion (state RETURNED).
    return_note = models.TextField("lý do trả lại", blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "bản kiểm điểm"
        verbose_name_plural = "bản kiểm điểm"
        constraints = [
            models.UniqueConstraint(
                fields=["period", "member"], name="evaluations_self_review_unique"
            ),
            models.CheckConstraint(
                condition=Q(self_score__isnull=True) | Q(self_score__gte=0, self_score__lte=100),
                name="evaluations_self_score_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"Bản kiểm điểm {self.period} — {self.member_id}"


class AssessmentSource(models.TextChoices):
    """Who else assesses a member (rules.md §1.5, §5.6); each source is its own record."""

    CELL_COMMITTEE = "cell_committee", "Chi ủy (chi bộ) nhận xét, đánh giá"
    CELL_COLLECTIVE = "cell_collective", "Ý kiến tập thể chi bộ tại buổi kiểm điểm"
    RESIDENCE = "residence", "Nhận xét của chi ủy nơi cư trú"
    COMMANDER = "commander", "Đánh giá của thủ trưởng (xếp loại chuyên môn)"
    PEER = "peer", "Góp ý của đảng viên trong chi bộ"


class Assessment(models.Model):
    """One source's attributed assessment of a member in a period."""

    scope_path = "org_path"

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="assessments")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="assessments")
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    source = models.CharField("nguồn", max_length=16, choices=AssessmentSource.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="người ghi",
        on_delete=models.PROTECT,
        related_name="+",
    )
    author_name = models.CharField("người/cơ quan nhận xét", max_length=255)
    text = models.TextField("nội dung nhận xét", blank=True)
    level = models.CharField("mức đề xuất", max_length=6, choices=LEVEL_CHOICES, blank=True)
    score = models.DecimalField("điểm", max_digits=5, decimal_places=2, null=True, blank=True)
    # Residence comment: the member is exempted (rules.md §5.6), with the reason.
    exempt = models.BooleanField("được miễn", default=False)
    exempt_reason = models.CharField("lý do miễn", max_length=255, blank=True)
    meeting_date = models.DateField("ngày họp / ngày nhận xét", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "nhận xét, đánh giá"
        verbose_name_plural = "nhận xét, đánh giá"
        constraints = [
            # One record per source, except peers (several members may comment).
            models.UniqueConstraint(
                fields=["period", "member", "source"],
                condition=~Q(source="peer"),
                name="evaluations_assessment_one_per_source",
            ),
            # One peer comment per author and subject in a period (services.cycle checks it
            # first with this message; the constraint holds against a concurrent writer).
            models.UniqueConstraint(
                fields=["period", "member", "author"],
                condition=Q(source="peer"),
                name="evaluations_assessment_one_peer_comment",
                violation_error_message=(
                    "Bạn đã góp ý cho đồng chí này trong kỳ này (mỗi kỳ một lần)."
                ),
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="evaluations_assessment_score_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} — {self.member_id}"


class RatingState(models.TextChoices):
    """Where one rating is in the cycle."""

    PROPOSED = "proposed", "Chi bộ đã đề xuất"
    DECIDED = "decided", "Cấp ủy đã quyết định"
    PUBLISHED = "published", "Đã công khai"
    LOCKED = "locked", "Đã khóa"


class Rating(models.Model):
    """A member's rating in a period: the consolidated inputs, the cell's proposal, the decision.

    The inputs are what the cell settled on after the self-review and the assessments; the
    engine's result on them is the proposal (`proposed_level`), and the deciding committee's
    level after quota and head-vs-collective caps is `level`. The rows are narrow (a million
    of them are rewritten by one bulk pass): the reasons are not stored but rebuilt on read by
    the engine from the stored inputs and the period's pack (services.rating_inputs.rating_reasons).
    What cannot be recomputed is kept: `extra` holds the proposal's inputs that have no column
    (several posts, the headed unit's task results, grades, disciplines, the cell's adjustment
    with its reason; NULL for most members) and `steps` the decision's steps after the proposal
    in a short code (head cap, quota place, override: rules_ratings.encode_steps), with the
    committee's reason in `note`.
    """

    scope_path = "org_path"

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="ratings")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="ratings")
    org = models.ForeignKey(
        PartyOrg, verbose_name="chi bộ", on_delete=models.PROTECT, related_name="+"
    )
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    subject_kind = models.CharField("nhóm đối tượng", max_length=24, choices=SUBJECT_KIND_CHOICES)
    # Equivalent positions are compared within a group: "<rank band>|<post>" (rules.py).
    position_group = models.CharField("nhóm vị trí tương đương", max_length=80, db_index=True)
    is_head = models.BooleanField("người đứng đầu tập thể", default=False)
    headed_org = models.ForeignKey(
        PartyOrg,
        verbose_name="tập thể do người này đứng đầu",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Consolidated inputs.
    score = models.DecimalField("điểm", max_digits=5, decimal_places=2, null=True, blank=True)
    tasks_total = models.PositiveIntegerField("số nhiệm vụ", default=0)
    tasks_on_time = models.PositiveIntegerField("đúng hạn", default=0)
    tasks_above_requirement = models.PositiveIntegerField("vượt yêu cầu", default=0)
    tasks_late = models.PositiveIntegerField("chậm", default=0)
    degradation_concluded = models.BooleanField("có kết luận suy thoái", default=False)
    professional_level = models.CharField(
        "xếp loại chuyên môn", max_length=6, choices=LEVEL_CHOICES, blank=True
    )
    # The cell's proposal and the committee's decision.
    proposed_level = models.CharField(
        "chi bộ đề xuất", max_length=6, choices=LEVEL_CHOICES, blank=True
    )
    # Inputs without a column, for the engine on read (None for most members).
    extra = models.JSONField("số liệu khác của đề xuất", null=True, blank=True)
    # No index on the columns a bulk pass rewrites (proposer, decider, levels, state): the
    # updates stay HOT (heap-only) on PostgreSQL.
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    level = models.CharField("cấp ủy quyết định", max_length=6, choices=LEVEL_CHOICES, blank=True)
    # The decision's steps after the proposal, e.g. "h:HTTNV;q:3/5/2" (rules_ratings).
    steps = models.CharField("các bước quyết định", max_length=80, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField("ghi chú của cấp ủy", blank=True)
    state = models.CharField(
        "trạng thái", max_length=10, choices=RatingState.choices, default=RatingState.PROPOSED
    )

    class Meta:
        verbose_name = "kết quả xếp loại đảng viên"
        verbose_name_plural = "kết quả xếp loại đảng viên"
        constraints = [
            models.UniqueConstraint(fields=["period", "member"], name="evaluations_rating_unique"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="evaluations_rating_score_0_100",
            ),
        ]
        indexes = [
            models.Index(fields=["period", "org_path"], name="evaluations_rating_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.period} — {self.member_id}: {self.level or self.proposed_level}"


class OrgRating(models.Model):
    """A collective's rating (a cell or grassroots organisation) in a period."""

    scope_path = "org_path"

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="org_ratings")
    org = models.ForeignKey(
        PartyOrg, verbose_name="tổ chức", on_delete=models.PROTECT, related_name="+"
    )
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    score = models.DecimalField("điểm", max_digits=5, decimal_places=2, null=True, blank=True)
    tasks_total = models.PositiveIntegerField("số nhiệm vụ của đơn vị", default=0)
    tasks_on_time = models.PositiveIntegerField("đúng hạn", default=0)
    tasks_above_requirement = models.PositiveIntegerField("vượt yêu cầu", default=0)
    tasks_late = models.PositiveIntegerField("chậm", default=0)
    # {"HTXSNV": n, ...} of the members' decided levels when the collective was rated.
    member_levels = models.JSONField("xếp loại đảng viên của tổ chức", default=dict, blank=True)
    proposed_level = models.CharField("đề xuất", max_length=6, choices=LEVEL_CHOICES, blank=True)
    proposed_reasons = models.JSONField("căn cứ đề xuất", default=list, blank=True)
    level = models.CharField("quyết định", max_length=6, choices=LEVEL_CHOICES, blank=True)
    reasons = models.JSONField("căn cứ quyết định", default=list, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(
        "trạng thái", max_length=10, choices=RatingState.choices, default=RatingState.PROPOSED
    )

    class Meta:
        verbose_name = "kết quả xếp loại tổ chức đảng"
        verbose_name_plural = "kết quả xếp loại tổ chức đảng"
        constraints = [
            models.UniqueConstraint(fields=["period", "org"], name="evaluations_org_rating_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.period} — tổ chức {self.org_id}: {self.level or self.proposed_level}"


class ObjectionState(models.TextChoices):
    OPEN = "open", "Chờ trả lời"
    UPHELD = "upheld", "Chấp nhận (xếp loại lại)"
    DISMISSED = "dismissed", "Không chấp nhận"


class Objection(models.Model):
    """A member's objection to a published result, and the committee's answer."""

    scope_path = "org_path"

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="objections")
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    lodged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField("lý do")
    lodged_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(
        "trạng thái", max_length=10, choices=ObjectionState.choices, default=ObjectionState.OPEN
    )
    answer = models.TextField("trả lời", blank=True)
    # The level the objection was about, kept when an upheld objection changes it.
    previous_level = models.CharField(
        "mức khi kiến nghị", max_length=6, choices=LEVEL_CHOICES, blank=True
    )
    new_level = models.CharField("mức sau xem xét", max_length=6, choices=LEVEL_CHOICES, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "kiến nghị về kết quả"
        verbose_name_plural = "kiến nghị về kết quả"
        ordering = ["-lodged_at"]

    def __str__(self) -> str:
        return f"Kiến nghị {self.pk} — {self.rating_id}"


class PeriodEvent(models.Model):
    """A step in a period's timeline: opened, published, closed, reopened with the reason."""

    scope_path = "org_path"

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="events")
    org_path = models.CharField(max_length=255, editable=False)
    action = models.CharField("việc", max_length=24)
    reason = models.TextField("lý do", blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "diễn biến kỳ đánh giá"
        verbose_name_plural = "diễn biến kỳ đánh giá"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.period_id}: {self.action}"


class CalibrationGroup(models.Model):
    """What the calibration page shows of one position group of a committee's scope.

    One row per (period, organisation, position group) for every organisation a bulk pass
    decides through (the deciding units and the organisations above them up to the pass's
    root): the ratings of the whole subtree in that group — how many, the score distribution
    (exact: min, quartiles by linear interpolation, max; the mean is ``score_sum / scored``),
    and the level counts (proposed; current = decided, else proposed). The quota allowed and
    used are derived on read from the proposed counts by the pack's rule (pure, no query).

    Derived data, written by the services only (services.calibration, services.decisions):
    the bulk passes replace a scope's rows from what they hold in memory; ``decide_one``
    moves one count in the rows of the rating's ancestors; a cell's proposal marks its
    ancestors' rows of the groups it touched ``stale``, and the page recomputes a stale row
    from the ratings when it reads it.
    An organisation without rows (a cell, or a scope no pass has run over) is computed live.
    """

    scope_path = "org_path"

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="+")
    org = models.ForeignKey(PartyOrg, on_delete=models.CASCADE, related_name="+")
    org_path = models.CharField(max_length=255)
    position_group = models.CharField("nhóm vị trí tương đương", max_length=80)
    rated = models.PositiveIntegerField("số hồ sơ", default=0)
    scored = models.PositiveIntegerField("số người có điểm", default=0)
    score_sum = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    score_min = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    score_q1 = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    score_median = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    score_q3 = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    score_max = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    proposed_htxsnv = models.PositiveIntegerField("đề xuất HTXSNV", default=0)
    proposed_httnv = models.PositiveIntegerField("đề xuất HTTNV", default=0)
    proposed_htnv = models.PositiveIntegerField("đề xuất HTNV", default=0)
    proposed_khtnv = models.PositiveIntegerField("đề xuất KHTNV", default=0)
    level_htxsnv = models.PositiveIntegerField("hiện tại HTXSNV", default=0)
    level_httnv = models.PositiveIntegerField("hiện tại HTTNV", default=0)
    level_htnv = models.PositiveIntegerField("hiện tại HTNV", default=0)
    level_khtnv = models.PositiveIntegerField("hiện tại KHTNV", default=0)
    stale = models.BooleanField("cần tính lại", default=False)

    class Meta:
        verbose_name = "tổng hợp hiệu chỉnh theo nhóm"
        verbose_name_plural = "tổng hợp hiệu chỉnh theo nhóm"
        constraints = [
            models.UniqueConstraint(
                fields=["period", "org", "position_group"],
                name="evaluations_calibration_group_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["period", "org_path"], name="evaluations_calib_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.period_id} — {self.org_path} — {self.position_group}"
