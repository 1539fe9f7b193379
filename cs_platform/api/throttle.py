"""Per-API-key rate limit (API.md: 429 with ``Retry-After``).

A fixed-window counter in the cache: one ``INCR`` per request, whatever the limit. DRF's own
``SimpleRateThrottle`` keeps a list of every request time per key in the cache and rewrites it on each
request, which at ingestion rates (thousands of requests a minute) costs more than the request itself.
The cache is Django's default cache: per process unless ``CACHE_URL`` points at Redis, which is what a
multi-process deployment should do for the limit to hold across processes.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from accounts.models import ApiKey

WINDOWS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"12000/min"`` -> (12000, 60)."""
    count, _, period = rate.partition("/")
    if not count.strip().isdigit() or period.strip() not in WINDOWS:
        raise ValueError(f"API_RATE_LIMIT must look like 12000/min, got {rate!r}")
    return int(count), WINDOWS[period.strip()]


class ApiKeyRateThrottle(BaseThrottle):
    def allow_request(self, request: Request, view) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return True  # unauthenticated requests are refused before throttling matters
        limit, window = parse_rate(settings.API_RATE_LIMIT)
        now = time.time()
        cache_key = f"api-rate:{api_key.pk}:{int(now // window)}"
        cache.add(cache_key, 0, timeout=window + 1)
        try:
            count = cache.incr(cache_key)
        except ValueError:  # the window's key expired between add and incr
            cache.set(cache_key, 1, timeout=window + 1)
            count = 1
        self.retry_after = window - (now % window)
        return count <= limit

    def wait(self) -> float:
        return self.retry_after
