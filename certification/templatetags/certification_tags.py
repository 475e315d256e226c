from django import template

from certification.selectors import offer_records as select_offer_records

register = template.Library()


@register.simple_tag
def offer_records(offer):
    """The stage records of ``offer`` (requirement checks, readiness, tests, certificates,
    register entries) for the offer page."""
    return select_offer_records(offer)


@register.filter
def days_until(day, today):
    """Days from ``today`` to ``day`` (negative when past)."""
    if not day or not today:
        return ""
    return (day - today).days
