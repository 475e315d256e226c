"""The people in the admin: users with their profile inline, and the invitations (read only)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group

from .models import Invitation, Profile

User = get_user_model()


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    raw_id_fields = ["supplier"]


# The portal's roles and scopes live in the profile; Django's groups and model permissions
# are not used, so the admin does not offer them (nor their filter widget).
admin.site.unregister(User)
admin.site.unregister(Group)
UNUSED = {"groups", "user_permissions"}


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [ProfileInline]
    fieldsets = [
        (name, {**options, "fields": [f for f in options["fields"] if f not in UNUSED]})
        for name, options in BaseUserAdmin.fieldsets
    ]
    filter_horizontal = []
    list_display = ["username", "email", "get_role", "is_active", "is_superuser"]
    list_filter = ["profile__role", "is_active", "is_superuser"]
    list_select_related = ["profile"]

    @admin.display(description="role", ordering="profile__role")
    def get_role(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.get_role_display() if profile else "—"

    def has_delete_permission(self, request, obj=None):
        # People are deactivated (is_active), never deleted: records name them.
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations are sent, resent and revoked on the portal's Invitations page (the link's
    token exists only in the e-mail); here they are read."""

    list_display = ["email", "role", "invited_by", "sent_at", "expires_at", "accepted_at"]
    list_filter = ["role"]
    search_fields = ["email"]
    readonly_fields = [f.name for f in Invitation._meta.fields if f.name != "id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
