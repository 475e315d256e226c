from .scope import scope_of


def portal(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"portal_role": None}
    scope = scope_of(user)
    return {
        "portal_role": scope.role,
        "portal_scope": scope,
        "unread_notifications": user.notifications.filter(read=False).count(),
    }
