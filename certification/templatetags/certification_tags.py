from django import template

from certification.selectors import offer_records as select_offer_records

register = template.Library()


@register.simple_tag(takes_context=True)
def offer_records(context, offer):
    """The stage records of ``offer`` (requirement checks, readiness, tests, certificates,
    register entries) that the page's reader may see."""
    return select_offer_records(offer, context["request"].user)


@register.filter
def days_until(day, today):
    """Days from ``today`` to ``day`` (negative when past)."""
    if not day or not today:
        return ""
    return (day - today).days
