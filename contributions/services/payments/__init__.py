"""Payment orders, confirmations from the provider, and the append-only ledger.

orders.py makes and expires orders, confirmation.py records what the provider says was paid, ledger.py books a
payment into the ledger (also for auto-debit), credit.py holds the credit a payment left, its refund, and paying
the next open months with it."""

from contributions.services.payments.confirmation import Confirmation, PaymentRefused, payment_confirm
from contributions.services.payments.credit import credit_apply, credit_held, credits_apply_due, payment_refund
from contributions.services.payments.orders import (
    months_to_pay,
    payment_order_create,
    payment_order_create_for_many,
    payment_order_create_from_set,
    payment_orders_expire,
)

__all__ = [
    "Confirmation",
    "PaymentRefused",
    "credit_apply",
    "credit_held",
    "credits_apply_due",
    "months_to_pay",
    "payment_confirm",
    "payment_order_create",
    "payment_order_create_for_many",
    "payment_order_create_from_set",
    "payment_orders_expire",
    "payment_refund",
]
