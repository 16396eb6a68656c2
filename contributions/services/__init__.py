"""Every write about money: bills, payment orders, payments and the ledger."""
