"""Auto-debit: a payer's mandate to charge an account for a member's bills, up to a maximum a month, and the runs
that charge every active mandate once per month.

The run is set-based and safe to repeat or to run twice at once:
- attempts: one INSERT … SELECT per range of mandate ids makes the month's DebitAttempt rows (unique per mandate and
  month, so a second run or a second worker adds nothing);
- claim: a batch of due attempts is marked `processing` with its try number in one statement (SKIP LOCKED on
  PostgreSQL: two workers take different batches) and committed before the provider is called;
- charge: the provider gets the batch with one idempotency key per try (`AD<mandate>-<yyyymm>-<try>`), so asking
  again (a restarted run, a lost answer) never charges twice;
- apply: successes are settled per batch with one statement per table (payments, ledger, bills, audit, outbox);
  declines wait for their next try (AUTODEBIT_RETRY_DAYS), the last one tells the payer; answers lost to a timeout
  are asked again with the same key. A try left `processing` by a run that died is sent again, same key, after
  AUTODEBIT_CLAIM_TIMEOUT_SECONDS.
Results arriving twice (the provider's answer and its callback) settle once: the attempt row is locked and its
status checked first.
"""

from contributions.services.autodebit.common import (  # noqa: F401 - the package's API
    MandateRefused,
    attempt_key,
    attempt_key_parse,
    attempt_ref,
)
from contributions.services.autodebit.mandates import (  # noqa: F401
    debit_mandate_create,
    debit_mandate_revoke,
    debit_mandate_transition,
)
from contributions.services.autodebit.results import debit_callback_apply, debit_results_apply  # noqa: F401
from contributions.services.autodebit.run import (  # noqa: F401
    autodebit_run,
    debit_attempts_create,
    debit_attempts_process,
)
