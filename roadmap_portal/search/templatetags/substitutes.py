"""``{% demand_substitutes demand %}``: the offers and suppliers that could replace a demand's
imported item, found by the search engine in the reader's scope (import substitution). The
demand's page is procurement's; what could replace it is the search layer's, drawn here."""

from django import template

from roadmap_portal.search.selectors import substitutes_for, supplier_suggestions

register = template.Library()


@register.inclusion_tag("includes/demand_substitutes.html", takes_context=True)
def demand_substitutes(context, demand):
    substitutes = substitutes_for(demand, context["request"].user)
    return {"substitutes": substitutes, "suppliers": supplier_suggestions(substitutes)}
