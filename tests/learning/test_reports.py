"""The CSM's learning figures (METRICS.md "Learning") on a hand-computed fixture, the pages that show them, the
seat funnel's trained step, persona coverage and the timeline's learning events."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse

from accounts.timeline.registry import TimelineQuery
from learning.models import Enrollment, EnrollmentSource, EnrollmentStatus, Step, StepProgress
from learning.paths.services import StepData, publish, save_steps
from learning.reports import coverage, selectors
from learning.reports.timeline import completed_events, enrolled_events, step_events
from tests.factories import ContactFactory
from tests.learning.helpers import published_path

pytestmark = pytest.mark.django_db

LA = zoneinfo.ZoneInfo("America/Los_Angeles")  # world_a's time zone
JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)
HOUR = 3600


def local(day: int, hour: int, minute: int = 0, month: int = 1) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=LA)


V1 = [StepData(kind="lesson", title="Alpha", key="a", body_markdown="a"),
      StepData(kind="lesson", title="Bravo", key="b", body_markdown="b", is_required=False),
      StepData(kind="lesson", title="Charlie", key="c", body_markdown="c")]
V2 = [StepData(kind="lesson", title="Alpha", key="a", body_markdown="a"),
      StepData(kind="lesson", title="Charlie", key="c", body_markdown="c"),
      StepData(kind="lesson", title="Delta", key="d", body_markdown="d")]


@pytest.fixture
def fx(world_a) -> dict:
    """Path "Onboarding": v1 = a (required), b (optional), c (required); v2 = a, c, d (all required), current.

    January's cohort (tenant-local), v1 unless said:
      E1 a b c, completed after 1 h     E2 a c, 2 h     E3 a b c, 3 h     E4 a c, 4 h
      E5 completed by an external LMS after 10 h, no step     E6 a only (started)
      E7 on v2, nothing done     E8 withdrawn     E9 enrolled 31 Jan 23:30 local (1 Feb in UTC), nothing
    February: E10 enrolled 1 Feb 00:30 local, a b c, completed after 100 h. Another path: one completion.
    """
    tenant = world_a.tenant
    with world_a.scope():
        path = published_path(tenant, "Onboarding", steps=V1)
        v1 = path.current_version
        save_steps(tenant=tenant, path=path, steps=V2)
        v2 = publish(tenant=tenant, path=path, by=None)
        path.refresh_from_db()
        other = published_path(tenant, "Other path")
        account = world_a.accounts[0]
        people = [ContactFactory(tenant=tenant, account=account, external_id=f"learner-{i}", name=f"Learner {i}",
                                 persona="Admin " if i == 2 else "end_user") for i in range(1, 11)]
        steps = {(s.version_id, s.key): s for s in Step.objects.filter(version__path=path)}

        def enrollment(n, at, *, done="", hours=None, status=None, version=v1):
            completed = at + dt.timedelta(hours=hours) if hours is not None else None
            status = status or (EnrollmentStatus.COMPLETED if completed else
                                EnrollmentStatus.STARTED if done else EnrollmentStatus.ENROLLED)
            e = Enrollment.objects.create(tenant=tenant, contact=people[n - 1], path=path, version=version,
                                          status=status, enrolled_at=at, completed_at=completed)
            for i, key in enumerate(done):
                StepProgress.objects.create(tenant=tenant, enrollment=e, step=steps[(version.pk, key)],
                                            done_at=at + dt.timedelta(minutes=10 * (i + 1)))
            return e

        e = {1: enrollment(1, local(5, 10), done="abc", hours=1), 2: enrollment(2, local(6, 10), done="ac", hours=2),
             3: enrollment(3, local(7, 10), done="abc", hours=3), 4: enrollment(4, local(8, 10), done="ac", hours=4),
             5: enrollment(5, local(9, 10), hours=10), 6: enrollment(6, local(10, 10), done="a"),
             7: enrollment(7, local(11, 10), version=v2),
             8: enrollment(8, local(12, 10), status=EnrollmentStatus.WITHDRAWN),
             9: enrollment(9, local(31, 23, 30)),
             10: enrollment(10, local(1, 0, 30, month=2), done="abc", hours=100)}
        Enrollment.objects.create(tenant=tenant, contact=people[0], path=other, version=other.current_version,
                                  status=EnrollmentStatus.COMPLETED, enrolled_at=local(5, 9),
                                  completed_at=local(5, 9, 30))
    return {"path": path, "other": other, "account": account, "people": people, "e": e, "v2": v2}


def test_the_figures_of_a_january_cohort(world_a, fx):
    with world_a.scope():
        figures = selectors.path_figures(tenant=world_a.tenant, start=JAN, end=FEB, path_ids=[fx["path"].pk])
    f = figures[fx["path"].pk]
    # E1-E9 (E9 at 23:30 local on 31 January is January's though it is 1 February in UTC; E10 is February's).
    assert (f["enrolled"], f["started"], f["completed"]) == (9, 6, 5)  # E5 started by completing
    assert f["completion_rate"] == pytest.approx(5 / 9)
    assert f["by_status"] == {"enrolled": 2, "started": 1, "completed": 5, "withdrawn": 1}
    ttc = f["time_to_complete"]
    assert ttc["n"] == 5
    assert ttc["mean"] == pytest.approx(4 * HOUR)
    assert ttc["median"] == pytest.approx(3 * HOUR)
    assert ttc["p90"] == pytest.approx(7.6 * HOUR)  # 4 h + 0.6 x (10 h - 4 h): linear between ranks 4 and 5


def test_february_and_a_period_without_enrollments(world_a, fx):
    with world_a.scope():
        feb = selectors.path_figures(tenant=world_a.tenant, start=FEB, end=MAR)
        empty = selectors.path_figures(tenant=world_a.tenant, start=MAR, end=dt.date(2026, 4, 1),
                                       path_ids=[fx["path"].pk])
    assert set(feb) == {fx["path"].pk}  # every path with a cohort; "Other path" had none in February
    assert (feb[fx["path"].pk]["enrolled"], feb[fx["path"].pk]["completed"]) == (1, 1)
    assert feb[fx["path"].pk]["time_to_complete"]["median"] == pytest.approx(100 * HOUR)
    assert empty[fx["path"].pk]["enrolled"] == 0
    assert empty[fx["path"].pk]["completion_rate"] is None
    assert empty[fx["path"].pk]["time_to_complete"] == {"n": 0, "mean": None, "median": None, "p90": None}


def test_dropoff_by_step_key_across_versions(world_a, fx):
    with world_a.scope():
        rows = selectors.step_dropoff(tenant=world_a.tenant, path=fx["path"], start=JAN, end=FEB)
    table = {r["key"]: (r["position"] is not None, r["reached"], r["done"], r["dropped"]) for r in rows}
    # The current version's steps in order (a, c, d), then b, which only v1 has. Withdrawn E8 is left out.
    assert [r["key"] for r in rows] == ["a", "c", "d", "b"]
    assert table == {
        "a": (True, 8, 5, 3),  # everyone reaches the first step; E5 (external), E7 (v2) and E9 did not do it
        "c": (True, 5, 4, 1),  # v1: reached once a (the required step before it) is done; E6 stopped there
        "d": (True, 0, 0, 0),  # E7 on v2 has not done a and c
        "b": (False, 5, 2, 3),  # optional: reached by whoever did a; E2 and E4 skipped it, E6 stopped
    }
    assert rows[0]["dropoff_rate"] == pytest.approx(3 / 8)
    assert rows[2]["dropoff_rate"] is None


def test_trained_users_fill_the_seat_funnel_of_the_usage_api(world_a, fx):
    account = fx["account"]
    with world_a.scope():
        # Learners 1-5 completed Onboarding, learner 10 too, learner 1 also the other path: six contacts.
        assert selectors.trained_contacts_by_account(world_a.tenant, [account.pk, world_a.accounts[1].pk]) == {
            account.pk: 6}
    response = world_a.api().get(f"/api/v1/accounts/{account.external_id}/usage")
    assert response.status_code == 200, response.content
    assert response.json()["seat_funnel"]["trained"] == 6


def test_persona_coverage_and_the_no_trained_admin_flag(world_a, fx):
    tenant, account = world_a.tenant, fx["account"]
    with world_a.scope():
        data = coverage.persona_coverage(tenant=tenant, account=account)
        rows = {r["persona"]: (r["known"], r["trained"]) for r in data["rows"]}
        # "Admin " is folded to "admin": learner 2 is an admin, and trained.
        assert rows["admin"] == (1, 1)
        assert rows["end_user"][1] == 5
        assert data["no_trained_admin"] is False
        others = world_a.accounts[1]
        flags = coverage.trained_admins_by_account(tenant=tenant, account_ids=[account.pk, others.pk], now=None)
        assert flags == {account.pk: "1", others.pk: "none"}
        Enrollment.objects.filter(contact=fx["people"][1]).update(completed_at=None, status="started")
        assert coverage.persona_coverage(tenant=tenant, account=account)["no_trained_admin"] is True


def test_the_account_learning_page_shows_the_flag(world_a, fx, django_assert_max_num_queries):
    client = world_a.client_for(world_a.csm)
    with world_a.scope():
        Enrollment.objects.filter(contact=fx["people"][1]).update(completed_at=None, status="started")
    url = reverse("account-learning", args=[world_a.tenant.slug, fx["account"].pk])
    with django_assert_max_num_queries(8):
        html = client.get(url).content.decode()
    assert 'id="no-trained-admin"' in html
    assert '<tr data-persona="admin"><th scope="row">admin</th><td class="num">1</td><td class="num" ' \
           'data-figure="trained">0</td>' in html
    other = world_a.client_for(world_a.csm).get(reverse("account-learning", args=[world_a.tenant.slug,
                                                                                   world_a.accounts[2].pk]))
    assert 'id="no-trained-admin"' in other.content.decode()  # no admin known at all: flagged too


def test_the_account_list_shows_trained_admins(world_a, fx):
    html = world_a.client_for(world_a.csm).get(reverse("account-list", args=[world_a.tenant.slug])).content.decode()
    assert "Trained admins" in html
    assert reverse("learning-overview", args=[world_a.tenant.slug]) in html


def _figure(html: str, row: str, figure: str) -> str:
    start = html.index(row)
    cell = html.index(f'data-figure="{figure}">', start) + len(f'data-figure="{figure}">')
    return html[cell:html.index("<", cell)]


def test_the_overview_page(world_a, fx, django_assert_max_num_queries):
    client = world_a.client_for(world_a.viewer)
    url = reverse("learning-overview", args=[world_a.tenant.slug])
    query = "?period=custom&date_from=2026-01-01&date_to=2026-01-31"
    with django_assert_max_num_queries(9):
        response = client.get(url + query)
    assert response.status_code == 200
    html = response.content.decode()
    row = f'data-path="{fx["path"].slug}"'
    assert [_figure(html, row, f) for f in ("enrolled", "started", "completed", "completion_rate", "median_time")] \
        == ["9", "6", "5", "55.6%", "3 h 0 min"]
    assert "Completion rate: completed / enrolled, over enrollments created in the period" in html
    partial = client.get(url + query, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and 'id="learning-paths"' in partial


def test_the_path_report_page(world_a, fx, django_assert_max_num_queries):
    client = world_a.client_for(world_a.csm)
    url = reverse("learning-path-report", args=[world_a.tenant.slug, fx["path"].pk])
    with django_assert_max_num_queries(10):
        response = client.get(url + "?period=custom&date_from=2026-01-01&date_to=2026-01-31")
    html = response.content.decode()
    assert response.status_code == 200
    assert _figure(html, 'id="time-to-complete"', "ttc_p90") == "7 h 36 min"
    assert _figure(html, 'data-step="b"', "dropped") == "3"
    assert "(not in the current version)" in html
    assert '<svg class="chart"' in html and "<script" not in html.split("</header>")[-1]
    assert "Drop-off by step: per step, enrollments that reached the step and did not complete it" in html


@pytest.mark.parametrize("query, field", [("?period=custom&date_from=2026-02-01&date_to=2026-01-01", "To"),
                                          ("?period=custom&date_from=nope&date_to=2026-01-01", "From"),
                                          ("?period=someday", "Period")])
def test_bad_periods_are_a_400_naming_the_field(world_a, fx, query, field):
    client = world_a.client_for(world_a.csm)
    for url in (reverse("learning-overview", args=[world_a.tenant.slug]),
                reverse("learning-path-report", args=[world_a.tenant.slug, fx["path"].pk])):
        response = client.get(url + query)
        assert response.status_code == 400, url
        assert field in response.content.decode()


def _query(world, account=None, contact=None) -> TimelineQuery:
    from learning.reports.timeline import ENROLLED, PATH_COMPLETED, STEP_DONE

    return TimelineQuery(tenant=world.tenant, account=account, contact=contact, before=None, limit=3,
                         kinds=frozenset({ENROLLED.name, STEP_DONE.name, PATH_COMPLETED.name}))


def test_timeline_events_of_the_account_and_the_contact(world_a, fx):
    with world_a.scope():
        account_query = _query(world_a, account=fx["account"])
        enrolled = enrolled_events(account_query)
        assert len(enrolled) == 3  # bounded by the query's limit
        assert enrolled[0].title == "Enrolled in “Onboarding”" and enrolled[0].at == fx["e"][10].enrolled_at
        assert "Learner 10" in enrolled[0].context and "by a targeting rule" in enrolled[0].context
        completed = completed_events(account_query)
        assert [c.at for c in completed] == [fx["e"][10].completed_at, fx["e"][5].completed_at,
                                             fx["e"][4].completed_at]
        contact_query = _query(world_a, contact=fx["people"][0])
        steps = step_events(contact_query)
        assert [s.title for s in steps] == ["Completed the step “Charlie”", "Completed the step “Bravo”",
                                            "Completed the step “Alpha”"]
        assert steps[0].url == reverse("learning-path-report", args=[world_a.tenant.slug, fx["path"].pk])
        assert "Learner 1" not in steps[0].context  # the contact's own timeline does not repeat its name
        assert {e.detail for e in completed_events(contact_query)} == {"Onboarding", "Other path"}


def test_the_account_page_timeline_shows_learning(world_a, fx):
    html = world_a.client_for(world_a.csm).get(
        reverse("account-detail", args=[world_a.tenant.slug, fx["account"].pk])).content.decode()
    assert "Completed “Onboarding”" in html
    assert reverse("account-learning", args=[world_a.tenant.slug, fx["account"].pk]) in html


def test_nothing_of_another_tenant(worlds, fx):
    a, b = worlds
    with b.scope():
        assert selectors.path_figures(tenant=b.tenant, start=JAN, end=FEB) == {}
        assert selectors.tenant_training(tenant=b.tenant)["trained"] == 0
        assert selectors.trained_contacts_by_account(b.tenant, [fx["account"].pk]) == {}


def test_external_completions_name_their_source_on_the_timeline(world_a, fx):
    with world_a.scope():
        fx["e"][5].source = EnrollmentSource.EXTERNAL
        fx["e"][5].save(update_fields=["source"])
        events = enrolled_events(_query(world_a, contact=fx["people"][4]))
    assert events[0].context == "from an external LMS"
