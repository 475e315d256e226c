from csp.constants import UNSAFE_INLINE as CSP_UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.urls.resolvers import RoutePattern
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

import certification.api.urls
import procurement.api.urls
import roadmap_portal.api.urls
import roadmap_portal.conversations.api.urls
import roadmap_portal.export_jobs.api.urls
import roadmap_portal.webhooks.api.urls
import suppliers.api.urls

from . import views
from .accounts import views as account_views
from .api.routers import FirstSegmentResolver
from .insights import home_views
from .search import api_views as api_search

# The API's routes as one list, resolved by their first segment (FirstSegmentResolver).
api_v1 = [
    *roadmap_portal.api.urls.urlpatterns,
    *suppliers.api.urls.urlpatterns,
    *certification.api.urls.urlpatterns,
    *procurement.api.urls.urlpatterns,
    # Import substitution for a demand: the search layer's answer about procurement's demand.
    re_path(
        r"^demands/(?P<pk>[0-9]+)/substitutes/$",
        api_search.DemandSubstitutesView.as_view(),
        name="demands-substitutes",
    ),
    *roadmap_portal.webhooks.api.urls.urlpatterns,
    *roadmap_portal.export_jobs.api.urls.urlpatterns,
    *roadmap_portal.conversations.api.urls.urlpatterns,
]

urlpatterns = [
    # First: the API's requests are the most numerous, and the includes below without a
    # prefix would each be tried before it.
    FirstSegmentResolver(RoutePattern("api/v1/", is_endpoint=False), api_v1),
    path("", home_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("roadmap_portal.accounts.urls")),
    # Django's set_language, keeping a signed-in person's choice in their profile.
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("healthz", views.healthz, name="healthz"),
    path("healthz/ready", views.healthz, name="healthz-ready"),
    path("healthz/live", views.healthz_live, name="healthz-live"),
    path("", include("roadmap_portal.web_urls")),
    path("", include("roadmap_portal.export_jobs.urls")),
    path("suppliers/", include("suppliers.urls")),
    path("certification/", include("certification.urls")),
    path("procurement/", include("procurement.urls")),
    path("conversations/", include("roadmap_portal.conversations.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script.
    path(
        "api/docs/",
        csp_update({"style-src": [CSP_UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="swagger-ui",
    ),
    re_path(r"^api/(?P<rest>.*)$", views.api_not_found),
]

handler404 = views.page_not_found
handler500 = views.server_error
