"""Writes of the shared kernel: audit events, the notification outbox and its delivery, phone sign-in codes, accounts
and API tokens."""

from core.services.audit import audit_event_record, audit_events_record_many, audit_events_spec, audit_type
from core.services.delivery import (
    UnknownProviderMessage,
    notification_deliver,
    notification_flush_pending,
    notification_receipt_record,
    notifications_deliver_fresh,
)
from core.services.outbox import (
    NOTIFICATION_MORE_FIELDS,
    SqlPart,
    notification_enqueue,
    notification_ids_sql,
    notifications_deliver_after_commit,
    notifications_enqueue_many,
    notifications_insert_select_sql,
    notifications_spec,
)
from core.services.phone_codes import (
    CodeInvalid,
    CodeRequestRefused,
    phone_code_request,
    phone_code_verify,
    rate_limit_hit,
)
from core.services.tokens import api_token_issue, api_token_revoke, api_tokens_revoke_all
from core.services.users import (
    EmailTaken,
    PhoneSignInRefused,
    email_user_create,
    key_user_create,
    phone_user_get_or_create,
    phone_users_get_or_create_many,
    user_contact_update,
    user_password_set,
)

__all__ = [
    "NOTIFICATION_MORE_FIELDS",
    "CodeInvalid",
    "CodeRequestRefused",
    "EmailTaken",
    "PhoneSignInRefused",
    "SqlPart",
    "UnknownProviderMessage",
    "api_token_issue",
    "api_token_revoke",
    "api_tokens_revoke_all",
    "audit_event_record",
    "audit_events_record_many",
    "audit_events_spec",
    "audit_type",
    "email_user_create",
    "key_user_create",
    "notification_deliver",
    "notification_enqueue",
    "notification_flush_pending",
    "notification_ids_sql",
    "notification_receipt_record",
    "notifications_deliver_after_commit",
    "notifications_deliver_fresh",
    "notifications_enqueue_many",
    "notifications_insert_select_sql",
    "notifications_spec",
    "phone_code_request",
    "phone_code_verify",
    "phone_user_get_or_create",
    "phone_users_get_or_create_many",
    "rate_limit_hit",
    "user_contact_update",
    "user_password_set",
]
