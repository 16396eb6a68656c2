"""Admins edit tariff reference data here; money rows are read-only evidence."""

from django.contrib import admin

from contributions.models import Bill, DebitAttempt, DebitMandate, LedgerEntry, Payment, PaymentOrder, ProviderEvent
from core.admin import ReadOnlyAdmin


@admin.register(Bill)
class BillAdmin(ReadOnlyAdmin):
    list_display = ("member", "month", "total_idr", "status", "due_date")
    list_filter = ("status", "month")
    search_fields = ("member__kpj",)


@admin.register(PaymentOrder)
class PaymentOrderAdmin(ReadOnlyAdmin):
    list_display = ("va_number", "member", "amount_idr", "status", "expires_at")
    list_filter = ("status",)
    search_fields = ("va_number", "member__kpj")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("receipt_number", "member", "amount_idr", "channel", "paid_at")
    search_fields = ("receipt_number", "provider_reference", "member__kpj")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "member", "bill", "amount_idr", "from_credit")
    list_filter = ("kind",)


# Auto-debit: read-only here; mandates change through their service (consent, provider, audit), not by editing rows.


@admin.register(DebitMandate)
class DebitMandateAdmin(ReadOnlyAdmin):
    list_display = ("member", "payer", "issuer", "account_masked", "max_amount_idr", "status", "failed_months",
                    "consented_at")
    list_filter = ("status", "method", "issuer")
    search_fields = ("member__kpj", "provider_reference")
    list_select_related = ("member", "payer")


@admin.register(DebitAttempt)
class DebitAttemptAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "month", "amount_idr", "status", "tries", "last_outcome", "next_try_at")
    list_filter = ("status", "month", "last_outcome")
    search_fields = ("mandate__member__kpj", "provider_reference")
    list_select_related = ("mandate",)


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "provider", "kind", "outcome", "status_code", "account", "amount_idr",
                    "reference", "signature_valid")
    list_filter = ("kind", "outcome", "signature_valid", "provider")
    search_fields = ("reference", "account", "body_sha256")
