from django.urls import include, path

from . import bulk_views, views

app_name = "suppliers"

urlpatterns = [
    path("offers/import/", include("suppliers.import_urls")),
    path("register/", views.register, name="register"),
    path("register/confirm/<str:token>/", views.register_confirm, name="register-confirm"),
    path("organisations/", views.supplier_list, name="supplier-list"),
    path("organisations/bulk/", bulk_views.supplier_bulk, name="supplier-bulk"),
    path("organisations/<int:pk>/", views.supplier_detail, name="supplier-detail"),
    path("organisations/<int:pk>/verify/", views.supplier_verify_view, name="supplier-verify"),
    path("offers/", views.offer_list, name="offer-list"),
    path("offers/new/", views.offer_create_view, name="offer-create"),
    path("offers/bulk/", bulk_views.offer_bulk, name="offer-bulk"),
    path("offers/<int:pk>/", views.offer_detail, name="offer-detail"),
    path("offers/<int:pk>/edit/", views.offer_update_view, name="offer-update"),
    path("offers/<int:pk>/transition/", views.offer_transition_view, name="offer-transition"),
    path("offers/<int:pk>/attachments/", views.attachment_upload, name="attachment-upload"),
    path(
        "offers/<int:pk>/attachments/<int:attachment_pk>/",
        views.attachment_download,
        name="attachment-download",
    ),
    path(
        "offers/<int:pk>/attachments/<int:attachment_pk>/delete/",
        views.attachment_delete,
        name="attachment-delete",
    ),
    path("screening/", views.screening, name="screening"),
]
