"""Members and the parties around them: occupations, who registered them (partners, agents), who pays for whom
(sponsors and sponsorships), invitations to claim a membership."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from core.choices import FundingSource, Gender, Sector
from core.models import Channel as NotifyChannel
from core.nik import nik_decrypt, nik_mask


class Occupation(models.Model):
    """Extendable list of occupations; the sector decides which discounts apply."""

    code = models.SlugField(max_length=40, unique=True)
    name_id = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100)
    sector = models.CharField(max_length=20, choices=Sector.choices)
    active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        db_table = "enrollment_occupation"  # kept from the app it moved out of
        ordering = ["sort_order", "name_id"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (translation.get_language() or "id").startswith("en") else self.name_id


class Partner(models.Model):
    """A partner system (e-commerce platform, bank, the mobile app) that registers members and pays via the API."""

    name = models.CharField(max_length=120, unique=True)
    ecosystem = models.ForeignKey("reference.Ecosystem", on_delete=models.PROTECT, related_name="+",
                                  db_column="ecosystem", default="ecommerce_umkm",
                                  help_text="Members it registers belong to this ecosystem unless they chose one")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="partner")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "enrollment_partner"  # kept from the app it moved out of

    def __str__(self) -> str:
        return self.name


class PartnerScope(models.TextChoices):
    REGISTER = "members:register", _("Register members")
    READ = "members:read", _("Read its members' coverage")
    PAY = "payments:create", _("Create payments")


class PartnerKey(models.Model):
    """An API key: only its SHA-256 is stored; the prefix identifies it in lists and logs."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="keys")
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "enrollment_partnerkey"  # kept from the app it moved out of

    def __str__(self) -> str:
        return f"{self.partner} {self.prefix}…"


class AgentBody(models.Model):
    """The registered body a Perisai agent belongs to (cooperative, foundation or company)."""

    class Kind(models.TextChoices):
        COOPERATIVE = "cooperative", _("Cooperative")
        FOUNDATION = "foundation", _("Foundation")
        COMPANY = "company", _("Company")

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)

    class Meta:
        db_table = "enrollment_agentbody"  # kept from the app it moved out of

    def __str__(self) -> str:
        return self.name


class Agent(models.Model):
    """A Perisai agent: registers traders in the field and collects their contributions in cash."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="agent")
    body = models.ForeignKey(AgentBody, on_delete=models.PROTECT, related_name="agents")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    market = models.CharField(_("market"), max_length=120, blank=True)
    village = models.ForeignKey("reference.Region", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", help_text="Where the agent usually works; forms start there")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "enrollment_agent"  # kept from the app it moved out of

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.username


class MemberStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered, awaiting first payment")
    ACTIVE = "active", _("Active")
    LAPSED = "lapsed", _("Lapsed")
    CLOSED = "closed", _("Closed")


class RegistrationChannel(models.TextChoices):
    SELF = "self", _("Self-registration")
    API = "api", _("Partner or mobile app")
    SPONSOR = "sponsor", _("SERTAKAN sponsor")
    AGENT = "agent", _("Perisai agent")
    BULK = "bulk", _("Bulk registration")


def _card_token() -> str:
    return secrets.token_urlsafe(16)


class Member(models.Model):
    """A BPU participant. The NIK is stored encrypted; `nik_index` (keyed HMAC) enforces one member per NIK."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="member"
    )
    kpj = models.CharField(_("participant number"), max_length=11, unique=True)
    nik_ciphertext = models.TextField()
    nik_index = models.CharField(max_length=64, unique=True)
    full_name = models.CharField(_("name as on KTP"), max_length=120)
    birth_place = models.CharField(_("place of birth"), max_length=80)
    birth_date = models.DateField(_("date of birth"))
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    phone = PhoneNumberField(_("phone number"), region="ID")
    email = models.EmailField(_("email"), blank=True)
    village = models.ForeignKey("reference.Region", on_delete=models.PROTECT, related_name="+")
    address_line = models.CharField(_("street address"), max_length=200)
    occupation = models.ForeignKey(Occupation, on_delete=models.PROTECT, related_name="members")
    income_base_idr = models.BigIntegerField(_("declared monthly income"))
    has_jht = models.BooleanField(_("old-age savings (JHT)"), default=False)
    funding_source = models.CharField(max_length=10, choices=FundingSource.choices, default=FundingSource.SELF)
    status = models.CharField(max_length=12, choices=MemberStatus.choices, default=MemberStatus.REGISTERED)
    channel = models.CharField(max_length=10, choices=RegistrationChannel.choices, default=RegistrationChannel.SELF)
    # Set from how the member came in (ecosystems.services.ecosystem_for); the DB default covers set-based inserts.
    ecosystem = models.ForeignKey("reference.Ecosystem", on_delete=models.PROTECT, related_name="+",
                                  db_default="ecommerce_umkm", verbose_name=_("ecosystem"))
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    billing_start = models.DateField(
        null=True, blank=True, help_text="First month billed: the registration or reactivation month"
    )
    consent_version = models.CharField(max_length=20)
    consented_at = models.DateTimeField()
    card_token = models.CharField(max_length=32, unique=True, default=_card_token)
    language = models.CharField(_("language for messages"), max_length=5, choices=settings.LANGUAGES, default="id")
    notify_channel = models.CharField(_("send messages by"), max_length=10, choices=NotifyChannel.choices,
                                      default=NotifyChannel.SMS)
    reminders_opt_out = models.BooleanField(_("no payment reminders"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "enrollment_member"  # kept from the app it moved out of
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(income_base_idr__gt=0), name="member_income_positive"),
            models.CheckConstraint(condition=Q(kpj__regex=r"^[0-9]{11}$"), name="member_kpj_11_digits"),
        ]
        indexes = [models.Index(fields=["status"]), models.Index(fields=["village"]), models.Index(fields=["phone"])]

    def __str__(self) -> str:
        return f"{self.kpj} {self.masked_name}"

    @property
    def nik(self) -> str:
        return nik_decrypt(self.nik_ciphertext)

    @property
    def nik_masked(self) -> str:
        return nik_mask(self.nik)

    @property
    def masked_name(self) -> str:
        """B**** S****: enough for someone holding the card to recognise it, not to learn the name."""
        return " ".join(w[0] + "*" * (len(w) - 1) for w in self.full_name.split())

    @property
    def programs(self) -> list[str]:
        return ["JKK", "JKM"] + (["JHT"] if self.has_jht else [])


