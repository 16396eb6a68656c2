"""Members and the parties around them in the admin (read-mostly: writes go through the services)."""

from django.contrib import admin, messages

from core.admin import ReadOnlyAdmin
from members.models import Agent, AgentBody, Member, Occupation, Partner, PartnerKey, Sponsor
from members.services import partner_key_revoke
from members.transitions import agent_status_transition


@admin.register(Occupation)
class OccupationAdmin(admin.ModelAdmin):
    list_display = ("name_id", "name_en", "sector", "active", "sort_order")
    list_filter = ("sector", "active")


@admin.register(Member)
class MemberAdmin(ReadOnlyAdmin):
    """Members change only through the portal's services (which audit every change)."""

    list_display = ("kpj", "masked_name", "status", "channel", "partner", "created_at")
    list_filter = ("status", "channel")
    search_fields = ("kpj",)
    exclude = ("nik_ciphertext", "nik_index", "full_name", "address_line", "card_token")


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "ecosystem", "active", "created_at")
    readonly_fields = ("user",)


@admin.register(PartnerKey)
class PartnerKeyAdmin(ReadOnlyAdmin):
    list_display = ("partner", "prefix", "scopes", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        for key in queryset:
            partner_key_revoke(key_id=key.pk, actor=request.user)
        messages.success(request, f"{queryset.count()} key(s) revoked.")

    def has_change_permission(self, request, obj=None):
        return obj is None  # the list (and its revoke action) but no edit form


@admin.register(AgentBody)
class AgentBodyAdmin(admin.ModelAdmin):
    list_display = ("name", "kind")


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "body", "status", "market", "created_at")
    list_filter = ("status", "body")
    raw_id_fields = ("user", "village")

    def save_model(self, request, obj, form, change):
        """Staff taking an agent back (or stopping one) move its status through the gate: checked and audited."""
        to = obj.status
        if not change or "status" not in form.changed_data:
            return super().save_model(request, obj, form, change)
        obj.status = form.initial["status"]
        super().save_model(request, obj, form, change)
        agent_status_transition(agent_id=obj.pk, to=to, actor=request.user, reason="changed by staff in the admin")
        obj.status = to
        return None


@admin.register(Sponsor)
class SponsorAdmin(admin.ModelAdmin):
    """Staff mark local governments and companies here (kind, budget funding); the rest is the sponsor's own."""

    list_display = ("name", "kind", "funding_source", "created_at")
    list_filter = ("kind", "funding_source")
    fields = ("user", "name", "kind", "funding_source")
    readonly_fields = ("user",)

    def has_add_permission(self, request):
        return False
