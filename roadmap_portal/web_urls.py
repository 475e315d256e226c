from django.urls import path

from . import views
from .insights import dashboard_views, deadline_views, report_views
from .notifications import views as notification_views
from .search import views as search_views

urlpatterns = [
    path("roadmaps/", views.roadmap_list, name="roadmap-list"),
    path("roadmaps/<int:pk>/", views.roadmap_detail, name="roadmap-detail"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("deadlines/", deadline_views.deadline_list, name="deadline-list"),
    path("deadlines/calendar.ics", deadline_views.deadline_calendar, name="deadline-calendar"),
    path("search/", search_views.search, name="search"),
    path("reports/", report_views.report_list, name="report-list"),
    path("reports/<int:pk>/", report_views.report_detail, name="report-detail"),
    path("reports/<int:pk>/pdf/", report_views.report_pdf, name="report-pdf"),
    path("reports/<int:pk>/html/", report_views.report_html, name="report-html"),
    path("notifications/", notification_views.notification_list, name="notification-list"),
    path(
        "notifications/read/",
        notification_views.notification_read_all,
        name="notification-read-all",
    ),
    path(
        "notifications/preferences/",
        notification_views.notification_preferences,
        name="notification-preferences",
    ),
    path(
        "notifications/<int:pk>/open/",
        notification_views.notification_open,
        name="notification-open",
    ),
    path(
        "notifications/<int:pk>/read/",
        notification_views.notification_read,
        name="notification-read",
    ),
]
