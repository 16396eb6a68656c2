"""API tokens: django-rest-knox keeps only a SHA-512 digest; the clear token exists once, in the answer."""

from __future__ import annotations

from knox.models import AuthToken

from core.models import User


def api_token_issue(*, user: User) -> str:
    """A new token for the mobile app or a partner's client; the idle and absolute limits come from REST_KNOX."""
    _instance, token = AuthToken.objects.create(user=user)
    return token


def api_token_revoke(*, token: AuthToken) -> None:
    AuthToken.objects.filter(pk=token.pk).delete()


def api_tokens_revoke_all(*, user: User) -> int:
    deleted, _by_model = AuthToken.objects.filter(user=user).delete()
    return deleted
