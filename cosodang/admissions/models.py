"""Candidates, admission cases with their documents, introducers, votes and timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cosodang.members.choices import Sex
from cosodang.members.models import Member
from cosodang.orgs.models import PartyOrg

from . import rules

STATE_CHOICES = [(s.value, rules.STATE_LABELS[s]) for s in rules.State]
STEP_CHOICES = [(s.value, rules.STEP_LABELS[s]) for s in rules.Step]
VOTE_CHOICES = [(k.value, rules.VOTE_LABELS[k]) for k in rules.VoteKind]
PROPOSAL_CHOICES = [(p.value, rules.PROPOSAL_LABELS[p]) for p in rules.Proposal]
INTRODUCER_CHOICES = [(k.value, rules.INTRODUCER_LABELS[k]) for k in rules.IntroducerKind]
FORM_CHOICES = [(f.code, f"{f.code}: {f.title}") for f in rules.FORMS.values()]
OPEN_STATES = [s.value for s in rules.State if s not in rules.TERMINAL]
# Where a vote's denominator came from: the member registry at the meeting date, or a count
# typed in because the registry held no committee for that organisation (flagged to auditors).
ELIGIBLE_REGISTRY = "registry"
ELIGIBLE_TYPED = "typed"
ELIGIBLE_SOURCE_CHOICES = [
    (ELIGIBLE_REGISTRY, "theo sổ đảng viên vào ngày họp"),
    (ELIGIBLE_TYPED, "nhập tay (sổ đảng viên chưa có cấp ủy)"),
]


class Candidate(models.Model):
    """An outstanding non-member (quần chúng ưu tú) followed up by a cell."""

    scope_path = "org_path"

    org = models.ForeignKey(
        PartyOrg, verbose_name="chi bộ", on_delete=models.PROTECT, related_name="+"
    )
    org_path = models.CharField(max_length=255, editable=False, db_index=True)
    full_name = models.CharField("họ và tên", max_length=120)
    name_folded = models.CharField(max_length=120, editable=False)
    sort_key = models.CharField(max_length=120, editable=False)
    sex = models.CharField("giới tính", max_length=1, choices=Sex.choices)
    birth_date = models.DateField("ngày sinh")
    ethnicity = models.CharField("dân tộc", max_length=40, default="Kinh")
    religion = models.CharField("tôn giáo", max_length=40, default="Không")
    general_education = models.CharField("giáo dục phổ thông", max_length=10, default="12/12")
    education_exception = models.CharField(
        "ngoại lệ về trình độ học vấn (căn cứ)", max_length=255, blank=True
    )
    age_exception = models.CharField(
        "quyết định cho xét kết nạp trên 60 tuổi (số, ngày, cấp ủy)", max_length=255, blank=True
    )
    work_unit = models.CharField("đơn vị công tác, học tập", max_length=255, blank=True)
    residence = models.CharField("nơi cư trú", max_length=255, blank=True)
    married = models.BooleanField("đã kết hôn", default=False)
    adult_children = models.BooleanField("có con đã thành niên", default=False)
    in_pool_since = models.DateField("vào nguồn phát triển đảng từ ngày")
    follower = models.ForeignKey(
        Member,
        verbose_name="đảng viên theo dõi, giúp đỡ",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField("ghi chú", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "quần chúng ưu tú"
        verbose_name_plural = "quần chúng ưu tú"
        ordering = ["sort_key", "id"]

    def __str__(self) -> str:
        return self.full_name


class AdmissionCase(models.Model):
    """One candidate's way from the dossier through probation to official membership."""

    scope_path = "org_path"

    candidate = models.ForeignKey(
        Candidate, verbose_name="người xin vào Đảng", on_delete=models.PROTECT, related_name="cases"
    )
    org = models.ForeignKey(
        PartyOrg, verbose_name="chi bộ", on_delete=models.PROTECT, related_name="+"
    )
    org_path = models.CharField(max_length=255, editable=False)
    state = models.CharField("bước", max_length=24, choices=STATE_CHOICES, default="dossier")
    opened_on = models.DateField("ngày lập hồ sơ")
    # Awareness-course certificate (CN-NTVĐ).
    cert_number = models.CharField("số giấy chứng nhận", max_length=60, blank=True)
    cert_issuer = models.CharField("nơi cấp", max_length=255, blank=True)
    cert_date = models.DateField("ngày cấp", null=True, blank=True)
    verified_relatives = models.JSONField("thẩm tra lý lịch đã bao gồm", default=list, blank=True)
    submitted_on = models.DateField("ngày trình chi bộ", null=True, blank=True)
    cell_resolution_date = models.DateField("ngày nghị quyết chi bộ", null=True, blank=True)
    branch_appraisal_date = models.DateField(
        "ngày thẩm định của đảng ủy bộ phận", null=True, blank=True
    )
    committee_resolution_date = models.DateField(
        "ngày nghị quyết đảng ủy cơ sở", null=True, blank=True
    )
    decision_extension_wd = models.PositiveSmallIntegerField("gia hạn (ngày làm việc)", default=0)
    decision_extension_reason = models.CharField("lý do gia hạn", max_length=500, blank=True)
    decision_date = models.DateField("ngày quyết định kết nạp", null=True, blank=True)
    decision_number = models.CharField("số quyết định kết nạp", max_length=60, blank=True)
    decision_received_date = models.DateField("ngày chi bộ nhận quyết định", null=True, blank=True)
    ceremony_date = models.DateField("ngày lễ kết nạp", null=True, blank=True)
    late_ceremony_approval = models.CharField(
        "văn bản đồng ý của cấp ủy cấp trên (lễ kết nạp quá hạn)", max_length=255, blank=True
    )
    member = models.OneToOneField(
        Member,
        verbose_name="hồ sơ đảng viên",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="admission_case",
    )
    helper = models.ForeignKey(
        Member,
        verbose_name="đảng viên chính thức giúp đỡ",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recognition_resolution_date = models.DateField(
        "ngày nghị quyết chi bộ đề nghị công nhận", null=True, blank=True
    )
    recognition_committee_date = models.DateField(
        "ngày nghị quyết đảng ủy đề nghị công nhận", null=True, blank=True
    )
    recognition_extension_wd = models.PositiveSmallIntegerField(
        "gia hạn quyết định công nhận (ngày làm việc)", default=0
    )
    recognition_extension_reason = models.CharField(
        "lý do gia hạn quyết định công nhận", max_length=500, blank=True
    )
    failed_probation_votes = models.PositiveSmallIntegerField(
        "số lần biểu quyết không đủ 2/3 (xét công nhận)", default=0
    )
    final_decision_date = models.DateField(
        "ngày quyết định công nhận hoặc xóa tên", null=True, blank=True
    )
    official_date = models.DateField("ngày chính thức", null=True, blank=True)
    stop_reason = models.TextField("lý do dừng, xóa tên", blank=True)
    stopped_on = models.DateField("ngày dừng", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "hồ sơ kết nạp"
        verbose_name_plural = "hồ sơ kết nạp"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["org_path", "state"], name="adm_case_path_state_idx"),
            models.Index(fields=["state"], name="adm_case_state_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate"],
                condition=Q(state__in=OPEN_STATES),
                name="adm_one_open_case_per_candidate",
            ),
            models.CheckConstraint(
                condition=Q(ceremony_date__isnull=True)
                | Q(ceremony_date__gte=models.F("decision_date")),
                name="adm_ceremony_after_decision",
            ),
            models.CheckConstraint(
                condition=Q(decision_extension_wd__lte=90), name="adm_extension_bounded"
            ),
            models.CheckConstraint(
                condition=Q(recognition_extension_wd__lte=90),
                name="adm_recognition_extension_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"Hồ sơ kết nạp {self.candidate}"

    @property
    def state_label(self) -> str:
        return rules.STATE_LABELS[rules.State(self.state)]

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class Introducer(models.Model):
    """One introducer of a case (3-KNĐ): an official member or a union's executive committee."""

    scope_path = "case__org_path"

    case = models.ForeignKey(AdmissionCase, on_delete=models.CASCADE, related_name="introducers")
    kind = models.CharField("người giới thiệu là", max_length=16, choices=INTRODUCER_CHOICES)
    member = models.ForeignKey(
        Member,
        verbose_name="đảng viên",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    org_name = models.CharField("tên Ban Chấp hành đoàn thể", max_length=255, blank=True)
    months_together = models.PositiveSmallIntegerField("số tháng cùng công tác", default=0)
    replacement = models.BooleanField("người giới thiệu thay thế", default=False)
    letter_date = models.DateField("ngày giới thiệu")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "người giới thiệu"
        verbose_name_plural = "người giới thiệu"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="member", member__isnull=False)
                | (~Q(kind="member") & Q(member__isnull=True)),
                name="adm_introducer_member_iff_member_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if self.member_id:
            return self.member.full_name  # type: ignore[union-attr]
        return self.org_name or rules.INTRODUCER_LABELS[rules.IntroducerKind(self.kind)]


class Vote(models.Model):
    """A vote of the cell or the committee on one case, with the counts and the meeting."""

    scope_path = "case__org_path"

    case = models.ForeignKey(AdmissionCase, on_delete=models.CASCADE, related_name="votes")
    kind = models.CharField("biểu quyết", max_length=24, choices=VOTE_CHOICES)
    proposal = models.CharField("đề nghị", max_length=12, choices=PROPOSAL_CHOICES)
    meeting_date = models.DateField("ngày họp")
    eligible = models.PositiveSmallIntegerField("số người có quyền biểu quyết")
    eligible_source = models.CharField(
        "nguồn số người có quyền biểu quyết",
        max_length=8,
        choices=ELIGIBLE_SOURCE_CHOICES,
        default=ELIGIBLE_REGISTRY,
    )
    votes_for = models.PositiveSmallIntegerField("tán thành")
    against = models.PositiveSmallIntegerField("không tán thành")
    abstain = models.PositiveSmallIntegerField("không biểu quyết")
    passed = models.BooleanField("đạt")
    resolution_number = models.CharField("số nghị quyết", max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "biểu quyết"
        verbose_name_plural = "biểu quyết"
        ordering = ["meeting_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    eligible__gte=models.F("votes_for") + models.F("against") + models.F("abstain")
                ),
                name="adm_vote_ballots_within_eligible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.votes_for}/{self.eligible}"

    @property
    def eligible_typed(self) -> bool:
        return self.eligible_source == ELIGIBLE_TYPED


def document_path(instance: Document, filename: str) -> str:
    return f"ket-nap/{instance.case_id}/{filename}"


class Document(models.Model):
    """One document of a case: an uploaded file or a generated .docx, with who and when."""

    scope_path = "case__org_path"

    case = models.ForeignKey(AdmissionCase, on_delete=models.CASCADE, related_name="documents")
    code = models.CharField("mẫu", max_length=12, choices=FORM_CHOICES)
    doc_date = models.DateField("ngày văn bản")
    file = models.FileField("tệp", upload_to=document_path, max_length=255)
    filename = models.CharField("tên tệp", max_length=255)
    generated = models.BooleanField("do hệ thống tạo", default=False)
    note = models.CharField("ghi chú", max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="người tải lên",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField("lúc", auto_now_add=True)

    class Meta:
        verbose_name = "tài liệu hồ sơ"
        verbose_name_plural = "tài liệu hồ sơ"
        ordering = ["case_id", "code", "-id"]

    def __str__(self) -> str:
        return f"{self.code} · {self.filename}"

    @property
    def title(self) -> str:
        return rules.FORMS[self.code].title


class ProbationNote(models.Model):
    """A dated note of the helper or the cell on a probationary member's progress."""

    scope_path = "case__org_path"

    case = models.ForeignKey(AdmissionCase, on_delete=models.CASCADE, related_name="notes")
    date = models.DateField("ngày")
    text = models.TextField("nội dung")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "ghi chép thời kỳ dự bị"
        verbose_name_plural = "ghi chép thời kỳ dự bị"
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.case} · {self.date}"


class CaseEvent(models.Model):
    """One line of a case's timeline: who did what, when, and the state it moved to."""

    scope_path = "case__org_path"

    case = models.ForeignKey(AdmissionCase, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    step = models.CharField(max_length=32, choices=STEP_CHOICES, blank=True)
    from_state = models.CharField(max_length=24, choices=STATE_CHOICES, blank=True)
    to_state = models.CharField(max_length=24, choices=STATE_CHOICES, blank=True)
    on = models.DateField("ngày của việc", null=True, blank=True)
    summary = models.CharField(max_length=500)

    class Meta:
        verbose_name = "diễn biến hồ sơ"
        verbose_name_plural = "diễn biến hồ sơ"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.summary


class Notification(models.Model):
    """An in-app reminder of a deadline, for one user."""

    scope_path = "org_path"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="admission_notifications"
    )
    case = models.ForeignKey(AdmissionCase, on_delete=models.CASCADE, related_name="+")
    org_path = models.CharField(max_length=255, editable=False)
    kind = models.CharField(max_length=40)
    due = models.DateField("hạn")
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "nhắc việc kết nạp"
        verbose_name_plural = "nhắc việc kết nạp"
        ordering = ["due", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "case", "kind", "due"], name="adm_one_reminder_per_deadline"
            ),
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="adm_notif_user_idx")]

    def __str__(self) -> str:
        return self.message
