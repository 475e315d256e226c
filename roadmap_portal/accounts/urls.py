"""Account pages under ``/accounts/``: password reset and change (Django's views in the
portal's templates), the profile, invitations and deactivation."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .forms import PasswordResetForm

urlpatterns = [
    path(
        "password_reset/",
        auth_views.PasswordResetView.as_view(form_class=PasswordResetForm),
        name="password_reset",
    ),
    path(
        "password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/<str:key>/revoke/", views.token_revoke_view, name="token-revoke"),
    path("invitations/", views.invitation_list, name="invitation-list"),
    path("invitations/new/", views.invitation_new, name="invitation-new"),
    path(
        "invitations/<int:pk>/resend/",
        views.invitation_resend_view,
        name="invitation-resend",
    ),
    path(
        "invitations/<int:pk>/revoke/",
        views.invitation_revoke_view,
        name="invitation-revoke",
    ),
    path("invitation/<str:token>/", views.invitation_accept_view, name="invitation-accept"),
    path(
        "people/<int:pk>/deactivate/",
        views.member_deactivate_view,
        name="member-deactivate",
    ),
]
