"""PostgreSQL-only index for the calibration page, the subtree report and the decision.

A prefix filter on ``org_path`` within one period, covering the columns these pages group by,
so a province's calibration (tens of thousands of ratings) is one index-only scan. SQLite (the
quick start) uses the plain index ``evaluations_rating_scope`` of 0001.
"""

from django.db import migrations

FORWARD = [
    "CREATE INDEX IF NOT EXISTS evaluations_rating_calib_idx ON evaluations_rating "
    "(period_id, org_path varchar_pattern_ops) "
    "INCLUDE (position_group, score, proposed_level, level, state)",
    "CREATE INDEX IF NOT EXISTS evaluations_orgrating_path_idx ON evaluations_orgrating "
    "(period_id, org_path varchar_pattern_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS evaluations_rating_calib_idx",
    "DROP INDEX IF EXISTS evaluations_orgrating_path_idx",
]


def _run(statements: list[str]):  # type: ignore[no-untyped-def]
    def apply(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0002_cycle_return_note_objection_level")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
