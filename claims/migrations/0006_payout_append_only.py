from django.db import migrations

# On PostgreSQL, as for the contributions ledger (contributions 0004): a payout's entries are never changed or
# deleted, nor is a payout; what a payout paid, to whom and under which transfer never changes. Its date may be
# corrected (the services never do; nothing else about a transfer rests on it).
APPEND_ONLY = """
CREATE OR REPLACE FUNCTION claims_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER payoutentry_append_only BEFORE UPDATE OR DELETE ON claims_payoutentry
  FOR EACH ROW EXECUTE FUNCTION claims_append_only();
CREATE TRIGGER claimpayout_no_delete BEFORE DELETE ON claims_claimpayout
  FOR EACH ROW EXECUTE FUNCTION claims_append_only();
CREATE TRIGGER claimpayout_append_only BEFORE UPDATE ON claims_claimpayout
  FOR EACH ROW WHEN ((OLD.claim_id, OLD.amount_idr, OLD.bank_name, OLD.account_holder, OLD.account_number_masked,
                      OLD.transfer_reference, OLD.recorded_by_id)
                     IS DISTINCT FROM (NEW.claim_id, NEW.amount_idr, NEW.bank_name, NEW.account_holder,
                                       NEW.account_number_masked, NEW.transfer_reference, NEW.recorded_by_id))
  EXECUTE FUNCTION claims_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS payoutentry_append_only ON claims_payoutentry;
DROP TRIGGER IF EXISTS claimpayout_no_delete ON claims_claimpayout;
DROP TRIGGER IF EXISTS claimpayout_append_only ON claims_claimpayout;
DROP FUNCTION IF EXISTS claims_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY, params=None)  # no placeholders: the "%" belongs to RAISE


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("claims", "0005_move_to_reference_and_members")]
    operations = [migrations.RunPython(forwards, backwards)]
