"""The scorecard pages: the list with the accounts each applies to now, create and edit with field-named
errors and nothing written, the preview on current data (which accounts change band), the versions table with
what changed, "Recompute now" as a job, permissions, and bounded queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Job
from accounts.tenancy import tenant_scope
from health.scores.cards.forms import initial_of
from health.scores.components import COMPONENTS
from health.scores.models import HealthScore, Scorecard
from health.scores.services import ScorecardData, ensure_default_scorecard, recompute, save_scorecard
from health.scores.tasks import recompute_health
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

ONE_PART = {"components": [{"key": "open_high_priority_tickets", "weight": 10,
                            "mapping": {"kind": "ramp", "low": 0, "high": 3, "direction": "lower"}}],
            "bands": {"red": 0, "yellow": 40, "green": 70}}


def url(world, name: str, *args) -> str:
    return reverse(name, args=[world.tenant.slug, *args])


def form_data(**overrides) -> dict:
    """The form as a browser posts it: every component row, only open high-priority tickets weighted."""
    data = {"name": "Premium", "lifecycle_stages": "", "tiers": "premium", "priority": "10",
            "bands": "red:0, yellow:40, green:70", "action": "save"}
    for key in COMPONENTS:
        data.update({f"{key}__weight": "", f"{key}__kind": "ramp", f"{key}__direction": "higher",
                     f"{key}__low": "0", f"{key}__high": "1", f"{key}__steps": "", f"{key}__otherwise": ""})
    data.update({"open_high_priority_tickets__weight": "10", "open_high_priority_tickets__direction": "lower",
                 "open_high_priority_tickets__high": "3"})
    data.update(overrides)
    return data


def cards(world) -> list[tuple[str, int]]:
    with tenant_scope(world.tenant):
        return list(Scorecard.objects.order_by("name").values_list("name", "current_version__number"))


def test_the_list_shows_each_scorecard_with_the_accounts_it_applies_to(world_a, world_b,
                                                                       django_assert_max_num_queries):
    with tenant_scope(world_a.tenant):  # acc-1 is the one premium account
        save_scorecard(tenant=world_a.tenant, scorecard=None, by=None, data=ScorecardData(
            name="Premium", definition=ONE_PART, tiers=["Premium"], priority=5))
    client = world_a.client_for(world_a.viewer)
    client.get(url(world_a, "scorecard-list"))  # the session and the default scorecard, made once
    with django_assert_max_num_queries(12):
        response = client.get(url(world_a, "scorecard-list"))
    assert response.status_code == 200
    rows = [(r.scorecard.name, r.accounts) for r in response.context["rows"]]
    assert rows == [("Premium", 1), ("Default", 2)]
    html = response.content.decode()
    assert "Accounts this scorecard applies to today" in html  # the figure's definition
    assert url(world_a, "scorecard-create") not in html  # a viewer does not edit
    assert "style=" not in html and "<script>" not in html
    partial = client.get(url(world_a, "scorecard-list"), headers={"HX-Request": "true"}).content.decode()
    assert 'id="scorecards"' in partial and "<html" not in partial
    assert cards(world_b) == []


def test_the_list_queries_do_not_grow_with_the_accounts(world_a, django_assert_max_num_queries):
    with tenant_scope(world_a.tenant):
        AccountFactory.create_batch(40, tenant=world_a.tenant, tier="premium", lifecycle_stage="adoption")
    client = world_a.client_for(world_a.admin)
    client.get(url(world_a, "scorecard-list"))
    with django_assert_max_num_queries(12):
        response = client.get(url(world_a, "scorecard-list"))
    assert [r.accounts for r in response.context["rows"]] == [43]


def test_viewers_and_csms_cannot_create_edit_or_recompute(world_a):
    with tenant_scope(world_a.tenant):
        default = ensure_default_scorecard(tenant=world_a.tenant)
    for member in (world_a.viewer, world_a.csm):
        client = world_a.client_for(member)
        assert client.get(url(world_a, "scorecard-detail", default.pk)).status_code == 200
        assert client.get(url(world_a, "scorecard-create")).status_code == 403
        assert client.post(url(world_a, "scorecard-create"), form_data()).status_code == 403
        assert client.get(url(world_a, "scorecard-edit", default.pk)).status_code == 403
        assert client.post(url(world_a, "scorecard-recompute", default.pk)).status_code == 403
    assert cards(world_a) == [("Default", 1)]


def test_create_saves_version_one_and_shows_it_with_its_versions(world_a):
    client = world_a.client_for(world_a.admin)
    assert client.get(url(world_a, "scorecard-create")).status_code == 200
    response = client.post(url(world_a, "scorecard-create"), form_data())
    with tenant_scope(world_a.tenant):
        card = Scorecard.objects.select_related("current_version").get(name="Premium")
    assert response.status_code == 302 and response["Location"] == url(world_a, "scorecard-detail", card.pk)
    assert (card.tiers, card.priority, card.current_version.number) == (["premium"], 10, 1)
    assert card.current_version.definition["components"] == [
        {"key": "open_high_priority_tickets", "weight": 10.0, "category": "",
         "mapping": {"kind": "ramp", "low": 0.0, "high": 3.0, "direction": "lower"}}]
    assert card.current_version.created_by == world_a.admin.user
    detail = client.get(response["Location"]).content.decode()
    assert "first version" in detail and "Open high-priority tickets" in detail


def test_an_edit_makes_a_new_version_and_the_versions_table_says_what_changed(world_a,
                                                                              django_assert_max_num_queries):
    client = world_a.client_for(world_a.admin)
    client.post(url(world_a, "scorecard-create"), form_data())
    with tenant_scope(world_a.tenant):
        card = Scorecard.objects.get(name="Premium")
    edited = form_data(open_high_priority_tickets__weight="25", nps__weight="5", bands="red:0, green:50")
    assert client.post(url(world_a, "scorecard-edit", card.pk), edited).status_code == 302
    assert client.post(url(world_a, "scorecard-edit", card.pk), edited).status_code == 302  # same: no version
    assert cards(world_a) == [("Premium", 2)]
    with django_assert_max_num_queries(10):
        response = client.get(url(world_a, "scorecard-detail", card.pk))
    changes = [row.changes for row in response.context["versions"]]
    assert changes == [["Open high-priority tickets weight 10 → 25", "added NPS (weight 5)",
                        "bands red ≥ 0, green ≥ 50"], ["first version"]]
    form = client.get(url(world_a, "scorecard-edit", card.pk)).context["form"]
    assert form.initial["nps__weight"] == 5.0 and form.initial["bands"] == "red:0, green:50"


@pytest.mark.parametrize(("overrides", "field"), [
    ({"open_high_priority_tickets__low": "5"}, "open_high_priority_tickets__high"),  # low must be below high
    ({"open_high_priority_tickets__high": ""}, "open_high_priority_tickets__high"),
    ({"open_high_priority_tickets__kind": "thresholds", "open_high_priority_tickets__steps": "1:50, 0.5:70"},
     "open_high_priority_tickets__steps"),  # edges not increasing
    ({"open_high_priority_tickets__kind": "thresholds", "open_high_priority_tickets__steps": "one:50"},
     "open_high_priority_tickets__steps"),
    ({"open_high_priority_tickets__weight": "5000"}, "open_high_priority_tickets__weight"),
    ({"category_usage_per_seat__weight": "3"}, "category_usage_per_seat__category"),
    ({"open_high_priority_tickets__weight": ""}, "__all__"),  # no component at all
    ({"bands": "red:10, green:50"}, "bands"),  # none at 0
    ({"bands": "red"}, "bands"),
    ({"name": "Default"}, "name"),  # taken
    ({"name": "x" * 201}, "name"),
    ({"priority": "1001"}, "priority"),
    ({"tiers": ",".join(f"t{i}" for i in range(30))}, "tiers"),
])
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(world_a, overrides, field):
    with tenant_scope(world_a.tenant):
        ensure_default_scorecard(tenant=world_a.tenant)
    response = world_a.client_for(world_a.admin).post(url(world_a, "scorecard-create"), form_data(**overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors, response.context["form"].errors
    assert cards(world_a) == [("Default", 1)]


def _scored_as_green(world) -> Scorecard:
    """Every account scored today with the default scorecard set to ONE_PART: no open high-priority ticket is
    100 points, green."""
    with tenant_scope(world.tenant):
        default = ensure_default_scorecard(tenant=world.tenant)
        save_scorecard(tenant=world.tenant, scorecard=default, by=None, data=ScorecardData(
            name="Default", definition=ONE_PART))
        from accounts.selectors import tenant_today
        recompute(tenant=world.tenant, days=[tenant_today(world.tenant)])
        assert set(HealthScore.objects.values_list("band", flat=True)) == {"green"}
    return default


def test_preview_counts_and_lists_the_accounts_that_change_band_and_saves_nothing(world_a, world_b,
                                                                                  django_assert_max_num_queries):
    default = _scored_as_green(world_a)
    _scored_as_green(world_b)
    client = world_a.client_for(world_a.admin)
    client.get(url(world_a, "scorecard-list"))
    # Reversed direction: no open ticket is now 0 points, red. Only the default's accounts not taken by a
    # premium scorecard are previewed; there is none, so all three.
    data = form_data(name="Default", tiers="", action="preview", open_high_priority_tickets__direction="higher")
    with django_assert_max_num_queries(30):
        response = client.post(url(world_a, "scorecard-edit", default.pk), data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    preview = response.context["preview"]
    assert (preview.accounts, preview.band_changes, preview.capped, preview.unscored) == (3, 3, False, 0)
    assert {(r.account.external_id, r.band_before, r.band_after, r.score_before, r.score_after)
            for r in preview.rows} == {(f"acc-{i}", "green", "red", 100.0, 0.0) for i in range(3)}
    html = response.content.decode()
    assert 'id="preview"' in html and "<html" not in html and "Acme 1" in html
    assert "band of their latest stored score" in html  # the definition beside the figure
    with tenant_scope(world_a.tenant):
        assert Scorecard.objects.get(pk=default.pk).current_version.number == 2  # unchanged: a preview
        assert set(HealthScore.objects.values_list("band", flat=True)) == {"green"}
    # A new premium scorecard takes acc-1 only; the same mapping as the stored one: nobody changes band.
    response = client.post(url(world_a, "scorecard-create"), form_data(action="preview"))
    assert (response.context["preview"].accounts, response.context["preview"].band_changes) == (1, 0)
    assert cards(world_a) == [("Default", 2)]


def test_preview_queries_do_not_grow_with_the_accounts(world_a, django_assert_max_num_queries):
    default = _scored_as_green(world_a)
    with tenant_scope(world_a.tenant):
        AccountFactory.create_batch(40, tenant=world_a.tenant)
    client = world_a.client_for(world_a.admin)
    client.get(url(world_a, "scorecard-list"))
    data = form_data(name="Default", tiers="", action="preview", open_high_priority_tickets__direction="higher")
    with django_assert_max_num_queries(30):
        response = client.post(url(world_a, "scorecard-edit", default.pk), data)
    assert response.context["preview"].accounts == 43
    assert response.context["preview"].unscored == 40  # never scored before


def test_preview_is_capped_and_says_so(world_a, monkeypatch):
    from health.scores.cards import selectors

    monkeypatch.setattr(selectors, "PREVIEW_MAX_ACCOUNTS", 2)
    default = _scored_as_green(world_a)
    data = form_data(name="Default", tiers="", action="preview")
    response = world_a.client_for(world_a.admin).post(url(world_a, "scorecard-edit", default.pk), data)
    assert (response.context["preview"].accounts, response.context["preview"].capped) == (2, True)
    assert 'id="preview-capped"' in response.content.decode()


def test_recompute_now_starts_a_job_and_shows_its_progress_page(world_a, monkeypatch,
                                                                django_capture_on_commit_callbacks):
    with tenant_scope(world_a.tenant):
        default = ensure_default_scorecard(tenant=world_a.tenant)
    sent = []
    monkeypatch.setattr(recompute_health, "delay", lambda *args: sent.append(args))
    client = world_a.client_for(world_a.admin)
    assert 'id="recompute-now"' in client.get(url(world_a, "scorecard-detail", default.pk)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(world_a, "scorecard-recompute", default.pk))
    with tenant_scope(world_a.tenant):
        job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == url(world_a, "job-progress", job.pk)
    assert sent == [(world_a.tenant.pk, job.pk)] and job.kind == "health_recompute"
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Health score recompute" in page.content.decode()
    recompute_health(world_a.tenant.pk, job.pk)  # what the worker does
    finished = client.get(response["Location"]).content.decode()
    assert 'id="count-written">3<' in finished and "Rejected" not in finished


def test_initial_values_round_trip_the_stored_definition(world_a):
    with tenant_scope(world_a.tenant):
        card = ensure_default_scorecard(tenant=world_a.tenant)
    initial = initial_of(card)
    for component in card.current_version.definition["components"]:
        assert initial[f"{component['key']}__weight"] == component["weight"]
        assert initial[f"{component['key']}__low"] == component["mapping"]["low"]
