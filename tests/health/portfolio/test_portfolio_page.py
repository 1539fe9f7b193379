"""The portfolio page: each figure from the accounts' latest score rows (distribution, bands with ARR and
renewals, movers, trend, unscored), the CSM filter, the htmx partial, permission, and bounded queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import CustomerAccount
from accounts.selectors import tenant_today
from health.portfolio import selectors
from health.scores.models import HealthScore
from health.scores.services import ensure_default_scorecard
from tests.factories import AccountFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def score(world, account, day, value, band=None, confidence=1.0):
    with world.scope():
        version = ensure_default_scorecard(tenant=world.tenant).current_version
        band = band or ("" if value is None else "red" if value < 40 else "yellow" if value < 70 else "green")
        HealthScore.objects.create(account=account, day=day, version=version, score=value, band=band,
                                   confidence=confidence, computed_at=timezone.now())


def url(world, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("health-portfolio", args=[world.tenant.slug]) + (f"?{query}" if query else "")


@pytest.fixture
def book(world_a):
    """acc-0: 80 -> 50 this week (down 30), acc-1: 30 -> 45 (up 15), acc-2: latest row has no score; a
    fourth account of another CSM scored 100; a fifth never scored; a churned one scored (left out)."""
    a = world_a
    today = tenant_today(a.tenant)
    week_ago = today - dt.timedelta(days=7)
    with a.scope():
        CustomerAccount.objects.filter(pk=a.accounts[0].pk).update(arr=Decimal("1000"),
                                                                    renewal_date=today + dt.timedelta(days=10))
        CustomerAccount.objects.filter(pk=a.accounts[1].pk).update(arr=Decimal("500"),
                                                                    renewal_date=today + dt.timedelta(days=60))
        other = MembershipFactory(tenant=a.tenant, user=UserFactory(username="csm2@alpha.test"), role="csm")
        theirs = AccountFactory(tenant=a.tenant, external_id="acc-9", name="Zeta", owner_csm=other.user,
                                arr=Decimal("200"))
        AccountFactory(tenant=a.tenant, external_id="acc-new", name="Newco", owner_csm=a.csm.user)
        gone = AccountFactory(tenant=a.tenant, external_id="acc-gone", name="Gone", owner_csm=a.csm.user,
                              lifecycle_stage="churned")
    score(a, a.accounts[0], week_ago, 80)
    score(a, a.accounts[0], today, 50)
    score(a, a.accounts[1], week_ago - dt.timedelta(days=2), 30)
    score(a, a.accounts[1], today - dt.timedelta(days=1), 45)
    score(a, a.accounts[2], today, None, confidence=0.0)
    score(a, theirs, today, 100)
    score(a, gone, today, 10)
    a.extra["other"] = other
    return a


def test_figures_of_all_accounts(book):
    a = book
    today = tenant_today(a.tenant)
    with a.scope():
        assert selectors.distribution(tenant=a.tenant, owner=None, today=today) == [0, 0, 0, 0, 1, 1, 0, 0, 0, 1]
        bands = {r.band: r for r in selectors.by_band(tenant=a.tenant, owner=None, today=today)}
        assert list(bands) == ["yellow", "green", ""]  # worst first, "no score" last
        assert bands["yellow"].accounts == 2 and bands["yellow"].arr == Decimal("1500")
        assert bands["yellow"].renewals == [(30, 1, Decimal("1000")), (90, 2, Decimal("1500"))]
        assert bands["green"].accounts == 1 and bands[""].accounts == 1 and "red" not in bands  # churned left out
        down, up = selectors.movers(tenant=a.tenant, owner=None, today=today)
        assert [(m.name, m.delta) for m in down] == [("Acme 0", -30.0)]
        assert [(m.name, m.delta) for m in up] == [("Acme 1", 15.0)]
        weeks, trend_bands = selectors.trend(tenant=a.tenant, owner=None, today=today)
        assert len(weeks) == 12 and weeks[-1].week == today - dt.timedelta(days=today.weekday())
        assert trend_bands == ["red", "yellow", "green", ""]  # acc-1 was red nine days ago
        current = weeks[-1]
        # This week's latest rows: acc-0 50, acc-2 none, Zeta 100, and acc-1 45 if yesterday was this week.
        expected = [50, 100] + ([45] if today.weekday() >= 1 else [])
        assert current.average == pytest.approx(sum(expected) / len(expected))
        unscored = selectors.unscored(tenant=a.tenant, owner=None)
        assert unscored.count == 1 and [x.name for x in unscored.first] == ["Newco"]


def test_the_csm_filter_and_the_page(book):
    a = book
    csm = a.client_for(a.csm)
    mine = csm.get(url(a))
    assert mine.status_code == 200
    body = mine.content.decode()
    assert "Zeta" not in body and "Acme 0" in body and 'id="unscored-count">1<' in body
    assert mine.context["owner"] == a.csm.user and mine.context["distribution"][9] == 0
    everyone = csm.get(url(a, csm="all"))
    assert everyone.context["owner"] is None and everyone.context["distribution"][9] == 1
    theirs = a.client_for(a.admin).get(url(a, csm=a.extra["other"].user.pk))
    assert theirs.context["owner"] == a.extra["other"].user and theirs.context["distribution"] == [0] * 9 + [1]
    assert a.client_for(a.admin).get(url(a)).context["owner"] is None  # managers and admins land on all
    bad = csm.get(url(a, csm="999999")).content.decode()
    assert "Filter “CSM” ignored" in bad
    partial = csm.get(url(a, csm="all"), headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<div id="results">') and "<html" not in partial
    for definition in ("distribution", "by_band", "renewals", "movers", "trend", "unscored"):
        assert selectors.DEFINITIONS[definition][:40] in body.replace("&quot;", '"').replace("&#x27;", "'")
    assert "<svg" in body and "<script" not in body.split("<main", 1)[-1]
    assert a.client_for(a.viewer).get(url(a)).status_code == 200  # health.view: every role reads it


def test_portfolio_queries_do_not_grow(world_a, django_assert_max_num_queries):
    a = world_a
    client = a.client_for(a.admin)
    today = tenant_today(a.tenant)

    def grow(n, start):
        for i in range(n):
            with a.scope():
                account = AccountFactory(tenant=a.tenant, external_id=f"g-{start + i}", name=f"G {start + i}",
                                         owner_csm=a.csm.user, arr=Decimal(100 + i))
            for days in (0, 7, 30):
                score(a, account, today - dt.timedelta(days=days), (i * 7 + days) % 100)

    grow(2, 0)
    # Session, user, membership, tenant, the CSM choices, the distribution, the bands, two for the movers,
    # the trend, two for the unscored accounts, and the base template's own.
    with django_assert_max_num_queries(13) as few:
        assert client.get(url(a, csm="all")).status_code == 200
    grow(25, 100)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url(a, csm="all")).status_code == 200
