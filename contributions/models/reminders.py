"""Payment reminders: one row per bill, stage and audience, so that no one is told the same thing twice."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ReminderStage(models.TextChoices):
    DUE_SOON = "due_soon", _("Due in a few days")
    DUE = "due", _("Due date")
    OVERDUE = "overdue", _("Overdue")
    BEFORE_LAPSE = "before_lapse", _("Before the membership lapses")
    LAPSED = "lapsed", _("Membership lapsed")


class Audience(models.TextChoices):
    MEMBER = "member", _("Member")
    SPONSOR = "sponsor", _("Sponsor")


class Reminder(models.Model):
    """A bill's reminder at one stage to one audience. The message may be shared: a sponsor gets one message for
    all the bills of its workers at the same stage."""

    bill = models.ForeignKey("contributions.Bill", on_delete=models.PROTECT, related_name="reminders",
                             db_index=False)  # the unique constraint's index starts with the bill
    stage = models.CharField(max_length=12, choices=ReminderStage.choices)
    audience = models.CharField(max_length=7, choices=Audience.choices, default=Audience.MEMBER)
    sponsor = models.ForeignKey("members.Sponsor", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", db_index=False)
    message = models.ForeignKey("core.OutboxMessage", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["bill", "stage", "audience"], name="reminder_once_per_bill_stage"),
            models.CheckConstraint(condition=Q(audience="member") | Q(sponsor__isnull=False),
                                   name="reminder_sponsor_named"),
        ]
        indexes = [
            # The sponsor pass finds the bills not yet put into a combined message.
            models.Index(fields=["sponsor", "stage"], condition=Q(message__isnull=True),
                         name="reminder_sponsor_unsent"),
        ]

    def __str__(self) -> str:
        return f"{self.bill_id} {self.stage} {self.audience}"
