import logging
import time

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.commands.core import Script
from redis.exceptions import RedisError
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)

# What a cache that cannot be reached raises (redis-py's errors, or the socket's own).
CACHE_ERRORS = (RedisError, OSError)


class _SharedBudget:
    """Where the budgets live: the shared cache, or this process's memory while the shared
    cache fails. After an error the shared cache is left alone for ``REDIS_RETRY_AFTER``
    seconds, so a stopped or frozen Redis costs one timeout per interval, not one per
    request; one warning is logged per interval."""

    def __init__(self) -> None:
        self.local = LocMemCache("throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})
        self.down_until = 0.0

    def cache(self, shared):
        return self.local if time.monotonic() < self.down_until else shared

    def failed(self, error: Exception) -> LocMemCache:
        if time.monotonic() >= self.down_until:
            logger.warning(
                "Throttling counts per process: the shared cache failed (%s)",
                error.__class__.__name__,
            )
        self.down_until = time.monotonic() + settings.REDIS_RETRY_AFTER
        return self.local


budget = _SharedBudget()


class ClientRateThrottle(SimpleRateThrottle):
    """One budget per partner key, per signed-in user, or per address for anonymous calls.

    Rates come from settings (``API_RATE_KEY``, ``API_RATE_USER``, ``API_RATE_ANON``).
    A refused call answers 429 with ``Retry-After``. Without the shared cache (Redis down
    or frozen) each process keeps its own budget of the same rate: calls go on.

    The budget is a sliding window kept as two counters: the calls of the current window
    (``duration`` long) and of the one before, which counts in proportion to how much of it
    the sliding window still covers. DRF's own throttle keeps the time of every call in the
    window and reads and writes the whole list on each request (60,000 entries at 1,000
    calls a second); this keeps three numbers, read and written once a call. In Redis the
    two windows are two counters that one script checks and increments, in one round trip
    and without losing calls made at the same moment by other workers.
    """

    def get_rate(self):
        return None  # chosen per request in allow_request

    def allow_request(self, request, view):
        user = request.user
        api_key = getattr(user, "_api_key", None)
        if api_key is not None:
            self.rate, ident = settings.API_RATE_KEY, f"key:{api_key.pk}"
        elif user and user.is_authenticated:
            self.rate, ident = settings.API_RATE_USER, f"user:{user.pk}"
        else:
            self.rate, ident = settings.API_RATE_ANON, f"anon:{self.get_ident(request)}"
        if not self.rate:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = f"throttle:{ident}"
        self.cache = budget.cache(type(self).cache)
        self.now = self.timer()
        if isinstance(_backend(self.cache), RedisCache):
            try:
                return self._count_in_redis()
            except CACHE_ERRORS as error:
                self.cache = budget.failed(error)
        try:
            state = self.cache.get(self.key)
        except CACHE_ERRORS as error:
            self.cache = budget.failed(error)
            state = self.cache.get(self.key)
        window = int(self.now // self.duration)
        current = previous = 0
        if isinstance(state, tuple) and len(state) == 3:
            if state[0] == window:
                _window, current, previous = state
            elif state[0] == window - 1:
                previous = state[1]
        self.elapsed = self.now - window * self.duration
        self.current, self.previous = current, previous
        if self.estimate(self.elapsed) >= self.num_requests:
            return self.throttle_failure()
        try:
            self.cache.set(self.key, (window, current + 1, previous), 2 * self.duration)
        except CACHE_ERRORS as error:
            self.cache = budget.failed(error)
            self.cache.set(self.key, (window, current + 1, previous), 2 * self.duration)
        return True

    def _count_in_redis(self):
        """The call checked and counted by Redis itself, in one round trip: each window's
        count is a key of its own, read and incremented by one script, so calls made at the
        same moment by several workers are all counted (a read then a write could count two
        of them as one)."""
        window = int(self.now // self.duration)
        self.elapsed = self.now - window * self.duration
        cache = _backend(self.cache)
        # Both counters in one hash slot (``{...}``), should the Redis be a cluster.
        keys = [cache.make_and_validate_key(f"{{{self.key}}}:{w}") for w in (window, window - 1)]
        allowed, self.current, self.previous = _COUNT(
            keys=keys,
            args=[1 - self.elapsed / self.duration, self.num_requests, 2 * self.duration],
            client=cache._cache.get_client(keys[0], write=True),
        )
        return True if allowed else self.throttle_failure()

    def estimate(self, elapsed):
        """Calls in the sliding window ending ``elapsed`` seconds into the current one."""
        return self.previous * (1 - elapsed / self.duration) + self.current

    def wait(self):
        """Seconds until the sliding window holds fewer calls than the budget."""
        limit, duration = self.num_requests, self.duration
        if self.current < limit and self.previous:
            # Within this window, as the previous one slides out.
            return max(duration * (1 - (limit - self.current) / self.previous) - self.elapsed, 1)
        if not self.current:
            return max(duration - self.elapsed, 1)
        # After this window, which then counts as the previous one.
        return max(duration - self.elapsed + duration * (1 - limit / self.current), 1)


def _backend(cache):
    """The cache backend itself (Django's ``cache`` is a proxy to the default one)."""
    return caches[DEFAULT_CACHE_ALIAS] if cache is default_cache else cache


# The sliding window's check and count in Redis (``ClientRateThrottle._count_in_redis``):
# KEYS the current and the previous window's counters; ARGV the share of the previous
# window the sliding window still covers, the budget, and the counters' lifetime.
# Answers (counted or not, the current window's calls before this one, the previous's).
_COUNT = Script(
    None,  # no client of its own: each call names one (the text is bytes, encoded already)
    b"""
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
if previous * tonumber(ARGV[1]) + current >= tonumber(ARGV[2]) then
  return {0, current, previous}
end
redis.call('INCR', KEYS[1])
if current == 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
end
return {1, current, previous}
""",
)
