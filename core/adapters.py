from allauth.account.adapter import DefaultAccountAdapter


class StaffAccountAdapter(DefaultAccountAdapter):
    """allauth serves staff sign-in only; staff accounts are created by admins, never by sign-up."""

    def is_open_for_signup(self, request):
        return False
