from django.urls import path

from . import views

urlpatterns = [
    path("exports/", views.export_job_list, name="export-job-list"),
    path("exports/<int:pk>/", views.export_job_detail, name="export-job-detail"),
    path("exports/<int:pk>/status/", views.export_job_status, name="export-job-status"),
    path("exports/<int:pk>/download/", views.export_job_download, name="export-job-download"),
]