class Relationship(models.TextChoices):
    HOUSEHOLD_HELPER = "household_helper", _("Household helper")
    PRIVATE_DRIVER = "private_driver", _("Private driver")
    REGULAR_VENDOR = "regular_vendor", _("Regular vendor")
    OTHER = "other", _("Other")


class Sponsor(models.Model):
    """SERTAKAN: someone who registers and pays for workers near them. Citizens sign in by phone and code."""

    class Kind(models.TextChoices):
        CITIZEN = "citizen", _("Citizen")
        ORGANISATION = "organisation", _("Organisation")
        GOVERNMENT = "government", _("Local government")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sponsor")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.CITIZEN)
    name = models.CharField(_("name"), max_length=120)
    funding_source = models.CharField(max_length=10, choices=FundingSource.choices, default=FundingSource.DONOR,
                                      help_text="Budget-funded sponsors (APBN/APBD) get no discount that excludes them")
    notify_channel = models.CharField(_("send messages by"), max_length=10, choices=NotifyChannel.choices,
                                      default=NotifyChannel.SMS)
    reminders_opt_out = models.BooleanField(_("no payment reminders"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "enrollment_sponsor"  # kept from the app it moved out of

    def __str__(self) -> str:
        return self.name


class Sponsorship(models.Model):
    """A sponsor paying for a member. One the sponsor asked for on an existing member waits for that member's
    confirmation; until then the sponsor learns nothing about the member."""

    sponsor = models.ForeignKey(Sponsor, on_delete=models.PROTECT, related_name="sponsorships")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="sponsorships")
    relationship = models.CharField(_("relationship"), max_length=20, choices=Relationship.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "enrollment_sponsorship"  # kept from the app it moved out of
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["sponsor", "member"], condition=Q(ended_at__isnull=True),
                                    name="sponsorship_one_open_per_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.sponsor_id} pays for {self.member_id}"

    @property
    def active(self) -> bool:
        return self.confirmed_at is not None and self.ended_at is None


class MemberInvitation(models.Model):
    """A text sent to an existing member because a sponsor or agent named their NIK. At most one per sender, member
    and day (decisions.md, R): trying the same NIK again must not let anyone text a member over and over."""

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "enrollment_memberinvitation"  # kept from the app it moved out of
        constraints = [models.UniqueConstraint(fields=["sender", "member", "day"], name="member_invitation_daily")]

    def __str__(self) -> str:
        return f"{self.sender_id} -> {self.member_id} {self.day}"
