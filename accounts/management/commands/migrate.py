"""``manage.py migrate``, run as the schema's owner, then the application role's grants.

The application connects as a role that owns nothing and cannot bypass row-level security (DESIGN.md
tenancy rule 8, README "Configuration"); schema changes need the owner, so this command reconnects as
``DATABASE_OWNER_URL``'s role for its run (``cs_platform.db.base.DatabaseWrapper.as_owner``) and, once the
migrations are applied, grants the application role what it needs on every table, sequence and partition
function, now and for the tables the owner creates later (``cs_platform.db.rls.grant_app_role``).
With one role for both (a single-role ``DATABASE_URL``) there is nothing to switch and nothing to grant.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

from cs_platform.db.rls import grant_app_role


class Command(DjangoMigrate):
    def handle(self, *args, **options):
        connection = connections[options["database"]]
        as_owner = getattr(connection, "as_owner", None)
        if as_owner is None:  # another backend (no row-level security to manage)
            return super().handle(*args, **options)
        app_role = connection.app_user
        with as_owner():
            result = super().handle(*args, **options)
            if app_role and app_role != connection.owner_user:
                with connection.cursor() as cursor:
                    grant_app_role(cursor, app_role, truncate=settings.DATABASE_APP_MAY_TRUNCATE)
        return result
