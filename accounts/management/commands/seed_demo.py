"""``manage.py seed_demo``: the two demo tenants of README "Demo", idempotently."""

from __future__ import annotations

import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from accounts import demo_data


class Command(BaseCommand):
    help = (f"Create or refresh the demo tenants ({', '.join(t.slug for t in demo_data.DEMO_TENANTS)}) with "
            f"staff, accounts, contacts, product usage and a support desk. "
            f"Login: {demo_data.DEMO_EMAIL} / {demo_data.DEMO_PASSWORD}.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", type=int, default=60, help="accounts per tenant (default 60)")
        parser.add_argument("--contacts-per-account", type=int, default=6, help="contacts per account (default 6)")
        parser.add_argument("--events-per-tenant", type=int, default=40_000,
                            help="usage events per tenant over the last 120 days (default 40000)")
        parser.add_argument("--tickets-per-tenant", type=int, default=150,
                            help="support tickets per tenant over the last 90 days (default 150)")
        parser.add_argument("--reset", action="store_true",
                            help="delete the demo tenants and everything they own first")
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None,
                            help="date the demo contracts are placed around, YYYY-MM-DD (default: today)")

    def handle(self, *args, accounts: int, contacts_per_account: int, events_per_tenant: int,
               tickets_per_tenant: int, reset: bool, today: dt.date | None, **options) -> None:
        if min(accounts, contacts_per_account, events_per_tenant, tickets_per_tenant) < 0:
            raise CommandError("--accounts, --contacts-per-account, --events-per-tenant and --tickets-per-tenant "
                               "must not be negative")
        if reset:
            deleted = demo_data.reset_demo_tenants()
            self.stdout.write(f"Reset: deleted {deleted} rows of the demo tenants.")
        today = today or dt.date.today()
        specs = demo_data.DEMO_TENANTS
        events = events_per_tenant if accounts else 0
        total = len(specs) * (accounts + accounts * contacts_per_account + events + tickets_per_tenant)
        verbosity = options.get("verbosity", 1)
        with tqdm(total=total, desc="seed_demo", unit="row", file=sys.stderr, disable=verbosity == 0,
                  dynamic_ncols=True) as bar:
            summaries = [
                demo_data.seed_tenant(spec, accounts=accounts, contacts_per_account=contacts_per_account,
                                      today=today, events=events, tickets=tickets_per_tenant,
                                      progress=bar.update)
                for spec in specs
            ]
        for s in summaries:
            self.stdout.write(
                f"{s.tenant.slug} ({s.tenant.name}): {s.staff} staff; accounts {s.accounts['created']} created, "
                f"{s.accounts['updated']} updated, {s.accounts['duplicates']} unchanged; contacts "
                f"{s.contacts['created']} created, {s.contacts['updated']} updated, "
                f"{s.contacts['duplicates']} unchanged; usage events {s.events.accepted} new, "
                f"{s.events.duplicates} already there; tickets {s.support.tickets_created} created, "
                f"{s.support.tickets_unchanged} unchanged ({s.support.interactions_created} new interactions, "
                f"{s.support.callbacks_created} new callbacks, {s.support.sessions_created} new agent sessions, "
                f"{s.support.costs_created} new support cost entries, {s.support.reviews_created} new QA reviews)."
            )
        self.stdout.write(self.style.SUCCESS(
            f"Demo ready. Log in as {demo_data.DEMO_EMAIL} / {demo_data.DEMO_PASSWORD} (admin of both tenants)."
        ))
