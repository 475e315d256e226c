from django.urls import path

from . import import_views

urlpatterns = [
    path("", import_views.offer_import, name="import"),
    path("template/", import_views.offer_import_template, name="import-template"),
    path("<uuid:token>/", import_views.offer_import_preview, name="import-preview"),
    path("<uuid:token>/confirm/", import_views.offer_import_confirm, name="import-confirm"),
    path("<uuid:token>/discard/", import_views.offer_import_discard, name="import-discard"),
]
