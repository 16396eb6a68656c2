"""Reads about money: coverage, what is due, history, reconciliation."""

from contributions.selectors.access import (
    member_for_staff,
    member_for_staff_by_id,
    order_for_viewer,
    payment_for_viewer,
    receipt_member_name,
    receipts_for_payer,
)
from contributions.selectors.account import (
    Account,
    MonthPrice,
    bill_lines,
    bills_for,
    credit_balance,
    member_account,
    payment_preview,
)
from contributions.selectors.agents import (
    CashPosition,
    CommissionStatement,
    agent_cash_position,
    agent_traders,
    agents_holding_cash_too_long,
    commission_statement,
)
from contributions.selectors.autodebit import (
    debit_attempts_for,
    debit_mandate_for_payer,
    debit_mandate_live,
    member_for_debit_payer,
    members_paying_by_autodebit,
)
from contributions.selectors.coverage import Coverage, PaidAhead, coverage_status, covered_on, paid_ahead
from contributions.selectors.reconciliation import (
    MONEY_REFUSALS,
    Reconciliation,
    RefusedMoney,
    reconciliation,
    refused_provider_money,
)

__all__ = [
    "MONEY_REFUSALS",
    "Account",
    "CashPosition",
    "CommissionStatement",
    "Coverage",
    "MonthPrice",
    "Reconciliation",
    "RefusedMoney",
    "agent_cash_position",
    "agent_traders",
    "agents_holding_cash_too_long",
    "bill_lines",
    "bills_for",
    "commission_statement",
    "coverage_status",
    "paid_ahead",
    "PaidAhead",
    "covered_on",
    "credit_balance",
    "debit_attempts_for",
    "debit_mandate_for_payer",
    "debit_mandate_live",
    "member_account",
    "member_for_debit_payer",
    "member_for_staff",
    "member_for_staff_by_id",
    "members_paying_by_autodebit",
    "order_for_viewer",
    "payment_for_viewer",
    "payment_preview",
    "receipt_member_name",
    "receipts_for_payer",
    "reconciliation",
    "refused_provider_money",
]
