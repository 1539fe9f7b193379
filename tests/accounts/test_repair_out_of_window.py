"""``manage.py repair_out_of_window``: rows stored outside cs_platform.bounds' window before the bounds fix
are reported (dry run, the default) and repaired with ``--apply`` (nullable -> NULL, required -> clamped
to the nearest edge), per tenant in its scope; the inbox, ticket, callback and account pages answer 200 after
(they answered 500 on such rows before the bounds fix hardened their reads)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import CustomerAccount, Tenant
from accounts.services.repairs import window_columns
from cs_platform import bounds
from support.models import Callback, Ticket
from tests.objectworld import one_of_each

pytestmark = pytest.mark.django_db

FAR_FUTURE = dt.datetime(9999, 12, 31, 20, 0, tzinfo=dt.UTC)  # year 10000 in a +14:00 zone
FAR_PAST = dt.datetime(1, 1, 1, 6, 0, tzinfo=dt.UTC)  # year 0 in a -12:00 zone


def run(*args: str) -> str:
    out, err = StringIO(), StringIO()
    call_command("repair_out_of_window", *args, stdout=out, stderr=err)
    return out.getvalue()


@pytest.fixture
def broken(worlds):
    """Tenant A in the +14:00 zone with a ticket created in year 9999 (required column), a resolution
    due in year 1 (nullable), a callback due in year 9999 (required) and an account renewing in 9999
    (nullable date); tenant B with one bad ticket only."""
    a, b = worlds
    Tenant.objects.filter(pk=a.tenant.pk).update(timezone="Pacific/Kiritimati")
    a.tenant.refresh_from_db()
    objects = one_of_each(a, "broken")
    b_objects = one_of_each(b, "bravo")
    with a.scope():
        Ticket.objects.filter(pk=objects["ticket"].pk).update(created_at=FAR_FUTURE, resolution_due_at=FAR_PAST)
        Callback.objects.filter(pk=objects["callback"].pk).update(due_at=FAR_FUTURE)
        CustomerAccount.objects.filter(pk=a.accounts[0].pk).update(renewal_date=dt.date(9999, 12, 31))
    with b.scope():
        Ticket.objects.filter(pk=b_objects["ticket"].pk).update(first_response_at=FAR_FUTURE)
    return a, b, objects, b_objects


def test_columns_come_from_every_tenant_owned_model():
    labels = {c.label for c in window_columns()}
    assert {"support_ticket.created_at", "support_ticket.resolution_due_at", "support_callback.due_at",
            "accounts_customeraccount.renewal_date", "support_interaction.handle_seconds"} <= labels
    assert not any(c.model._meta.label == "accounts.Tenant" for c in window_columns())


def test_dry_run_reports_per_tenant_table_and_column_and_changes_nothing(broken):
    a, b, objects, b_objects = broken
    out = run()
    t, cb = objects["ticket"].pk, objects["callback"].pk
    assert f"alpha support_ticket.created_at: 1 outside (0 before, 1 after; ids {t})" in out
    assert f"alpha support_ticket.resolution_due_at: 1 outside (1 before, 0 after; ids {t})" in out
    assert f"alpha support_callback.due_at: 1 outside (0 before, 1 after; ids {cb})" in out
    assert f"alpha accounts_customeraccount.renewal_date: 1 outside (0 before, 1 after; ids {a.accounts[0].pk})" in out
    assert f"bravo support_ticket.first_response_at: 1 outside (0 before, 1 after; ids {b_objects['ticket'].pk})" in out
    assert "5 value(s) outside the window (dry run" in out
    with a.scope():
        assert Ticket.objects.get(pk=t).created_at == FAR_FUTURE
    assert "alpha" not in run("--tenant", "bravo")


def test_apply_nulls_nullable_and_clamps_required_values_and_pages_work_again(broken):
    a, b, objects, b_objects = broken
    client = a.client_for(a.admin)
    ticket_url = reverse("ticket-detail", args=[a.tenant.slug, objects["ticket"].pk])
    pages = [reverse("inbox", args=[a.tenant.slug]), ticket_url, reverse("callback-queue", args=[a.tenant.slug]),
             reverse("account-list", args=[a.tenant.slug])]

    out = run("--apply")
    assert "support_ticket.created_at: 1 outside (0 before, 1 after" in out and "clamped to" in out
    assert "support_ticket.resolution_due_at: 1 outside (1 before, 0 after" in out and "set to NULL" in out
    assert "5 value(s) repaired." in out
    with a.scope():
        ticket = Ticket.objects.get(pk=objects["ticket"].pk)
        callback = Callback.objects.get(pk=objects["callback"].pk)
        account = CustomerAccount.objects.get(pk=a.accounts[0].pk)
    assert ticket.resolution_due_at is None and account.renewal_date is None
    for moment in (ticket.created_at, callback.due_at):  # the upper edge: now + 3653 days
        assert bounds.time_error(moment, now=moment - bounds.AHEAD) is None
        assert abs(moment - (dt.datetime.now(dt.UTC) + bounds.AHEAD)) < dt.timedelta(minutes=5)
    with b.scope():
        assert Ticket.objects.get(pk=b_objects["ticket"].pk).first_response_at is None
    for url in pages:
        assert client.get(url).status_code == 200, url
    assert "0 value(s) outside" in run()


def test_required_value_before_the_window_is_raised_to_its_start(world_a):
    a = world_a
    objects = one_of_each(a, "early")
    with a.scope():
        Ticket.objects.filter(pk=objects["ticket"].pk).update(created_at=FAR_PAST)
    run("--apply")
    with a.scope():
        assert Ticket.objects.get(pk=objects["ticket"].pk).created_at == bounds.EARLIEST


def test_unknown_tenant_is_an_error(db):
    with pytest.raises(CommandError, match="no tenant"):
        run("--tenant", "nope")
