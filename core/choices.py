from django.db import models
from django.utils.translation import gettext_lazy as _


class Sector(models.TextChoices):
    TRANSPORT = "transport", _("Transport")
    AGRICULTURE = "agriculture", _("Agriculture")
    FISHERIES = "fisheries", _("Fisheries")
    TRADE = "trade", _("Trade")
    SERVICES = "services", _("Services")
    HOUSEHOLD = "household", _("Household")
    CONSTRUCTION = "construction", _("Construction")
    CREATIVE = "creative", _("Creative")
    OTHER = "other", _("Other")


class FundingSource(models.TextChoices):
    SELF = "self", _("Paid by the member")
    DONOR = "donor", _("Paid by a sponsor")
    APBN = "apbn", _("State budget (APBN)")
    APBD = "apbd", _("Regional budget (APBD)")


class Gender(models.TextChoices):
    MALE = "L", _("Male")
    FEMALE = "P", _("Female")
