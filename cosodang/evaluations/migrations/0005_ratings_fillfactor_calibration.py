"""PostgreSQL only: room for in-place (HOT) updates of ratings, and a calibration index without
the columns a bulk pass rewrites.

A decision pass rewrites the level, state and decider of up to a million ratings; an update is
HOT (no new index entries, no index bloat) when no indexed column changes and the page has
room, hence ``fillfactor = 70`` (for pages written from now on; ``VACUUM FULL`` applies it to
existing ones) and a calibration index that covers the grouping and the score only — the levels
are read from the heap rows the index points to. SQLite uses the plain indexes of 0001.
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE evaluations_rating SET (fillfactor = 70)",
    "DROP INDEX IF EXISTS evaluations_rating_calib_idx",
    "CREATE INDEX IF NOT EXISTS evaluations_rating_calib_idx ON evaluations_rating "
    "(period_id, org_path varchar_pattern_ops, position_group) INCLUDE (score)",
]
BACKWARD = [
    "ALTER TABLE evaluations_rating RESET (fillfactor)",
    "DROP INDEX IF EXISTS evaluations_rating_calib_idx",
    "CREATE INDEX IF NOT EXISTS evaluations_rating_calib_idx ON evaluations_rating "
    "(period_id, org_path varchar_pattern_ops) "
    "INCLUDE (position_group, score, proposed_level, level, state)",
]


def _run(statements: list[str]):  # type: ignore[no-untyped-def]
    def apply(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0004_ratings_narrow_rows")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
