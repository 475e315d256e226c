"""Hourly counts for the forms that send e-mail to an address anyone can type (password
reset, supplier registration): the cache counts the uses of a value within an hour."""

import hashlib

from django.core.cache import cache


def count_this_hour(kind: str, value: str) -> int:
    """One more use of ``value`` for ``kind`` (e.g. an address asking for a password reset):
    the uses within the hour since the first. The value is kept only as a hash."""
    key = f"{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"
    cache.add(key, 0, timeout=3600)
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout=3600)
        return 1
