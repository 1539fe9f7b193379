"""``manage.py create_tenant``: a tenant and its first admin (API.md "Basics")."""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import Tenant
from accounts.services.tenants import create_tenant


class Command(BaseCommand):
    help = "Create a tenant and its first admin (who sets a password through the password-reset mail)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True, help="URL name of the tenant: /t/<slug>/")
        parser.add_argument("--name", required=True, help="display name")
        parser.add_argument("--admin-email", required=True, help="email of the first admin (created if new)")
        parser.add_argument("--timezone", default="UTC", help="IANA time zone, e.g. Europe/Berlin (default UTC)")
        parser.add_argument("--fiscal-year-start-month", type=int, default=1, choices=range(1, 13),
                            metavar="1-12", help="month the fiscal year starts in (default 1)")

    def handle(self, *args, slug: str, name: str, admin_email: str, timezone: str,
               fiscal_year_start_month: int, **options) -> None:
        # Checked up front so that each mistake gets its own plain message instead of a model dump.
        if Tenant.objects.filter(slug=slug).exists():
            raise CommandError(f"a tenant with slug {slug!r} already exists")
        if timezone not in zoneinfo.available_timezones():
            raise CommandError(f"unknown time zone {timezone!r} (use an IANA name such as Europe/Berlin)")
        try:
            with transaction.atomic():
                tenant = create_tenant(slug=slug, name=name, admin_email=admin_email,
                                                timezone_name=timezone)
                if fiscal_year_start_month != tenant.fiscal_year_start_month:
                    tenant.fiscal_year_start_month = fiscal_year_start_month
                    tenant.save(update_fields=["fiscal_year_start_month"])
        except ValidationError as exc:
            details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
            raise CommandError(f"invalid tenant: {details}") from None
        except ValueError as exc:  # e.g. an admin email that create_user rejects
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(
            f"Created tenant {tenant.slug!r} ({tenant.name}, time zone {tenant.timezone}, "
            f"fiscal year starts in month {tenant.fiscal_year_start_month}) with admin {admin_email.lower()}."
        ))
        self.stdout.write("The admin has no password yet: they set one through 'Forgot password' on the login page.")
