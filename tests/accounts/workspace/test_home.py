"""The role-aware home ``/t/<slug>/``: a CSM's own accounts with the registered columns, an agent's queue and
SLA warnings, the portfolio of managers, admins and viewers; definitions shown, queries bounded per role."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import LifecycleStage, Role
from accounts.selectors import tenant_today
from accounts.worklist.services import create_task
from accounts.workspace import registry
from health.scores.models import HealthScore
from health.scores.services import ensure_default_scorecard
from support.models import Agent, Ticket
from tests.factories import AccountFactory, MembershipFactory, UserFactory
from tests.support.desk_helpers import add_interaction, ago, count_queries, make_ticket

pytestmark = pytest.mark.django_db


def home(world, membership, **headers):
    response = world.client_for(membership).get(reverse("tenant-home", args=[world.tenant.slug]), headers=headers)
    assert response.status_code == 200
    return response


def section_keys(response) -> list[str]:
    return [s.key for s in response.context["sections"]]


@pytest.fixture
def people(world_a):
    a = world_a
    with a.scope():
        manager = MembershipFactory(tenant=a.tenant, user=UserFactory(username="manager@alpha.test"), role=Role.MANAGER)
        agent = MembershipFactory(tenant=a.tenant, user=UserFactory(username="agent@alpha.test",
                                                                    email="agent@alpha.test"), role=Role.AGENT)
        Agent.objects.create(tenant=a.tenant, email="agent@alpha.test", name="Ana Agent", user=agent.user)
        Agent.objects.create(tenant=a.tenant, email="bob@alpha.test", name="Bob Agent")
    return {"manager": manager, "agent": agent}


def test_each_role_gets_its_sections(world_a, people):
    a = world_a
    assert section_keys(home(a, a.csm)) == ["my-accounts", "my-tasks"]
    assert section_keys(home(a, people["agent"])) == ["queue", "sla-warnings"]
    portfolio = ["arr-by-stage", "renewals", "tickets-by-sla"]
    assert section_keys(home(a, people["manager"])) == portfolio
    assert section_keys(home(a, a.admin)) == portfolio
    assert section_keys(home(a, a.viewer)) == portfolio  # read-only: figures, no actions


def test_login_lands_on_the_home(world_a):
    a = world_a
    client = a.client_for(a.csm)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("tenant-home", args=[a.tenant.slug])


def test_csm_sees_exactly_their_accounts_with_tickets_and_activity(worlds):
    a, b = worlds
    today = tenant_today(a.tenant)
    with a.scope():
        other = MembershipFactory(tenant=a.tenant, user=UserFactory(username="csm2@alpha.test"), role=Role.CSM)
        AccountFactory(tenant=a.tenant, name="Not mine", owner_csm=other.user)
        acme0, acme1, acme2 = a.accounts
        for account, days in ((acme0, 40), (acme1, 5), (acme2, None)):
            account.renewal_date = today + dt.timedelta(days=days) if days is not None else None
            account.save()
        open_ticket = make_ticket(a.tenant, "T-1", contact="user-0", subject="Open one")
        make_ticket(a.tenant, "T-2", contact="user-0", subject="Open two")
        done = make_ticket(a.tenant, "T-3", contact="user-1", subject="Done")
        from support.records.data import StatusData
        from support.records.services.tickets import change_status

        change_status(tenant=a.tenant, ticket=done, data=StatusData(status="closed"))
        add_interaction(a.tenant, open_ticket, "i-1", started_at=ago(90))
        add_interaction(a.tenant, open_ticket, "i-2", started_at=ago(30))
    with b.scope():
        AccountFactory(tenant=b.tenant, name="Bravo secret", owner_csm=a.csm.user)  # a user of A owns nothing in B

    response = home(a, a.csm)
    body = response.content.decode()
    mine = response.context["sections"][0].data["mine"]
    # Soonest renewal first, no renewal date last.
    assert [r.account.name for r in mine.rows] == ["Acme 1", "Acme 0", "Acme 2"]
    assert mine.total == 3
    assert "Not mine" not in body and "Bravo secret" not in body
    labels = [c.label for c in mine.columns]
    assert labels == ["Health", "Open tickets", "Open tasks", "Last ticket activity", "Contact last seen"]
    cells = {r.account.name: {c.label: cell.value for c, cell in zip(mine.columns, r.cells, strict=True)}
             for r in mine.rows}
    assert cells["Acme 0"]["Open tickets"] == 2
    assert cells["Acme 1"]["Open tickets"] == 0  # its only ticket is closed
    assert abs(cells["Acme 0"]["Last ticket activity"] - ago(30)) < dt.timedelta(minutes=1)
    assert cells["Acme 2"]["Last ticket activity"] is None
    # Every figure carries its definition.
    for column in mine.columns:
        assert escape(column.definition) in body
    assert "Accounts whose owner CSM is you" in body


def test_csm_home_has_no_slot_filled_with_made_up_values(world_a):
    """Health band and open tasks are registered columns (health, accounts.worklist): an account without a
    score shows a dash, never a made-up band; an account with one shows band, score and confidence."""
    a = world_a
    keys = [c.key for c in registry.columns_for(registry.HOME_ACCOUNTS)]
    assert keys == ["health", "open-tickets", "open-tasks", "last-ticket-activity", "last-seen"]
    mine = home(a, a.csm).context["sections"][0].data["mine"]
    health = {r.account.name: r.cells[0].value for r in mine.rows}
    assert health == {"Acme 0": None, "Acme 1": None, "Acme 2": None}
    with a.scope():
        version = ensure_default_scorecard(tenant=a.tenant).current_version
        HealthScore.objects.create(account=a.accounts[1], day=tenant_today(a.tenant), version=version, score=72.4,
                                   band="green", confidence=0.85, computed_at=timezone.now())
        HealthScore.objects.create(account=a.accounts[1], day=tenant_today(a.tenant) - dt.timedelta(days=1),
                                   version=version, score=20, band="red", confidence=1, computed_at=timezone.now())
        create_task(tenant=a.tenant, account=a.accounts[1], title="Call", due_on=tenant_today(a.tenant), by=None)
    body = home(a, a.csm).content.decode()
    assert "green 72 (confidence 85%)" in body and "red 20" not in body  # the latest row only
    mine = home(a, a.csm).context["sections"][0].data["mine"]
    tasks = {r.account.name: r.cells[2].value for r in mine.rows}
    assert tasks == {"Acme 0": 0, "Acme 1": 1, "Acme 2": 0}


def test_agent_queue_and_sla_warnings(world_a, people):
    a = world_a
    now = timezone.now()
    with a.scope():
        mine_breached = make_ticket(a.tenant, "T-b", subject="Breached one", assignee="agent@alpha.test")
        mine_soon = make_ticket(a.tenant, "T-s", subject="Soon one", assignee="agent@alpha.test")
        make_ticket(a.tenant, "T-ok", subject="Calm one", assignee="agent@alpha.test")
        make_ticket(a.tenant, "T-bob", subject="Bobs one", assignee="bob@alpha.test")
        done = make_ticket(a.tenant, "T-done", subject="Finished one", assignee="agent@alpha.test")
        from support.records.data import StatusData
        from support.records.services.tickets import change_status

        change_status(tenant=a.tenant, ticket=done, data=StatusData(status="resolved"))
        # The SLA engine fills these columns; here they are set directly (warning window: 15 minutes).
        Ticket.objects.filter(pk=mine_breached.pk).update(first_response_due_at=now - dt.timedelta(minutes=5))
        Ticket.objects.filter(pk=mine_soon.pk).update(first_response_due_at=now + dt.timedelta(minutes=10))
        Ticket.objects.filter(external_id="T-bob").update(first_response_due_at=now - dt.timedelta(minutes=5))
    response = home(a, people["agent"])
    queue, warnings = (s.data for s in response.context["sections"])
    assert queue["queue"].total == 3
    assert sorted(t.external_id for t in queue["queue"].tickets) == ["T-b", "T-ok", "T-s"]
    assert [t.external_id for t in warnings["tickets"]] == ["T-b", "T-s"]  # earliest due first; Bob's left out
    body = response.content.decode()
    assert "Bobs one" not in body and "Finished one" not in body
    assert reverse("inbox", args=[a.tenant.slug]) + "?assignee=me" in body
    assert "warning window" in body  # the SLA state's definition


def test_agent_without_an_agent_record_is_told_so(world_a):
    a = world_a
    with a.scope():
        member = MembershipFactory(tenant=a.tenant, user=UserFactory(username="new-agent@alpha.test"), role=Role.AGENT)
    assert "no agent record" in home(a, member).content.decode()


def test_portfolio_figures(world_a, people):
    a = world_a
    today = tenant_today(a.tenant)
    now = timezone.now()
    with a.scope():
        for account, arr, stage in zip(a.accounts, (100, 250, 40), (LifecycleStage.ADOPTION, LifecycleStage.ADOPTION,
                                                                   LifecycleStage.RENEWAL), strict=True):
            account.arr, account.lifecycle_stage, account.renewal_date = Decimal(arr), stage, None
            account.save()
        AccountFactory(tenant=a.tenant, name="Gone", arr=Decimal(999), lifecycle_stage=LifecycleStage.CHURNED,
                       renewal_date=today + dt.timedelta(days=10))
        AccountFactory(tenant=a.tenant, name="Day 90", arr=Decimal(7), renewal_date=today + dt.timedelta(days=90))
        AccountFactory(tenant=a.tenant, name="Day 91", arr=Decimal(5), renewal_date=today + dt.timedelta(days=91))
        AccountFactory(tenant=a.tenant, name="Today", arr=Decimal(3), renewal_date=today)
        AccountFactory(tenant=a.tenant, name="Yesterday", arr=Decimal(2), renewal_date=today - dt.timedelta(days=1))
        late = make_ticket(a.tenant, "T-late")
        make_ticket(a.tenant, "T-none")
        Ticket.objects.filter(pk=late.pk).update(first_response_due_at=now - dt.timedelta(minutes=1))
    data = {s.key: s.data for s in home(a, people["manager"]).context["sections"]}
    stages = {r.stage: (r.accounts, r.arr) for r in data["arr-by-stage"]["stages"].rows}
    assert stages[LifecycleStage.ADOPTION] == (2, Decimal(350))
    assert stages[LifecycleStage.RENEWAL] == (1, Decimal(40))
    assert stages[LifecycleStage.CHURNED] == (1, Decimal(999))
    assert stages[LifecycleStage.MATURE] == (0, Decimal(0))
    assert data["arr-by-stage"]["stages"].total_arr == Decimal(350 + 40 + 7 + 5 + 3 + 2)  # churned left out
    renewals = data["renewals"]["renewals"]
    assert [acc.name for acc in renewals.soonest] == ["Today", "Day 90"]
    assert (renewals.count, renewals.arr) == (2, Decimal(10))
    assert data["tickets-by-sla"]["states"][0] == ("breached", "Breached", 1)
    assert dict((s, n) for s, _label, n in data["tickets-by-sla"]["states"]) == {
        "breached": 1, "due_soon": 0, "ok": 0, "none": 1}


def test_htmx_gets_the_sections_alone(world_a):
    a = world_a
    body = home(a, a.csm, **{"HX-Request": "true"}).content.decode()
    assert 'id="home-my-accounts"' in body and "<html" not in body


def _grow(world, n: int) -> None:
    with world.scope():
        for i in range(n):
            account = AccountFactory(tenant=world.tenant, name=f"Grown {n}-{i}", owner_csm=world.csm.user,
                                     renewal_date=tenant_today(world.tenant) + dt.timedelta(days=i + 1))
            from tests.factories import ContactFactory

            ContactFactory(tenant=world.tenant, account=account, external_id=f"grown-{n}-{i}")
            ticket = make_ticket(world.tenant, f"T-grown-{n}-{i}", contact=f"grown-{n}-{i}",
                                 assignee="agent@alpha.test")
            add_interaction(world.tenant, ticket, f"i-grown-{n}-{i}", started_at=ago(10))


# Per role, the most queries the home may take (session, user, membership and tenant included). The CSM's
# "My tasks" (accounts.worklist) adds two: its counts and its first rows; the "Health" and "Open tasks" columns
# one each.
MAX_QUERIES = {"csm": 14, "agent": 9, "manager": 9, "viewer": 9}


@pytest.mark.parametrize("role", list(MAX_QUERIES))
def test_home_queries_are_bounded_per_role(world_a, people, role):
    a = world_a
    member = {"csm": a.csm, "agent": people["agent"], "manager": people["manager"], "viewer": a.viewer}[role]

    def queries() -> int:
        client = a.client_for(member)
        with count_queries() as ctx:
            assert client.get(reverse("tenant-home", args=[a.tenant.slug])).status_code == 200
        return len(ctx.captured_queries)

    _grow(a, 2)
    few = queries()
    _grow(a, 25)
    many = queries()
    assert few == many, f"{role}: {few} queries with few rows, {many} with many"
    assert many <= MAX_QUERIES[role], many
