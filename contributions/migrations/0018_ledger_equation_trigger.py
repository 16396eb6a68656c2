from django.db import migrations

# On PostgreSQL the database itself refuses, at commit, a payment whose ledger does not add up (LedgerEntry's
# docstring, selectors.reconciliation): received = amount = allocations + credit + refunds not from credit, credit
# held never below what was used of it, and a month refund never more than the payment allocated to that month.
# Deferred, because a payment is inserted before its entries; checked once per payment and commit: a group payment
# queues one event per entry (a hundred thousand for a large invoice), in a row, and the first check covers them
# all up to the last entry id it saw, kept in a setting local to the transaction.
BALANCED = """
CREATE OR REPLACE FUNCTION contributions_ledger_balanced() RETURNS trigger AS $$
DECLARE
  checked text := current_setting('contributions.ledger_checked', true);
  amount bigint;
  received bigint;
  booked bigint;  -- allocated + credit + refunded (not from credit, not a month's)
  credit bigint;
  used bigint;
  last_id bigint;
BEGIN
  -- Nested IFs keep the usual path to simple expressions (a subquery in the condition costs an executor run).
  IF NEW.kind = 'refund' AND NEW.bill_id IS NOT NULL THEN
    IF (SELECT COALESCE(SUM(amount_idr) FILTER (WHERE kind = 'refund'), 0)
               > COALESCE(SUM(amount_idr) FILTER (WHERE kind = 'allocation'), 0)
        FROM contributions_ledgerentry WHERE bill_id = NEW.bill_id AND payment_id = NEW.payment_id) THEN
      RAISE EXCEPTION 'payment % refunds more of bill % than it allocated there', NEW.payment_id, NEW.bill_id
        USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_balanced';
    END IF;
  END IF;
  IF split_part(checked, ':', 1) = NEW.payment_id::text THEN
    IF NEW.id <= split_part(checked, ':', 2)::bigint THEN
      RETURN NULL;
    END IF;
  END IF;
  SELECT p.amount_idr INTO amount FROM contributions_payment p WHERE p.id = NEW.payment_id;
  SELECT COALESCE(SUM(e.amount_idr) FILTER (WHERE e.kind = 'received'), 0),
         COALESCE(SUM(e.amount_idr) FILTER (WHERE NOT e.from_credit AND (e.kind IN ('allocation', 'credit')
                                                   OR (e.kind = 'refund' AND e.bill_id IS NULL))), 0),
         COALESCE(SUM(e.amount_idr) FILTER (WHERE e.kind = 'credit'), 0),
         COALESCE(SUM(e.amount_idr) FILTER (WHERE e.from_credit), 0),
         MAX(e.id)
    INTO received, booked, credit, used, last_id
    FROM contributions_ledgerentry e WHERE e.payment_id = NEW.payment_id;
  IF received <> amount OR booked <> amount OR credit < used THEN
    RAISE EXCEPTION 'payment % does not balance: amount %, received %, booked %, credit % but % used of it',
      NEW.payment_id, amount, received, booked, credit, used
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_balanced';
  END IF;
  PERFORM set_config('contributions.ledger_checked', NEW.payment_id || ':' || last_id, true);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

-- A payment inserted in this transaction can only have entries inserted in it too, whose events check it: this
-- one only has to catch a payment with no entry at all.
CREATE OR REPLACE FUNCTION contributions_payment_has_entries() RETURNS trigger AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM contributions_ledgerentry WHERE payment_id = NEW.id) THEN
    RAISE EXCEPTION 'payment % has no ledger entries', NEW.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_balanced';
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledgerentry_balanced AFTER INSERT OR UPDATE ON contributions_ledgerentry
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION contributions_ledger_balanced();
CREATE CONSTRAINT TRIGGER payment_balanced AFTER INSERT ON contributions_payment
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION contributions_payment_has_entries();
"""
DROP = """
DROP TRIGGER IF EXISTS ledgerentry_balanced ON contributions_ledgerentry;
DROP TRIGGER IF EXISTS payment_balanced ON contributions_payment;
DROP FUNCTION IF EXISTS contributions_ledger_balanced();
DROP FUNCTION IF EXISTS contributions_payment_has_entries();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BALANCED, params=None)  # no placeholders: the "%" belong to RAISE


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("contributions", "0017_move_to_reference_and_members")]
    operations = [migrations.RunPython(forwards, backwards)]
