"""Reference data in the admin: tariffs, ecosystems, branches and their areas, which staff work for which branch
or region."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.models import STAFF_ROLES, Role, User
from reference.models import (
    Branch,
    BranchArea,
    Discount,
    Ecosystem,
    IncomeBase,
    Region,
    RegionLevel,
    StaffBranch,
    StaffRegion,
    TariffRate,
)


class BranchAreaInline(admin.TabularInline):
    model = BranchArea
    raw_id_fields = ("regency",)
    extra = 0

class StaffBranchForm(forms.ModelForm):
    class Meta:
        model = StaffBranch
        fields = ("user", "branch")

    def clean_user(self):
        user = self.cleaned_data["user"]
        if user.role not in (Role.BRANCH_STAFF, Role.SUPERVISOR):
            raise ValidationError("Only branch staff and supervisors work for a branch (admins see every branch).")
        return user


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


@admin.register(Ecosystem)
class EcosystemAdmin(admin.ModelAdmin):
    list_display = ("code", "name_id", "name_en", "sort_order", "active")
    list_editable = ("sort_order", "active")
    list_filter = ("active",)
    search_fields = ("code", "name_id", "name_en")
    ordering = ("sort_order", "code")

    def get_readonly_fields(self, request, obj=None):
        # Members, partners and the rollups keep the code: it cannot change once the ecosystem exists.
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False  # make it inactive instead: members keep their ecosystem


@admin.register(StaffRegion)
class StaffRegionAdmin(admin.ModelAdmin):
    list_display = ("user", "user_role", "region_code", "region")
    list_select_related = ("user", "region")
    search_fields = ("user__username", "user__first_name", "region__code", "region__name")
    list_filter = ("user__role",)
    raw_id_fields = ("user",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "region":
            kwargs["queryset"] = Region.objects.filter(level__lte=RegionLevel.REGENCY).order_by("code")
        if db_field.name == "user":
            kwargs["queryset"] = User.objects.filter(role__in=STAFF_ROLES)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("role"), ordering="user__role")
    def user_role(self, obj):
        return obj.user.get_role_display()

    @admin.display(description=_("code"), ordering="region_id")
    def region_code(self, obj):
        return obj.region_id
