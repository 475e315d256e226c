"""``{% roadmap_volume roadmap %}``: the roadmap's volume table and chart, for the roles
that may see volumes (region staff, reviewers, partners, administrators)."""

from django import template

from roadmap_portal.insights.dashboard import series_texts, volume_chart
from roadmap_portal.insights.volume import roadmap_volume as series_volume
from roadmap_portal.scope import may

register = template.Library()


@register.inclusion_tag("roadmap_portal/dashboard_roadmap_volume.html", takes_context=True)
def roadmap_volume(context, roadmap):
    request = context.get("request")
    if not may(getattr(request, "user", None), "volume.read"):
        return {"series": None}
    series = series_volume(roadmap)
    series.chart = volume_chart(series)
    return {"series": series_texts(series)}
