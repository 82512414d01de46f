"""PostgreSQL only: the calibration index also carries the rating's id, so that the score
outliers of a committee's scope (group, score, id) are found by an index-only scan. The id never
changes, so the bulk passes' updates stay HOT. SQLite keeps the plain indexes."""

from django.db import migrations

FORWARD = [
    "DROP INDEX IF EXISTS evaluations_rating_calib_idx",
    "CREATE INDEX IF NOT EXISTS evaluations_rating_calib_idx ON evaluations_rating "
    "(period_id, org_path varchar_pattern_ops, position_group) INCLUDE (score, id)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS evaluations_rating_calib_idx",
    "CREATE INDEX IF NOT EXISTS evaluations_rating_calib_idx ON evaluations_rating "
    "(period_id, org_path varchar_pattern_ops, position_group) INCLUDE (score)",
]


def _run(statements: list[str]):  # type: ignore[no-untyped-def]
    def apply(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0006_ratings_calibration_summary")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
