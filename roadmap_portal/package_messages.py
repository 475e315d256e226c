"""Messages of installed packages that ship no Russian translation of their own.

Listed here, with ``gettext_noop``, so that ``makemessages`` keeps them in the project's
catalogue (it reads only the project's files) and ``tests/test_translations.py`` checks
them like every other message. Nothing imports this module.
"""

from django.utils.translation import gettext_noop

KNOX = [
    # knox.auth.TokenAuthentication, on an unknown or expired token.
    gettext_noop("Invalid token."),
]
