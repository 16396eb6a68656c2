from allauth.mfa.admin import AuthenticatorAdmin as AllauthAuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from core.models import AuditEvent, JobRun, OutboxMessage, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "role", "phone", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("username", "phone", "first_name", "last_name")
    fieldsets = (*(DjangoUserAdmin.fieldsets or ()), ("Portal", {"fields": ("role", "phone", "language")}))


class ReadOnlyAdmin(admin.ModelAdmin):
    """For evidence (audit events, money rows): visible to admins, never edited there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "object_type", "object_id", "actor")
    list_filter = ("action", "object_type")
    search_fields = ("object_id",)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "channel", "recipient", "purpose", "status", "attempts", "provider_reference")
    list_filter = ("status", "channel", "purpose")
    exclude = ("body",)  # sign-in codes and reset links are not for admins to read
    readonly_fields = [f.name for f in OutboxMessage._meta.fields if f.name != "body"]

    def lookup_allowed(self, lookup, value, request=None):
        # ?body__startswith=1 would read a code digit by digit through the row count
        if lookup.split("__")[0] == "body":
            return False
        return super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request):
        return False


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ("job", "started_at", "finished_at", "status", "handled", "failed", "skipped")
    list_filter = ("job", "status")


# allauth's admin shows an authenticator's data: a staff member's TOTP secret and recovery-code seed, from which
# anyone can make their codes. Admins may still see and delete authenticators (a lost phone), never the secret.
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(AllauthAuthenticatorAdmin):
    exclude = ("data",)
    readonly_fields = ("user", "type", "created_at", "last_used_at")

    def lookup_allowed(self, lookup, value, request=None):
        if lookup.split("__")[0] == "data":
            return False
        return super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
