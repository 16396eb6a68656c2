from django.db import migrations

# On PostgreSQL the database itself refuses to change or delete ledger rows and payments.
APPEND_ONLY = """
CREATE OR REPLACE FUNCTION contributions_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledgerentry_append_only BEFORE UPDATE OR DELETE ON contributions_ledgerentry
  FOR EACH ROW EXECUTE FUNCTION contributions_append_only();
CREATE TRIGGER payment_append_only BEFORE UPDATE OR DELETE ON contributions_payment
  FOR EACH ROW EXECUTE FUNCTION contributions_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS ledgerentry_append_only ON contributions_ledgerentry;
DROP TRIGGER IF EXISTS payment_append_only ON contributions_payment;
DROP FUNCTION IF EXISTS contributions_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY, params=None)  # no placeholders: the "%" belongs to RAISE


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("contributions", "0003_bill_payment_ledgerentry_paymentorder_payment_order_and_more")]
    operations = [migrations.RunPython(forwards, backwards)]
