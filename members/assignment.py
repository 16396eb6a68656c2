"""Which ecosystem a new member belongs to: how they came in decides, the registration form's choice where it
applies (self and SERTAKAN registration ask; agents, partners and imports do not)."""

from __future__ import annotations

from members.models import RegistrationChannel, Sponsor
from reference.models import Ecosystem

DEFAULT = "ecommerce_umkm"
MARKET = "pasar"
VILLAGE = "desa"
VULNERABLE = "pekerja_rentan"
# Farmers and fishers are reached through their village; market traders through their market.
SECTOR_ECOSYSTEM = {"agriculture": VILLAGE, "fisheries": VILLAGE}
OCCUPATION_ECOSYSTEM = {"pedagang-pasar": MARKET}


def ecosystem_choices() -> list[tuple[str, str]]:
    return [(e.code, e.name) for e in Ecosystem.objects.filter(active=True)]


def ecosystem_for(*, channel: str, choice: str = "", partner=None, agent=None, sponsor=None,
                  occupation=None) -> str:
    if choice and Ecosystem.objects.filter(code=choice, active=True).exists():
        return choice
    if channel == RegistrationChannel.AGENT or agent is not None:
        return MARKET
    if partner is not None:
        return partner.ecosystem_id
    if channel == RegistrationChannel.BULK and sponsor is not None and sponsor.kind == Sponsor.Kind.GOVERNMENT:
        return VULNERABLE
    if occupation is not None:
        by_occupation = OCCUPATION_ECOSYSTEM.get(occupation.code) or SECTOR_ECOSYSTEM.get(occupation.sector)
        if by_occupation:
            return by_occupation
    return DEFAULT
