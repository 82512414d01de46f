"""The member registry: members, their dated history and non-counted Party-age intervals."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from cosodang.orgs.models import PartyOrg

from . import importing_rules as import_rules
from . import rules
from .choices import Education, GapReason, PositionKind, Rank, Sex, TheoryLevel

twelve_digits = RegexValidator(r"^[0-9]{12}$", "Phải gồm đúng 12 chữ số.")

STATUS_CHOICES = [(s.value, rules.STATUS_LABELS[s]) for s in rules.MemberStatus]
POST_CHOICES = [(p.value, rules.PARTY_POST_LABELS[p]) for p in rules.PartyPost]
DISCIPLINE_CHOICES = [(d.value, rules.DISCIPLINE_FORM_LABELS[d]) for d in rules.DisciplineForm]
# Statuses counted in an organisation's membership (đảng số).
ACTIVE_STATUSES = (
    rules.MemberStatus.OFFICIAL,
    rules.MemberStatus.PROBATIONARY,
    rules.MemberStatus.EXEMPTED,
)
OFFICIAL_STATUSES = (rules.MemberStatus.OFFICIAL, rules.MemberStatus.EXEMPTED)


class Member(models.Model):
    """A Party member (official or probationary) and their identity and Party data."""

    scope_path = "org_path"

    # Identity
    full_name = models.CharField("họ và tên", max_length=120)
    other_name = models.CharField("tên gọi khác", max_length=120, blank=True)
    name_folded = models.CharField(max_length=120, editable=False)
    sort_key = models.CharField(max_length=120, editable=False)
    sex = models.CharField("giới tính", max_length=1, choices=Sex.choices)
    birth_date = models.DateField("ngày sinh")
    ethnicity = models.CharField("dân tộc", max_length=40, default="Kinh")
    religion = models.CharField("tôn giáo", max_length=40, default="Không")
    national_id = models.CharField(
        "số CCCD", max_length=12, unique=True, null=True, blank=True, validators=[twelve_digits]
    )
    old_national_id = models.CharField("số CMND/CCCD cũ", max_length=12, blank=True)
    phone = models.CharField("điện thoại", max_length=20, blank=True)
    email = models.EmailField("thư điện tử", blank=True)
    birth_place_country = models.CharField(
        "nơi đăng ký khai sinh: quốc gia", max_length=60, default="Việt Nam"
    )
    birth_place_province = models.CharField(
        "nơi đăng ký khai sinh: tỉnh/thành", max_length=60, blank=True
    )
    birth_place_detail = models.CharField(
        "nơi đăng ký khai sinh: chi tiết", max_length=255, blank=True
    )
    hometown_province = models.CharField("quê quán: tỉnh/thành", max_length=60, blank=True)
    hometown_commune = models.CharField("quê quán: xã/phường", max_length=100, blank=True)
    residence_province = models.CharField("thường trú: tỉnh/thành", max_length=60, blank=True)
    residence_commune = models.CharField("thường trú: xã/phường", max_length=100, blank=True)
    residence_detail = models.CharField("thường trú: địa chỉ", max_length=255, blank=True)

    # Party data
    org = models.ForeignKey(
        PartyOrg,
        verbose_name="chi bộ đang sinh hoạt",
        on_delete=models.PROTECT,
        related_name="members",
    )
    org_path = models.CharField(max_length=255, editable=False)
    card_number = models.CharField(
        "số thẻ đảng viên",
        max_length=12,
        unique=True,
        null=True,
        blank=True,
        validators=[twelve_digits],
    )
    card_issue_place = models.CharField("nơi cấp thẻ", max_length=120, blank=True)
    card_issue_date = models.DateField("ngày cấp thẻ", null=True, blank=True)
    old_card_number = models.CharField("số thẻ cũ", max_length=20, blank=True)
    first_decision_date = models.DateField(
        "ngày quyết định kết nạp lần đầu",
        null=True,
        blank=True,
        help_text="Chỉ điền khi được kết nạp lại: tuổi đảng tính từ lần kết nạp đầu.",
    )
    decision_date = models.DateField("ngày quyết định kết nạp")
    ceremony_date = models.DateField("ngày vào Đảng (lễ kết nạp)", null=True, blank=True)
    official_date = models.DateField("ngày chính thức", null=True, blank=True)
    admitted_under_current_rules = models.BooleanField(
        "kết nạp theo Điều lệ hiện hành (chính thức = lễ kết nạp + 12 tháng)", default=True
    )
    status = models.CharField("tình trạng", max_length=16, choices=STATUS_CHOICES)
    status_date = models.DateField("ngày của tình trạng", null=True, blank=True)

    # Police (CAND) data
    rank = models.CharField("cấp bậc", max_length=16, choices=Rank.choices, blank=True)
    police_position = models.CharField("chức vụ", max_length=120, blank=True)
    work_unit = models.CharField("đơn vị công tác", max_length=255, blank=True)

    # Education
    general_education = models.CharField("giáo dục phổ thông", max_length=10, default="12/12")
    education = models.CharField("chuyên môn", max_length=16, choices=Education.choices, blank=True)
    theory_level = models.CharField(
        "lý luận chính trị", max_length=16, choices=TheoryLevel.choices, blank=True
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "đảng viên"
        verbose_name_plural = "đảng viên"
        indexes = [
            models.Index(fields=["org_path", "sort_key"], name="member_path_sort_idx"),
            models.Index(fields=["sort_key", "id"], name="member_sort_idx"),
            models.Index(fields=["org", "status"], name="member_org_status_idx"),
            models.Index(fields=["name_folded"], name="member_name_folded_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ceremony_date__isnull=True)
                | Q(ceremony_date__gte=models.F("decision_date")),
                name="member_ceremony_after_decision",
            ),
            models.CheckConstraint(
                condition=Q(official_date__isnull=True)
                | (
                    Q(ceremony_date__isnull=False) & Q(official_date__gte=models.F("ceremony_date"))
                ),
                name="member_official_after_ceremony",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def is_official(self) -> bool:
        return self.status in OFFICIAL_STATUSES

    @property
    def status_label(self) -> str:
        return rules.STATUS_LABELS[rules.MemberStatus(self.status)]

    @property
    def party_age_start(self):  # type: ignore[no-untyped-def]
        return self.first_decision_date or self.decision_date


class OrgMemberCount(models.Model):
    """Count the official and probationary members sitting directly in one organisation.

    Kept exact by every write that adds members, changes their status or moves them
    (members.counters); an organisation's subtree count is the sum of these rows over a
    range of paths. `manage.py recount_members` rebuilds them from the member table.
    """

    org = models.OneToOneField(
        PartyOrg, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    # Copy of org.path (kept by orgs.services when a subtree moves): subtree sums read one
    # index range of this table instead of joining the organisations.
    org_path = models.CharField(max_length=255)
    official = models.IntegerField("chính thức", default=0)  # OFFICIAL_STATUSES
    probationary = models.IntegerField("dự bị", default=0)
    total = models.IntegerField("tổng (mọi tình trạng)", default=0)  # as the member list counts

    class Meta:
        verbose_name = "số đảng viên của tổ chức"
        verbose_name_plural = "số đảng viên của tổ chức"
        indexes = [
            # On PostgreSQL a subtree sum is an index-only range scan of this index (the
            # counts are key columns: INCLUDE would warn on SQLite).
            models.Index(
                fields=["org_path", "official", "probationary", "total"],
                name="orgcount_path_idx",
                opclasses=["varchar_pattern_ops", "int4_ops", "int4_ops", "int4_ops"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.org_id}: {self.official} + {self.probationary} / {self.total}"


class PartyAgeGap(models.Model):
    """Keep one period that does not count towards Party age (rules.md §3.5)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="gaps")
    start = models.DateField("từ ngày")
    end = models.DateField("đến ngày", null=True, blank=True)
    reason = models.CharField("lý do", max_length=16, choices=GapReason.choices)
    note = models.CharField("ghi chú", max_length=255, blank=True)

    class Meta:
        verbose_name = "thời gian không tính tuổi đảng"
        verbose_name_plural = "thời gian không tính tuổi đảng"
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="gap_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.start}–{self.end or ''}"


