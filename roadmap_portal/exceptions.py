"""Errors that services raise and both the UI and the API turn into answers for people."""

from django.utils.translation import gettext_lazy as _


class TransitionNotAllowed(Exception):
    """The object's current state does not allow the action (HTTP 409)."""

    default_message = _("This action is not allowed in the current state.")

    def __init__(self, message=None, *, current=None):
        self.message = message or self.default_message
        self.current = current
        super().__init__(str(self.message))


class RoleNotAllowed(Exception):
    """The user's role may not do this (HTTP 403)."""

    def __init__(self, message=None):
        self.message = message or _("Your role does not allow this action.")
        super().__init__(str(self.message))
