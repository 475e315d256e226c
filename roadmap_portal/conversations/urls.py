from django.urls import path

from . import views

app_name = "conversations"

urlpatterns = [
    path("offers/<int:offer_pk>/messages/", views.message_create, name="message-create"),
    path(
        "offers/<int:offer_pk>/attachments/<int:attachment_pk>/",
        views.attachment_download,
        name="attachment-download",
    ),
]
