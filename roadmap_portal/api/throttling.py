import logging
import time

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
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
    calls a second); this keeps three numbers, read and written once a call.
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
        try:
            state = self.cache.get(self.key)
        except CACHE_ERRORS as error:
            self.cache = budget.failed(error)
            state = self.cache.get(self.key)
        self.now = self.timer()
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
