"""Admins edit claims reference data here: amounts, periods, scholarship levels, JHT return rates, branches."""

from django.contrib import admin

from claims.models import BenefitRule, Branch, BranchArea, JhtReturnRate, ScholarshipLevel


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
