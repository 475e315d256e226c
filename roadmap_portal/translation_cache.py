"""Messages translated once per language, for code that writes the same reasons thousands
of times (tender eligibility over every supplier-tender pair).

``cached_gettext`` answers in the language of the ``fixed_language()`` block under way (read
once when the block opens), else in the active one. Modules import it as ``_`` so that
``makemessages`` still finds their messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import TypeVar

from django.utils.translation import get_language, gettext, override

T = TypeVar("T")

_language: ContextVar[str | None] = ContextVar("cached_gettext_language", default=None)


def current_language() -> str | None:
    """The language of the ``fixed_language()`` block under way, else the active one."""
    return _language.get() or get_language()


@contextmanager
def fixed_language() -> Iterator[None]:
    """Within the block, cached messages are read in the language active when it opened."""
    token = _language.set(get_language())
    try:
        yield
    finally:
        _language.reset(token)


@lru_cache(maxsize=512)
def _translated(message: str, language: str | None) -> str:
    return gettext(message)


def cached_gettext(message: str) -> str:
    """``gettext(message)``, computed once per message and language."""
    return _translated(message, current_language())


def in_language(make: Callable[[], T], language: str | None) -> T:
    """``make()`` in ``language``: for a message worded later than the block that decided
    it (a reason read only when shown), in the language that block read."""
    token = _language.set(language)
    try:
        if language is None or get_language() == language:
            return make()
        with override(language):
            return make()
    finally:
        _language.reset(token)
