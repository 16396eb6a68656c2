from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.sites.shortcuts import get_current_site


class StaffAccountAdapter(DefaultAccountAdapter):
    """allauth serves staff sign-in; staff accounts are created by admins, never by sign-up.

    Its emails (confirmation links, password resets) go through the notification outbox like every other message.
    """

    def is_open_for_signup(self, request):
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        from core.models import Channel
        from core.services import notification_enqueue

        request = self.request
        message = self.render_mail(template_prefix, email, {
            "request": request, "email": email, "current_site": get_current_site(request), **context})
        notification_enqueue(channel=Channel.EMAIL, recipient=email, subject=message.subject[:200],
                             body=message.body, purpose=template_prefix.rsplit("/", 1)[-1][:40])
