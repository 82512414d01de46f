"""Core models: the hash-chained audit trail."""

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """Record one write made through a service, chained to the previous event by hash."""

    scope_path = "org_path"
    # The path the event was written with, covered by its hash: it does not follow the
    # organisation when it moves (orgs.services.path_copies).
    scope_path_fixed = True

    at = models.DateTimeField("thời điểm", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="người thực hiện",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField("người thực hiện (tên)", max_length=150)
    action = models.CharField("hành động", max_length=64)
    object_type = models.CharField("loại đối tượng", max_length=64)
    object_id = models.CharField("mã đối tượng", max_length=64)
    object_repr = models.CharField("đối tượng", max_length=255)
    org_path = models.CharField("đường dẫn tổ chức", max_length=255)
    diff = models.JSONField("thay đổi", default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = "sự kiện nhật ký"
        verbose_name_plural = "nhật ký thay đổi"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["org_path", "-id"], name="audit_org_path_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_repr}"


class AuditHead(models.Model):
    """Hold the hash of the newest audit event; locking it serialises appends to the chain."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="")
    count = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "đầu chuỗi nhật ký"

    def __str__(self) -> str:
        return f"audit head #{self.last_id}"
