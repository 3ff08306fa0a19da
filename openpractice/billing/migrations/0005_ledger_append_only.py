"""The ledger is append-only: on PostgreSQL a trigger refuses UPDATE and DELETE of a ledger entry (a correction
is a new entry that reverses the old one). TRUNCATE stays possible for the table owner (test database flushes,
restores). SQLite relies on the model's own refusal (LedgerEntry.save/delete).

A later migration that rebuilds billing_ledgerentry on PostgreSQL keeps the trigger (PostgreSQL alters in place).
"""

from django.db import migrations

PG_INSTALL = """
CREATE OR REPLACE FUNCTION billing_ledgerentry_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'billing_ledgerentry is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'Post a reversing entry instead of changing or deleting one.';
END;
$$;
CREATE TRIGGER billing_ledgerentry_no_update_delete
    BEFORE UPDATE OR DELETE ON billing_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION billing_ledgerentry_append_only();
"""

PG_REMOVE = """
DROP TRIGGER IF EXISTS billing_ledgerentry_no_update_delete ON billing_ledgerentry;
DROP FUNCTION IF EXISTS billing_ledgerentry_append_only();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_INSTALL, params=None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REMOVE, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0004_receivables"),
    ]

    operations = [
        migrations.RunPython(install, remove, elidable=False),
    ]
