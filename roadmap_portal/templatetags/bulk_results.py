"""``{% bulk_results_panel %}``: what the last bulk action did, row by row, shown once above
the list the bulk form came from."""

from django import template

from roadmap_portal.bulk import results_for_page

register = template.Library()


@register.inclusion_tag("includes/bulk_results.html", takes_context=True)
def bulk_results_panel(context):
    return {"bulk_outcome": results_for_page(context["request"])}
