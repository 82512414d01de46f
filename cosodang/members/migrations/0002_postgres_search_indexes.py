"""PostgreSQL-only indexes: trigram search on folded names, prefix search on tree paths.

SQLite (the quick start) uses the plain b-tree indexes of 0001; these are what keep search
and subtree filters indexed at national scale on PostgreSQL.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS member_name_trgm_idx ON members_member "
    "USING gin (name_folded gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS member_org_path_prefix_idx ON members_member "
    "(org_path varchar_pattern_ops, status)",
    "CREATE INDEX IF NOT EXISTS org_path_prefix_idx ON orgs_partyorg (path varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS org_name_trgm_idx ON orgs_partyorg "
    "USING gin (name_folded gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS audit_org_path_prefix_idx ON core_auditevent "
    "(org_path varchar_pattern_ops, id)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS member_name_trgm_idx",
    "DROP INDEX IF EXISTS member_org_path_prefix_idx",
    "DROP INDEX IF EXISTS org_path_prefix_idx",
    "DROP INDEX IF EXISTS org_name_trgm_idx",
    "DROP INDEX IF EXISTS audit_org_path_prefix_idx",
]


def _run(statements: list[str]):  # type: ignore[no-untyped-def]
    def apply(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0001_initial"),
        ("orgs", "0001_initial"),
        ("core", "0001_initial"),
    ]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