class OrgMembership(models.Model):
    """Keep one dated period of a member's activity in an organisation."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="org_history")
    org = models.ForeignKey(PartyOrg, on_delete=models.PROTECT, related_name="+")
    start = models.DateField("từ ngày")
    end = models.DateField("đến ngày", null=True, blank=True)
    note = models.CharField("ghi chú", max_length=255, blank=True)

    class Meta:
        verbose_name = "quá trình sinh hoạt"
        verbose_name_plural = "quá trình sinh hoạt"
        ordering = ["-start", "-id"]

    def __str__(self) -> str:
        return f"{self.member} · {self.org}"


class Position(models.Model):
    """Keep one dated post held by a member (a Party post or a police post)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="positions")
    kind = models.CharField(
        "loại", max_length=8, choices=PositionKind.choices, default=PositionKind.PARTY
    )
    org = models.ForeignKey(
        PartyOrg, null=True, blank=True, on_delete=models.PROTECT, related_name="positions"
    )
    party_post = models.CharField("chức vụ Đảng", max_length=24, choices=POST_CHOICES, blank=True)
    title = models.CharField("chức danh", max_length=120, blank=True)
    start = models.DateField("từ ngày")
    end = models.DateField("đến ngày", null=True, blank=True)

    class Meta:
        verbose_name = "chức vụ"
        verbose_name_plural = "chức vụ"
        ordering = ["-start", "-id"]
        indexes = [models.Index(fields=["org", "end"], name="position_org_end_idx")]

    def __str__(self) -> str:
        return f"{self.member} · {self.display_title}"

    @property
    def display_title(self) -> str:
        if self.party_post:
            return rules.PARTY_POST_LABELS[rules.PartyPost(self.party_post)]
        return self.title


