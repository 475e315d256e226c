"""Reads of export jobs: a job is its owner's alone (anyone else: as if it did not exist)."""

from .models import ExportJob


def export_jobs_of(user):
    if user is None or not user.is_authenticated:
        return ExportJob.objects.none()
    return ExportJob.objects.filter(user=user).order_by("-created", "-id")
