from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def load_builtin_packs(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """Load the repo's rule packs after migrate (and after a test flush), once the table exists."""
    from cosodang.core.models import AuditEvent
    from cosodang.evaluations.models import StoredPack
    from cosodang.evaluations.services.packs import sync_builtin_packs

    connection = connections[using]
    tables = connection.introspection.table_names()
    if StoredPack._meta.db_table not in tables or AuditEvent._meta.db_table not in tables:
        return  # migrated backwards, or only part of the way
    sync_builtin_packs(using=using)


class EvaluationsConfig(AppConfig):
    name = "cosodang.evaluations"
    label = "evaluations"
    verbose_name = "Đánh giá, xếp loại chất lượng"

    def ready(self) -> None:
        from cosodang.evaluations.services.calibration import mark_moved_stale
        from cosodang.orgs.signals import subtree_moved

        post_migrate.connect(load_builtin_packs, sender=self, dispatch_uid="evaluations-packs")
        subtree_moved.connect(mark_moved_stale, dispatch_uid="evaluations-calibration-moved")
