from django.urls import path

from . import import_views

urlpatterns = [
    path("offers/import/", import_views.OfferImportView.as_view(), name="offer-import"),
    path(
        "offers/import/template/",
        import_views.OfferImportTemplateView.as_view(),
        name="offer-import-template",
    ),
]
