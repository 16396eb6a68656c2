"""Payment orders, confirmations from the provider, and the append-only ledger.

orders.py makes and expires orders, confirmation.py records what the provider says was paid, ledger.py books a
payment into the ledger (also for auto-debit), credit.py holds the credit a payment left and its refund."""

from contributions.services.payments.confirmation import Confirmation, PaymentRefused, payment_confirm
from contributions.services.payments.credit import credit_held, payment_refund
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
    "credit_held",
    "months_to_pay",
    "payment_confirm",
    "payment_order_create",
    "payment_order_create_for_many",
    "payment_order_create_from_set",
    "payment_orders_expire",
    "payment_refund",
]
