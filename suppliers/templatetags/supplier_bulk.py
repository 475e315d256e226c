"""The bulk bars of the offer, screening and supplier lists: which actions the reader may
take (the pipeline's roles and the verification rule decide, not the template)."""

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from .. import pipeline
from ..services import may_take_action, may_verify_suppliers

register = template.Library()

# Which of the pipeline's bulk actions each offer list offers (to those whose role may).
OFFER_LISTS = {
    "offers": pipeline.BULK_ACTIONS,
    "screening": ("forward", "return"),
}


def _choice(action):
    step = pipeline.declared(action)
    return {"action": action, "label": step.label, "style": step.style}


@register.simple_tag(takes_context=True)
def offer_bulk(context, list_name):
    """``{% offer_bulk "offers" as bulk %}``: the list's bulk form, or None without actions."""
    user = context["request"].user
    actions = [a for a in OFFER_LISTS[list_name] if may_take_action(user=user, action=a)]
    if not actions:
        return None
    return {
        "form": f"{list_name}-bulk",
        "url": reverse("suppliers:offer-bulk"),
        "actions": [_choice(a) for a in actions],
        "comment_for": [pipeline.label_of(a) for a in actions if pipeline.comment_required(a)],
    }


@register.simple_tag(takes_context=True)
def supplier_bulk(context):
    """``{% supplier_bulk as bulk %}``: verify or reject many suppliers (region staff)."""
    if not may_verify_suppliers(user=context["request"].user):
        return None
    return {
        "form": "supplier-bulk",
        "url": reverse("suppliers:supplier-bulk"),
        "actions": [
            {"action": "verify", "label": _("Verify"), "style": "success"},
            {"action": "reject", "label": _("Reject"), "style": "danger"},
        ],
        "comment_for": [_("Reject")],
    }
