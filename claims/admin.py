"""Admins edit claims reference data here (amounts, periods, scholarship levels, JHT return rates, branches), put
staff on branches, and read claims and payouts (never change them: that is the services' job)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from claims.models import BenefitRule, Claim, ClaimDocument, ClaimPayout, JhtReturnRate, PayoutEntry, ScholarshipLevel
from core.models import Role
from reference.models import Branch, BranchArea, StaffBranch


@admin.register(BenefitRule)
class BenefitRuleAdmin(admin.ModelAdmin):
    list_display = ("kind", "effective_from", "amount_idr", "multiple", "quantity", "provisional", "source")
    list_filter = ("kind", "provisional")


@admin.register(ScholarshipLevel)
class ScholarshipLevelAdmin(admin.ModelAdmin):
    list_display = ("level", "effective_from", "position", "yearly_idr", "years", "source")
    list_filter = ("level",)


@admin.register(JhtReturnRate)
class JhtReturnRateAdmin(admin.ModelAdmin):
    list_display = ("year", "percent", "provisional", "source")
    list_filter = ("provisional",)


class BranchAreaInline(admin.TabularInline):
    model = BranchArea
    raw_id_fields = ("regency",)
    extra = 0


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_default")
    search_fields = ("code", "name")
    inlines = [BranchAreaInline]


@admin.register(BranchArea)
class BranchAreaAdmin(admin.ModelAdmin):
    list_display = ("regency_id", "branch")
    list_select_related = ("branch",)
    raw_id_fields = ("regency",)
    search_fields = ("regency__code", "branch__code")


class StaffBranchForm(forms.ModelForm):
    class Meta:
        model = StaffBranch
        fields = ("user", "branch")

    def clean_user(self):
        user = self.cleaned_data["user"]
        if user.role not in (Role.BRANCH_STAFF, Role.SUPERVISOR):
            raise ValidationError("Only branch staff and supervisors work for a branch (admins see every branch).")
        return user


@admin.register(StaffBranch)
class StaffBranchAdmin(admin.ModelAdmin):
    """Admins put branch staff and supervisors on a branch; without a row they see no claims."""

    form = StaffBranchForm

    list_display = ("user", "user_role", "branch")
    list_select_related = ("user", "branch")
    list_filter = ("branch",)
    raw_id_fields = ("user",)
    search_fields = ("user__username", "user__first_name", "user__last_name", "branch__code")

    @admin.display(description="role")
    def user_role(self, obj):
        return obj.user.get_role_display()

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
