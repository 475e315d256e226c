from .scope import portal_flags, scope_of


def portal(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"portal_role": None, "portal_can": portal_flags(None)}
    scope = scope_of(user)
    return {
        "portal_role": scope.role,
        "portal_can": portal_flags(user),
        "portal_scope": scope,
        "unread_notifications": user.notifications.filter(read=False).count(),
    }
