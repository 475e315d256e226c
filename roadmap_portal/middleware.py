from django.utils import translation


class UserLanguageMiddleware:
    """A signed-in user's saved language wins over the browser's, unless the session chose one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.COOKIES.get("django_language")
            and hasattr(user, "profile")
        ):
            translation.activate(user.profile.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
