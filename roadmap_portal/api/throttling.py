from rest_framework.throttling import SimpleRateThrottle


class ClientRateThrottle(SimpleRateThrottle):
    """One budget per partner key, per signed-in user, or per address for anonymous calls.

    Rates come from settings (``API_RATE_KEY``, ``API_RATE_USER``, ``API_RATE_ANON``).
    A refused call answers 429 with ``Retry-After``.
    """

    def get_rate(self):
        return None  # chosen per request in allow_request

    def allow_request(self, request, view):
        from django.conf import settings

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
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.throttle_failure()
        return self.throttle_success()

    def get_cache_key(self, request, view):
        return self.key
