from django import template

register = template.Library()


@register.filter
def absolute(value):
    """-2 -> 2 (working days late are stored as negative days left)."""
    return abs(value) if value is not None else value
