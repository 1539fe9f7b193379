"""System checks of our own configuration (registered from ``accounts.apps.AccountsConfig.ready``)."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

SHARED_CACHE_BACKENDS = (
    "django.core.cache.backends.redis.RedisCache",
    "django.core.cache.backends.memcached.PyMemcacheCache",
    "django.core.cache.backends.memcached.PyLibMCCache",
)


@checks.register(checks.Tags.caches, deploy=True)
def check_shared_cache(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    # Reads the settings only: it must not need Redis to be up (check --deploy runs before the services may).
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if settings.DEBUG or backend in SHARED_CACHE_BACKENDS:
        return []
    return [checks.Warning(
        "Per-process memory cache: the API rate limit and the password-reset throttling do not hold across processes.",
        hint="Set CACHE_URL to a Redis URL, e.g. redis://redis:6379/1 (README, Configuration).",
        id="cs_platform.W001",
    )]


@checks.register(checks.Tags.database, deploy=True)
def check_separate_owner_role(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    # Reads the settings only, like the check above. Row-level security binds the app role; a role that
    # owns the tables can ALTER them to turn it off (README "Database roles").
    database = settings.DATABASES.get("default", {})
    owner = (database.get("OWNER") or {}).get("USER")
    if settings.DEBUG or (owner and owner != database.get("USER")):
        return []
    return [checks.Warning(
        "The application connects as the role that owns the schema: row-level security (tenancy rule 8) could "
        "be turned off by any statement it sends.",
        hint="Set DATABASE_URL to a role that owns nothing and DATABASE_OWNER_URL to the owner (README, "
             "Database roles).",
        id="cs_platform.W002",
    )]
