from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import PermissionDenied

from core.client_ip import client_ip
from core.models import Channel
from core.services import notification_enqueue


class StaffAccountAdapter(DefaultAccountAdapter):
    """allauth serves staff sign-in; staff accounts are created by admins, never by sign-up.

    Its emails (confirmation links, password resets) go through the notification outbox like every other message.
    """

    def is_open_for_signup(self, request):
        return False

    def get_client_ip(self, request) -> str:
        # allauth's rate limits (ACCOUNT_RATE_LIMITS) count by the same address as the portal's own limits.
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = self.request
        message = self.render_mail(template_prefix, email, {
            "request": request, "email": email, "current_site": get_current_site(request), **context})
        notification_enqueue(channel=Channel.EMAIL, recipient=email, subject=message.subject[:200],
                             body=message.body, purpose=template_prefix.rsplit("/", 1)[-1][:40])
