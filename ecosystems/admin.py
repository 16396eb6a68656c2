"""Admins add ecosystems (e.g. a new one for cooperatives), edit targets and workforce figures one by one (files go
through /staf/target/), and give regional staff the province or regency/city whose dashboards they see."""

from typing import ClassVar

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ecosystems.models import NATION, Target, Workforce
from ecosystems.target_files import region_code_check
from reference.models import Region, RegionLevel


def _region_name(code: str) -> str:
    if code == NATION:
        return str(_("Indonesia"))
    region = Region.objects.filter(code=code).only("name").first()
    return region.name if region else "?"


class YearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = model_admin.model.objects.order_by("-year").values_list("year", flat=True).distinct()
        return [(y, y) for y in years]

    def queryset(self, request, queryset):
        return queryset.filter(year=self.value()) if self.value() else queryset


class LevelFilter(admin.SimpleListFilter):
    title = _("level")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [("0", _("Nation")), ("1", _("Province")), ("2", _("Regency/city"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "0":
            return queryset.filter(region_code=NATION)
        if value == "1":
            return queryset.filter(region_code__regex=r"^[0-9]{2}$")
        if value == "2":
            return queryset.filter(region_code__regex=r"^[0-9]{2}\.[0-9]{2}$")
        return queryset


class _RegionCodeForm(forms.ModelForm):
    def clean_region_code(self):
        try:
            return region_code_check(self.cleaned_data.get("region_code") or "")
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class _RegionCodeAdmin(admin.ModelAdmin):
    form = _RegionCodeForm
    list_filter: ClassVar[tuple] = (YearFilter, LevelFilter)  # the admins below add their own
    search_fields = ("region_code", "source")
    ordering = ("-year", "region_code")

    @admin.display(description=_("region"), ordering="region_code")
    def region(self, obj):
        return f"{obj.region_code or 'ID'} {_region_name(obj.region_code)}"

    def get_search_results(self, request, queryset, search_term):
        # Search by region name too ("Palembang", "Sumatera Selatan").
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term:
            codes = Region.objects.filter(name__icontains=search_term, level__lte=RegionLevel.REGENCY).values("code")
            queryset |= self.model.objects.filter(region_code__in=codes)
        return queryset, may_have_duplicates


@admin.register(Target)
class TargetAdmin(_RegionCodeAdmin):
    list_display = ("year", "region", "ecosystem", "measure", "value", "source", "updated_at")
    list_filter = (YearFilter, LevelFilter, "measure", "ecosystem")
    list_select_related = ("ecosystem",)
    fields = ("year", "region_code", "ecosystem", "measure", "members", "share_percent", "source")

    @admin.display(description=_("target"))
    def value(self, obj):
        return f"{obj.members:,}".replace(",", ".") if obj.members is not None else f"{obj.share_percent} %"


@admin.register(Workforce)
class WorkforceAdmin(_RegionCodeAdmin):
    list_display = ("year", "region", "workers", "informal_workers", "source", "updated_at")
    fields = ("year", "region_code", "workers", "informal_workers", "source")


