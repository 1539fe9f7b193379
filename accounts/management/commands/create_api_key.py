"""``manage.py create_api_key``: a new API key for one tenant.

The raw key is shown once and only its hash is stored. It is the only thing printed on stdout (the notice
around it goes to stderr), so ``KEY=$(.venv/bin/python manage.py create_api_key ...)`` captures exactly the
key, and a failure leaves its message on the terminal and a non-zero status instead of an empty ``KEY``
that looks like success (``... | tail -1`` gives the same key).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Tenant
from accounts.models.tenants import ApiScope
from accounts.services.tenants import create_api_key
from accounts.tenancy import tenant_scope


class Command(BaseCommand):
    help = "Create an API key for a tenant; prints the raw key (once), alone on stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="tenant slug")
        parser.add_argument("--scopes", required=True,
                            help=f"comma-separated subset of {','.join(ApiScope.values)}")
        parser.add_argument("--name", default="", help="label shown in the key list (default: the scopes)")

    def handle(self, *args, tenant: str, scopes: str, name: str, **options) -> None:
        wanted = [s.strip().lower() for s in scopes.split(",") if s.strip()]
        unknown = sorted(set(wanted) - set(ApiScope.values))
        if unknown or not wanted:
            raise CommandError(
                f"--scopes must be a non-empty, comma-separated subset of {','.join(ApiScope.values)}"
                + (f"; unknown: {','.join(unknown)}" if unknown else "")
            )
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"no tenant with slug {tenant!r}")
        with tenant_scope(found):
            key, raw = create_api_key(tenant=found, name=name or f"cli: {','.join(sorted(set(wanted)))}",
                                               scopes=wanted)
        self.stderr.write(f"Created API key {key.name!r} (prefix {key.prefix}) for tenant {found.slug!r} "
                          f"with scopes {','.join(key.scopes)}. It is shown only now; store it safely:",
                          style_func=str)  # a notice, not an error: stderr only to keep stdout the key alone
        self.stdout.write(raw)
