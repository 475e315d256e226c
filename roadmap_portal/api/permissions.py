from rest_framework import permissions

from roadmap_portal.scope import scope_of


class RoleWritePermission(permissions.BasePermission):
    """Reads for every signed-in user (the queryset scopes them); writes for the view's
    ``write_roles`` (administrators always). A partner key may write only the resources
    named on it."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        scope = scope_of(request.user)
        api_key = getattr(request.user, "_api_key", None)
        if api_key is not None:
            return getattr(view, "basename", None) in (api_key.write_resources or [])
        return scope.is_admin or scope.role in getattr(view, "write_roles", ())
