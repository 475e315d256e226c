"""The API's call budget: a sliding window of two counters, whatever the rate."""

import threading
import uuid

import pytest
import redis
from django.core.cache import cache
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from roadmap_portal.api.throttling import ClientRateThrottle
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def _calls(user, clock, count):
    """``count`` calls of ``user`` at the clock's time: how many the budget let through."""
    request = APIView().initialize_request(APIRequestFactory().get("/api/v1/regions/"))
    request.user = user
    allowed = 0
    for _ in range(count):
        throttle = ClientRateThrottle()
        throttle.timer = clock
        allowed += throttle.allow_request(request, None)
    return allowed, throttle


@pytest.fixture
def budget(settings):
    cache.clear()
    settings.API_RATE_USER = "100/minute"
    yield
    cache.clear()


def _slides(user, clock):
    """A full window, then a quarter into the next one: the sliding window's answers."""
    assert _calls(user, clock, 120)[0] == 100
    # A quarter into the next window, three quarters of the 100 calls still count.
    clock.now += 75
    allowed, refused = _calls(user, clock, 40)
    assert allowed == 25
    # The previous window's calls slide out by 100 / 60 a second: after the shortest
    # Retry-After (1 s) two more calls are let through (100 * 44 / 60 + 25 = 98.3, then
    # 99.3), a third not (100.3).
    assert refused.wait() == 1
    clock.now += 1
    assert _calls(user, clock, 3)[0] == 2


def test_the_previous_window_counts_as_much_as_the_sliding_window_still_covers(budget):
    _slides(UserFactory(), Clock(6_000_000.0))  # from the start of a window


def test_a_refused_call_waits_for_the_next_window_when_this_one_is_full(budget):
    user, clock = UserFactory(), Clock(6_000_000.0 + 20)
    allowed, refused = _calls(user, clock, 101)
    assert allowed == 100
    # 40 s left in this window, then the 100 calls must slide out to under 100: at once.
    assert refused.wait() == pytest.approx(40)


def test_the_budget_keeps_three_numbers_however_many_calls(budget):
    user, clock = UserFactory(), Clock(6_000_000.0)
    _calls(user, clock, 60)
    assert cache.get(f"throttle:user:{user.pk}") == (100_000, 60, 0)
    clock.now += 61
    _calls(user, clock, 5)
    assert cache.get(f"throttle:user:{user.pk}") == (100_001, 5, 60)


@pytest.fixture
def redis_budget(settings):
    """The budget in Redis: the broker's server, under a key prefix of this test's own."""
    prefix = f"test-throttle-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.CELERY_BROKER_URL,
            "KEY_PREFIX": prefix,
        }
    }
    settings.API_RATE_USER = "100/minute"
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    yield client, prefix
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def test_the_budget_in_redis_slides_as_the_one_in_memory(redis_budget):
    client, prefix = redis_budget
    user = UserFactory()
    _slides(user, Clock(6_000_000.0))
    assert int(client.get(f"{prefix}:1:{{throttle:user:{user.pk}}}:100000")) == 100
    # Two counters, each kept for two windows.
    keys = sorted(key.decode() for key in client.scan_iter(f"{prefix}*"))
    assert [key.rsplit(":", 1)[1] for key in keys] == ["100000", "100001"]
    assert 0 < client.ttl(keys[1]) <= 120


def test_calls_made_at_the_same_moment_are_all_counted_in_redis(redis_budget):
    client, prefix = redis_budget
    user, clock = UserFactory(), Clock(6_000_000.0)
    allowed = []

    def worker():
        allowed.append(_calls(user, clock, 40)[0])

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 320 calls from 8 threads at once: exactly the budget let through, each one counted.
    assert sum(allowed) == 100
    assert int(client.get(f"{prefix}:1:{{throttle:user:{user.pk}}}:100000")) == 100
