"""The register's bulk bar: exclude or reinstate many entries (the pipeline's roles decide)."""

from django import template
from django.urls import reverse

from roadmap_portal.scope import scope_of
from suppliers import pipeline
from suppliers.services import may_take_action

register = template.Library()


@register.simple_tag(takes_context=True)
def register_bulk(context):
    """``{% register_bulk as bulk %}``: the bulk form, or None for those who take no action.
    ``group`` is the reader's corporation: rows of other groups get no checkbox (None for an
    administrator: every row)."""
    user = context["request"].user
    actions = [a for a in pipeline.REGISTER_BULK_ACTIONS if may_take_action(user=user, action=a)]
    if not actions:
        return None
    scope = scope_of(user)
    steps = [pipeline.declared(a) for a in actions]
    return {
        "form": "register-bulk",
        "url": reverse("certification:register-bulk"),
        "actions": [{"action": t.action, "label": t.label, "style": t.style} for t in steps],
        "comment_for": [t.label for t in steps if t.comment_required],
        "group": None if scope.is_admin else scope.group_id,
    }