class Reward(models.Model):
    """Keep one reward or commendation given to a member."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="rewards")
    date = models.DateField("ngày")
    title = models.CharField("hình thức khen thưởng", max_length=255)
    decision_ref = models.CharField("số quyết định", max_length=100, blank=True)
    issuer = models.CharField("cấp khen", max_length=255, blank=True)

    class Meta:
        verbose_name = "khen thưởng"
        verbose_name_plural = "khen thưởng"
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.member} · {self.title}"


class Discipline(models.Model):
    """Keep one Party discipline given to a member, with its form and date."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="disciplines")
    date = models.DateField("ngày")
    form = models.CharField("hình thức kỷ luật", max_length=16, choices=DISCIPLINE_CHOICES)
    reason = models.CharField("lý do", max_length=500, blank=True)
    decision_ref = models.CharField("số quyết định", max_length=100, blank=True)
    issuer = models.CharField("cấp quyết định", max_length=255, blank=True)

    class Meta:
        verbose_name = "kỷ luật"
        verbose_name_plural = "kỷ luật"
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.member} · {self.get_form_display()}"


# --------------------------------------------------------------------------------------------
# Import batches (members/importing.py): one uploaded spreadsheet, its state and its report.
# --------------------------------------------------------------------------------------------

IMPORT_MODE_CHOICES = [(m.value, import_rules.MODE_LABELS[m]) for m in import_rules.ImportMode]
IMPORT_STATE_CHOICES = [(s.value, import_rules.STATE_LABELS[s]) for s in import_rules.ImportState]


class ImportBatch(models.Model):
    """Keep one uploaded member spreadsheet with its state, progress and row-level report."""

    scope_path = "org_path"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="người nhập",
        null=True,  # None: run from the server console (manage.py import_members)
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    org = models.ForeignKey(
        PartyOrg,
        verbose_name="tổ chức nhận",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    org_path = models.CharField(max_length=255, blank=True, editable=False)
    filename = models.CharField("tên tệp", max_length=255)
    source = models.BinaryField("tệp gốc", editable=False)
    mode = models.CharField("chế độ", max_length=8, choices=IMPORT_MODE_CHOICES)
    partial = models.BooleanField("nhập các dòng hợp lệ, bỏ qua dòng lỗi", default=False)
    state = models.CharField(
        "trạng thái", max_length=12, choices=IMPORT_STATE_CHOICES, default="uploaded"
    )
    total_rows = models.PositiveIntegerField("số dòng", default=0)
    processed_rows = models.PositiveIntegerField("số dòng đã xử lý", default=0)
    counts = models.JSONField("số dòng theo kết quả", default=dict)
    preview = models.JSONField("xem trước", default=dict)
    rejections = models.JSONField("các dòng bị từ chối", default=list)
    report = models.JSONField("kết quả từng dòng", default=dict)
    message = models.TextField("thông báo", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "đợt nhập đảng viên"
        verbose_name_plural = "đợt nhập đảng viên"
        ordering = ["-id"]
        indexes = [models.Index(fields=["created_by", "-id"], name="import_batch_user_idx")]

    def __str__(self) -> str:
        return f"Nhập tệp {self.filename}"

    @property
    def state_label(self) -> str:
        return import_rules.STATE_LABELS[import_rules.ImportState(self.state)]

    @property
    def mode_label(self) -> str:
        return import_rules.MODE_LABELS[import_rules.ImportMode(self.mode)]
