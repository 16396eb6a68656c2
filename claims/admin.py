"""Admins edit claims reference data here (amounts, periods, scholarship levels, the disability table, JHT return
rates, branches), put staff on branches, and read claims, payouts and scholarships (never change them: that is the
services' job)."""

from django.contrib import admin

from claims.models import (
    BenefitRule,
    Claim,
    ClaimDocument,
    ClaimPayout,
    DisabilityRate,
    JhtReturnRate,
    PayoutEntry,
    ScholarshipChild,
    ScholarshipLevel,
    ScholarshipPayment,
)


@admin.register(BenefitRule)
class BenefitRuleAdmin(admin.ModelAdmin):
    list_display = ("kind", "effective_from", "amount_idr", "multiple", "quantity", "provisional", "source")
    list_filter = ("kind", "provisional")


@admin.register(ScholarshipLevel)
class ScholarshipLevelAdmin(admin.ModelAdmin):
    list_display = ("level", "effective_from", "position", "yearly_idr", "years", "source")
    list_filter = ("level",)


@admin.register(DisabilityRate)
class DisabilityRateAdmin(admin.ModelAdmin):
    """PP 44/2015's table: a correction is a new row from a date (claims use the row in force on the accident)."""

    list_display = ("label", "code", "percent", "effective_from", "provisional", "source")
    list_filter = ("provisional",)
    search_fields = ("label", "code")


@admin.register(JhtReturnRate)
class JhtReturnRateAdmin(admin.ModelAdmin):
    list_display = ("year", "percent", "provisional", "source")
    list_filter = ("provisional",)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Claims change only through their services (audited, maker-checker): the admin only reads."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ClaimDocumentInline(admin.TabularInline):
    model = ClaimDocument
    fields = ("kind", "status", "content_type", "size_bytes", "uploaded_at", "reviewed_by", "review_note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ("number", "claim_type", "status", "branch", "member", "reported_late", "benefit_idr",
                    "refund_idr", "created_at")
    list_filter = ("status", "claim_type", "branch", "reported_late")
    list_select_related = ("branch", "member")
    search_fields = ("number", "member__kpj")
    # The ciphertexts stay out of the page: only masked values are shown.
    exclude = ("heir_nik_ciphertext", "account_number_ciphertext")
    inlines = [ClaimDocumentInline]


class PayoutEntryInline(admin.TabularInline):
    model = PayoutEntry
    fields = ("kind", "label", "amount_idr", "bill")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ClaimPayout)
class ClaimPayoutAdmin(ReadOnlyAdmin):
    list_display = ("transfer_reference", "claim", "amount_idr", "bank_name", "account_number_masked", "paid_at",
                    "recorded_by")
    list_select_related = ("claim", "recorded_by")
    search_fields = ("transfer_reference", "claim__number")
    inlines = [PayoutEntryInline]


class ScholarshipPaymentInline(admin.TabularInline):
    model = ScholarshipPayment
    fields = ("school_year", "level", "year_in_level", "amount_idr", "status", "transfer_reference", "paid_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ScholarshipChild)
class ScholarshipChildAdmin(ReadOnlyAdmin):
    list_display = ("claim", "position", "name", "status", "end_reason", "granted_school_year")
    list_filter = ("status", "end_reason")
    list_select_related = ("claim",)
    search_fields = ("claim__number",)
    exclude = ("nik_digest",)  # the masked NIK is enough to read
    inlines = [ScholarshipPaymentInline]
