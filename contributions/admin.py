"""Admins edit tariff reference data here; money rows are read-only evidence."""

from django.contrib import admin

from contributions.models import Bill, Discount, IncomeBase, LedgerEntry, Payment, PaymentOrder, TariffRate
from core.admin import ReadOnlyAdmin


@admin.register(IncomeBase)
class IncomeBaseAdmin(admin.ModelAdmin):
    list_display = ("amount_idr", "provisional", "active", "effective_from", "effective_to")
    list_filter = ("provisional", "active")


@admin.register(TariffRate)
class TariffRateAdmin(admin.ModelAdmin):
    list_display = ("program", "effective_from", "percent", "flat_idr", "source")
    list_filter = ("program",)


@admin.register(Discount)
class DiscountAdmin(admin.ModelAdmin):
    list_display = ("name", "percent", "programs", "first_month", "last_month", "sectors", "excluded_funding")


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
