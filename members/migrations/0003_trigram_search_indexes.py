"""Trigram indexes so the admin's substring search on name and email stays fast at 1M members.

Postgres only (the embedded SQLite first-run database has no pg_trgm). The index expressions
match what Django emits for `icontains`: UPPER(column::text) LIKE UPPER('%term%').
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS member_name_trgm ON members_member USING gin (UPPER(name::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS member_email_trgm ON members_member USING gin (UPPER(email::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS product_title_trgm ON members_product USING gin (UPPER(title::text) gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS member_name_trgm",
    "DROP INDEX IF EXISTS member_email_trgm",
    "DROP INDEX IF EXISTS product_title_trgm",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("members", "0002_default_tier_ladder")]
    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
