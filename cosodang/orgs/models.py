"""The Party organisation tree."""

from django.db import models

from . import rules

ORG_TYPE_CHOICES = [(t.value, rules.ORG_TYPE_LABELS[t]) for t in rules.OrgType]


class PartyOrg(models.Model):
    """A Party organisation, from the central Party organisation down to a Party group."""

    scope_path = "path"

    code = models.CharField("mã tổ chức", max_length=32, unique=True)
    name = models.CharField("tên tổ chức", max_length=255)
    name_folded = models.CharField(max_length=255, db_index=True, editable=False)
    org_type = models.CharField("loại tổ chức", max_length=24, choices=ORG_TYPE_CHOICES)
    parent = models.ForeignKey(
        "self",
        verbose_name="tổ chức cấp trên",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path "00000A.00001F." of base-36 ids; a grant covers path__startswith.
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    effective_from = models.DateField("ngày thành lập/hiệu lực")
    effective_to = models.DateField("ngày giải thể/sáp nhập", null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name="sáp nhập vào",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
    )
    approval_ref = models.CharField(
        "văn bản đồng ý của cấp trên (ngoại lệ cơ cấu)", max_length=255, blank=True
    )

    class Meta:
        verbose_name = "tổ chức đảng"
        verbose_name_plural = "tổ chức đảng"
        ordering = ["path"]
        indexes = [models.Index(fields=["parent", "name"], name="org_parent_name_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.effective_to is None

    @property
    def type_label(self) -> str:
        return rules.ORG_TYPE_LABELS[rules.OrgType(self.org_type)]


class OrgEventKind(models.TextChoices):
    """Kinds of dated change kept in an organisation's history."""

    CREATED = "created", "Thành lập"
    RENAMED = "renamed", "Đổi tên"
    MOVED = "moved", "Chuyển cấp trên"
    MERGED = "merged", "Sáp nhập"
    DISSOLVED = "dissolved", "Giải thể"


class OrgEvent(models.Model):
    """Keep one dated change of an organisation (rename, move, merge, dissolve) as history."""

    org = models.ForeignKey(PartyOrg, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField("loại", max_length=16, choices=OrgEventKind.choices)
    date = models.DateField("ngày hiệu lực")
    old_value = models.CharField("trước", max_length=255, blank=True)
    new_value = models.CharField("sau", max_length=255, blank=True)
    decision_ref = models.CharField("số quyết định", max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "lịch sử tổ chức"
        verbose_name_plural = "lịch sử tổ chức"
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.org} · {self.get_kind_display()} · {self.date}"
