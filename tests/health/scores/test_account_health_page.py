"""The account health page: score, band and confidence, the override beside the computed score, the 90-day trend
(server SVG with band edges), the 7/30-day explanations, the component table with definitions, the override form
(errors naming the field, a 400 partial, nothing written), removal, the history with how each override ended,
"Recompute now" with its polling progress and the refreshed score section, permissions, and the bounded
number of queries with overrides, history and 90 rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Job
from accounts.selectors import tenant_today
from health.scores.jobs import JOB_KIND, run_recompute
from health.scores.models import HealthOverride, HealthScore, OverrideEnd
from health.scores.overrides import set_override
from health.scores.services import ensure_default_scorecard

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "health-overview"}


def page(world, name="account-health", account=0, *extra):
    return reverse(name, args=[world.tenant.slug, world.accounts[account].pk, *extra])


def comp(key, weight, points):
    return {"key": key, "input": points / 100, "points": points, "weight": weight, "effective_weight": 0.5}


def store_days(world, days, account=0):
    """``days`` rows ending today: nps falls by one point a day, depth stays at 60."""
    today = tenant_today(world.tenant)
    with world.scope():
        version = ensure_default_scorecard(tenant=world.tenant).current_version
        HealthScore.objects.bulk_create([HealthScore(
            tenant=world.tenant, account=world.accounts[account], day=today - n * DAY, version=version,
            score=(50 + n + 60) / 2, band="yellow", confidence=0.8,
            components=[comp("nps", 10, 50 + n), comp("depth", 10, 60)], computed_at=timezone.now())
            for n in range(days)])


def override(world, account=0, **kwargs):
    values = {"score": 25.0, "reason": "Champion left", "expires_at": timezone.now() + 7 * DAY,
              "by": world.csm.user} | kwargs
    with world.scope():
        return set_override(tenant=world.tenant, account=world.accounts[account], **values)


def test_the_page_shows_score_override_trend_changes_components_and_history_in_bounded_queries(
        world_a, django_assert_max_num_queries):
    store_days(world_a, 90)
    first = override(world_a, score=None, band="red")
    for n in range(5):
        override(world_a, score=20.0 + n, reason=f"Reason {n}")
    client = world_a.client_for(world_a.csm)
    with django_assert_max_num_queries(16):
        response = client.get(page(world_a))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="computed-score">55.0<' in html and 'id="override-score">24.0<' in html
    assert "confidence 80%" in html and "Reason 4" in html
    assert html.count("<circle") == 90 and 'class="edge"' in html and "yellow ≥ 40" in html
    assert "-4 in 7 days: NPS -4" in html and "-15 in 30 days: NPS -15" in html
    assert "Events per active user in the 30 days ending d." in html  # the component's definition
    assert html.count('data-state="Replaced by a newer override"') == 5 and 'data-state="In force"' in html
    assert "Champion left" in html and first.reason in html
    assert 'id="override-form"' in html and 'id="recompute-now"' in html


def test_a_viewer_sees_the_page_without_forms_and_cannot_post(world_a):
    store_days(world_a, 3)
    viewer = world_a.client_for(world_a.viewer)
    html = viewer.get(page(world_a)).content.decode()
    assert 'id="override-form"' not in html and 'id="recompute-now"' not in html
    assert viewer.post(page(world_a, "account-health-override"), {"score": "10", "reason": "x",
                                                                  "expires_on": "2099-01-01"}).status_code == 403
    with world_a.scope():
        assert not HealthOverride.objects.filter(tenant=world_a.tenant).exists()


def test_the_page_before_any_score(world_a):
    response = world_a.client_for(world_a.csm).get(page(world_a))
    assert response.status_code == 200 and 'id="no-score"' in response.content.decode()


def test_setting_an_override_swaps_the_partial_and_keeps_the_computed_score(world_a):
    store_days(world_a, 8)
    expires = tenant_today(world_a.tenant) + 10 * DAY
    response = world_a.client_for(world_a.csm).post(page(world_a, "account-health-override"), {
        "score": "", "band": "green", "reason": "Renewal signed early", "expires_on": expires.isoformat()}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('\n<div id="health-overview"') or html.lstrip().startswith('<div id="health-overview"')
    assert "<html" not in html and 'id="computed-score">55.0<' in html and "Renewal signed early" in html
    with world_a.scope():
        found = HealthOverride.objects.get(tenant=world_a.tenant)
        assert (found.score, found.band, found.created_by) == (None, "green", world_a.csm.user)
        local_expiry = found.expires_at.astimezone(world_a.tenant.zone)
        assert (local_expiry.date(), local_expiry.time()) == (expires + DAY, dt.time(0, 0))


@pytest.mark.parametrize(("data", "field"), [
    ({"score": "101", "reason": "x"}, "score"), ({"score": "", "band": "", "reason": "x"}, "score"),
    ({"band": "purple", "reason": "x"}, "band"), ({"score": "10", "reason": ""}, "reason"),
    ({"score": "10", "reason": "x" * 1001}, "reason"), ({"score": "10", "reason": "x", "expires_on": "2020-01-01"},
                                                         "expires_on"),
    ({"score": "10", "reason": "x", "expires_on": "9999-12-31"}, "expires_on"),
    ({"score": "nan", "reason": "x"}, "score"),
])
def test_bad_override_input_is_a_400_partial_naming_the_field_and_writes_nothing(world_a, data, field):
    store_days(world_a, 2)
    data = {"expires_on": (tenant_today(world_a.tenant) + DAY).isoformat()} | data
    response = world_a.client_for(world_a.csm).post(page(world_a, "account-health-override"), data, **HTMX)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'for="id_{field}"' in html and 'class="field has-error"' in html and "errorlist" in html
    assert html.count("has-error") == 1
    assert f'for="id_{field}"' in html.split("has-error")[1].split("</div>")[0]  # the error sits on that field
    with world_a.scope():
        assert not HealthOverride.objects.filter(tenant=world_a.tenant).exists()


def test_removing_the_override_and_a_stale_removal(world_a):
    store_days(world_a, 2)
    first = override(world_a)
    second = override(world_a, score=60.0)
    client = world_a.client_for(world_a.admin)
    stale = client.post(page(world_a, "account-health-override-remove"), {"override": first.pk}, **HTMX)
    assert stale.status_code == 400 and "no longer in force" in stale.content.decode()
    bad = client.post(page(world_a, "account-health-override-remove"), {"override": "x" * 30}, **HTMX)
    assert bad.status_code == 400
    done = client.post(page(world_a, "account-health-override-remove"), {"override": second.pk})
    assert done.status_code == 302
    with world_a.scope():
        second.refresh_from_db()
    assert (second.end_reason, second.ended_by) == (OverrideEnd.REMOVED, world_a.admin.user)
    html = client.get(page(world_a)).content.decode()
    assert 'id="override-score"' not in html and "Removed by hand" in html


def test_an_expired_override_is_no_longer_shown_and_the_history_says_it_expired(world_a):
    store_days(world_a, 2)
    old = override(world_a)
    with world_a.scope():
        HealthOverride.objects.filter(pk=old.pk).update(created_at=timezone.now() - 3 * DAY,
                                                        expires_at=timezone.now() - DAY)
    html = world_a.client_for(world_a.csm).get(page(world_a)).content.decode()
    assert 'id="override-score"' not in html and 'data-state="Expired"' in html and "(by itself)" in html


def test_recompute_now_starts_a_job_polls_it_and_refreshes_the_score_section(world_a, monkeypatch,
                                                                             django_capture_on_commit_callbacks):
    from health.scores.tasks import recompute_health

    sent = []
    monkeypatch.setattr(recompute_health, "delay", lambda *args: sent.append(args))
    client = world_a.client_for(world_a.csm)
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(page(world_a, "account-health-recompute"), **{"HTTP_HX_REQUEST": "true"})
    assert started.status_code == 200
    with world_a.scope():
        job = Job.objects.get(tenant=world_a.tenant, kind=JOB_KIND)
    assert sent == [(world_a.tenant.pk, job.pk)]
    poll_url = page(world_a, "account-health-job", 0, job.pk)
    assert f'hx-get="{poll_url}"' in started.content.decode() and 'hx-trigger="every 1s"' in started.content.decode()
    polling = client.get(poll_url, **{"HTTP_HX_REQUEST": "true"}).content.decode()
    assert "every 1s" in polling and "health-overview" not in polling
    with world_a.scope():
        run_recompute(tenant=world_a.tenant, job=job)
    finished = client.get(poll_url, **{"HTTP_HX_REQUEST": "true"}).content.decode()
    assert "every 1s" not in finished and "Done" in finished
    assert 'id="health-overview" hx-swap-oob="true"' in finished and 'id="computed-score"' in finished
    assert client.get(poll_url).status_code == 200  # the full page with its bar, without htmx
    assert client.get(page(world_a, "account-health-job", 1, job.pk)).status_code == 404  # another account's
    no_js = client.post(page(world_a, "account-health-recompute"))
    assert no_js.status_code == 302


def test_the_account_page_links_to_health(world_a):
    html = world_a.client_for(world_a.viewer).get(reverse("account-detail", args=[
        world_a.tenant.slug, world_a.accounts[0].pk])).content.decode()
    assert page(world_a) in html
