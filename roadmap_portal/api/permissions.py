from rest_framework import permissions

from roadmap_portal.scope import scope_of


def key_may_write(request, view):
    """A partner key writes only the resources named on it; other callers are not keys."""
    api_key = getattr(request.user, "_api_key", None)
    return api_key is None or getattr(view, "basename", None) in (api_key.write_resources or [])


class KeyWritePermission(permissions.BasePermission):
    """Writes by a partner key only to the resources the key names (checked before the body)."""

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or key_may_write(request, view)


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
        if getattr(request.user, "_api_key", None) is not None:
            return key_may_write(request, view)
        return scope.has_role(*getattr(view, "write_roles", ()))
