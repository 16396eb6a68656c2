from django.db.models import QuerySet

from core.models import OutboxMessage


def outbox_messages(*, search: str = "") -> QuerySet[OutboxMessage]:
    qs = OutboxMessage.objects.all()
    if search:
        digits = "".join(ch for ch in search if ch.isdigit())
        if digits.startswith("0"):
            digits = "62" + digits[1:]
        qs = qs.filter(recipient__contains=digits or search)
    return qs.order_by("-created_at", "-id")
