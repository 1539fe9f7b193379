"""``manage.py create_default_sla --tenant S``: the premium default SLA policy, "Premium: first response
within 1 hour" (account tier ``premium``, any priority, calendar time). Idempotent."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.selectors import tenant_by_slug
from accounts.tenancy import tenant_scope
from support.sla.services import create_default_sla


class Command(BaseCommand):
    help = 'Create the SLA policy "Premium: first response within 1 hour" for a tenant (if missing).'

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="tenant slug")

    def handle(self, *args, tenant: str, **options) -> None:
        found = tenant_by_slug(slug=tenant)
        if found is None:
            raise CommandError(f"no tenant with slug {tenant!r}")
        with tenant_scope(found):
            policy, created = create_default_sla(tenant=found)
        verb = "Created" if created else "Already present:"
        self.stdout.write(f"{verb} SLA policy {policy.name!r} for tenant {found.slug!r}")
