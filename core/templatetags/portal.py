from django import template
from django.utils.safestring import mark_safe

from core.money import format_idr
from core.nik import nik_mask

register = template.Library()


@register.filter
def rupiah(value):
    if value is None or value == "":
        return ""
    return format_idr(int(value))


@register.filter
def masked_nik(value):
    return nik_mask(str(value or ""))


@register.simple_tag
def qr_svg(data: str, scale: int = 4):
    import segno

    svg = segno.make(data, error="m").svg_inline(scale=scale, dark="#0b2545", light="#ffffff")
    return mark_safe(svg)  # noqa: S308 - segno output, no user HTML


@register.filter
def phone_local(value):
    """+6281234567890 -> 0812-3456-7890, the way people write their own number."""
    from lokal import parse_phone

    info = parse_phone(str(value or ""))
    return info.national if info.valid else str(value or "")
