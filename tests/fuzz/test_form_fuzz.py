"""Issue 10, "proof in CI": every staff form, fuzzed with Hypothesis.

Routes come from the URL resolver. Each is posted once empty (rolled back) to learn whether it takes
POSTs and which forms it builds (``formfuzz.recording_forms``; a formset is posted again with its
management form so its forms show). A route that takes POSTs is fuzzed from its forms' fields, or from
``RAW_FIELDS`` where the view reads ``request.POST`` itself, or is listed in ``EXCLUDED`` with a reason;
otherwise ``test_form_fuzz`` fails for it, so a new page cannot escape.

Each example is posted by a tenant admin (superuser for the operators' pages) in a savepoint that is
rolled back afterwards, and must:
- never answer a 5xx;
- if a form refused it, have changed no tenant-owned row (``formfuzz.fingerprint``);
- if it wrote anything, leave rows that every read of them renders: the page it redirects to, the
  pages of its family (same URL section) and ``READ_ALSO``, CSV exports included.
"""

from __future__ import annotations

import os
import time

import pytest
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings

from accounts.tenancy import tenant_scope
from tests.factories import UserFactory
from tests.fuzz.formfuzz import (
    BAD,
    HOSTILE,
    FieldValues,
    fingerprint,
    management_data,
    recording_forms,
    rolled_back,
    submissions,
)
from tests.objectworld import OBJECT_KWARGS, one_of_each
from tests.urlwalk import Route, all_routes

pytestmark = pytest.mark.django_db

MARKER = "fuzz"
MAX_EXAMPLES = int(os.environ.get("FORM_FUZZ_EXAMPLES", "10"))

# Whole URL sections that are not staff forms of ours.
EXCLUDED_PREFIXES = {
    "admin/": "Django's admin (operators): its isolation and validation are tests/accounts/test_admin.py's",
    "api/": "the REST API: its own fuzz (issue 10, API fuzz in CI) covers the endpoints",
    "accounts/": "Django's auth forms (login, password change and reset), throttled by axes and ratelimit; "
                 "tests/accounts/test_auth_flow.py and test_login_throttle.py",
    "docs/": "the project's documents (cs_platform.docs): GET only, no form; tests/docs/",
}

# Route name -> why a route that takes POSTs is not fuzzed here.
EXCLUDED = {
    "account-import": "a file upload: tests/fuzz/test_csv_import_fuzz.py generates the CSV files",
    "contact-import": "a file upload: tests/fuzz/test_csv_import_fuzz.py generates the CSV files",
    "apikey-revoke": "a confirmation button without fields",
    "campaign-start": "a button without fields (surveys.triggers.views)",
    "campaign-pause": "a button without fields (surveys.triggers.views)",
    "member-remove": "a confirmation button without fields",
    "catalog-delete": "a confirmation button without fields",
    "team-delete": "a confirmation button without fields",
    "macro-delete": "a confirmation button without fields",
    "kb-article-delete": "a confirmation button without fields",
    "kb-category-delete": "a confirmation button without fields",
    "sla-policy-delete": "a confirmation button without fields",
    "sla-calendar-delete": "a confirmation button without fields",
    "sla-holiday-delete": "a confirmation button without fields",
    "note-delete": "a confirmation button without fields",
    "sla-policy-create-default": "a button without fields: creates the default policy",
    "qa-review-calibrate": "a button without fields: starts the user's calibration review of the ticket",
    "scorecard-recompute": "a button without fields: starts a recompute job of today's scores",
    "account-health-recompute": "a button without fields: starts this account's recompute job",
    "home": "the tenant chooser: reads nothing posted (answers a POST as a GET)",
    "survey-logo-upload": "a file upload: tests/surveys/test_branding.py posts SVG, garbage, truncated, oversized "
                          "and too large images",
    "survey-logo-remove": "a confirmation button without fields",
    "learning-enrollment-withdraw": "a confirmation button without fields (learning.learners.views)",
    "learning-path-publish": "a confirmation button without fields (its GET is the confirmation page)",
    "learning-path-unpublish": "a button without fields",
    "learning-path-migrate": "a confirmation button without fields (its GET is the confirmation page)",
    "learning-step-delete": "a button without fields (tests/learning/test_authoring_pages.py)",
    "playbook-step-delete": "a button without fields (tests/health/alerts/test_pages.py)",
    "learning-image-upload": "a file upload: tests/learning/test_authoring_pages.py posts SVG, empty, oversized and "
                             "too large images",
    # The learner portal (issue 13): its POSTs need a learner session, which this staff fuzz has not;
    # tests/learning/test_portal.py fuzzes the step page's answers as a signed-in learner.
    "learner-link": "a button without fields: spends the magic link (tests/learning/test_portal.py)",
    "learner-sign-out": "a button without fields: ends the learner session",
    "learner-step": "needs a learner session: tests/learning/test_portal.py fuzzes q-0, q-1 as a learner",
}

# Route name -> the POST names a view reads without a Django form.
RAW_FIELDS = {
    # The health backtest reads its POSTs by hand (health.scores.backtests.views): the run's query and the
    # suggestion to apply as a new scorecard version.
    "health-backtest-run": ["scorecard", "horizon_days"],
    "health-backtest": ["scorecard", "definition"],
    "learning-contact-enroll": ["path"],  # the contact's learning panel: a path id (learning.learners.views)
    "ticket-csat": ["skip"],  # the ticket page's CSAT panel: skip on/off (surveys.triggers.views)
    "agent-presence": ["action"],
    "qa-rubric-active": ["active"],
    "kb-article-publish": ["published"],
    "inbox-bulk-assign": ["ticket", "agent", "next"],
    "contact-merge": ["duplicate", "keep"],
    # The public survey page reads its POST by hand (surveys.public.forms: messages in the reader's language).
    "survey-public-answer": ["score", "comment", "followup_answer"],
    "survey-public-opt-out": ["source"],
    # The learner portal's sign-in request reads its POST by hand (learning.portal.forms).
    "learner-sign-in": ["email"],
    "task-complete": ["next"],
    "task-reopen": ["next"],
    "learning-step-move": ["direction"],  # up / down (learning.paths.views)
}

# Route name -> more pages (route names) that show what it writes, beyond its own URL section.
READ_ALSO = {
    "ticket-reply": ["inbox"],
    "ticket-status": ["inbox"],
    "ticket-assign": ["inbox"],
    "ticket-macro": ["inbox"],
    "ticket-callback": ["callback-queue", "inbox"],
    "callback-complete": ["callback-queue"],
            "team-create": ["report-teams", "inbox"],
    "team-edit": ["report-teams", "inbox"],
    "kb-article-create": ["helpcenter-home", "helpcenter-article", "helpcenter-category"],
    "kb-article-edit": ["helpcenter-home", "helpcenter-article", "helpcenter-category"],
    "kb-article-publish": ["helpcenter-home", "helpcenter-article"],
    "kb-category-edit": ["helpcenter-home", "helpcenter-category"],
    "sla-policy-create": ["inbox", "ticket-detail"],
    "sla-policy-edit": ["inbox", "ticket-detail"],
    "sla-calendar-create": ["inbox", "ticket-detail"],
    "sla-calendar-edit": ["inbox", "ticket-detail"],
    "sla-holiday-add": ["inbox", "ticket-detail"],
    "catalog-add": ["account-usage", "first-90-days"],
    "catalog-edit": ["account-usage", "first-90-days"],
    "qa-review-detail": ["qa-calibration", "qa-mine", "qa-queue"],
    "qa-review-calibrate": ["qa-calibration"],
    "qa-build-sample": ["qa-mine", "qa-calibration"],
    "contact-merge": ["contact-list", "contact-export", "inbox"],
    "tenant-settings": ["account-list", "inbox"],
    "member-role": ["account-list", "inbox"],
    "tenant-create": [],
    "note-create": ["account-detail", "contact-detail"],
    "note-edit": ["account-detail"],
    "task-complete": ["task-list", "survey-loop"],
    "task-reopen": ["task-list", "survey-loop"],
    "alert-rule-edit": ["alert-list", "playbook-list"],
    "playbook-start": ["task-list"],
    "account-playbook-start": ["task-list", "playbook-list"],
}

ROUTES = [r for r in all_routes() if not r.route.startswith(tuple(EXCLUDED_PREFIXES))]
BY_NAME = {r.name: r for r in ROUTES}
TENANT_PREFIX = "t/<slug:tenant_slug>/"


class Fuzz:
    def __init__(self, world, objects: dict, operator: Client) -> None:
        self.world, self.objects = world, objects
        self.client = world.client_for(world.admin)
        self.operator = operator

    def values(self) -> dict:
        values = {k: fill(self.objects) for k, fill in OBJECT_KWARGS.items()}
        return values | {"tenant_slug": self.world.tenant.slug, "help_slug": self.world.tenant.slug}

    def url(self, route: Route) -> str:
        return route.fill(self.values())

    def client_of(self, route: Route) -> Client:
        return self.client if route.route.startswith(TENANT_PREFIX) else self.operator


@pytest.fixture
def fuzz(world_a) -> Fuzz:
    a = world_a
    objects = one_of_each(a, MARKER)
    operator = Client()
    operator.force_login(UserFactory(username="operator@fuzz.test", is_superuser=True, is_staff=True))
    fuzz = Fuzz(a, objects, operator)
    # First visits create the admin's agent record: do them now, so that they are not taken for writes.
    for name in ("agent-presence", "inbox", "macro-list"):
        assert fuzz.client.get(fuzz.url(BY_NAME[name])).status_code == 200
    return fuzz


def discover(fuzz: Fuzz, route: Route) -> tuple[bool, dict]:
    """Whether the route takes POSTs, and the POST names of the fields of the forms it builds."""
    client, url = fuzz.client_of(route), fuzz.url(route)
    fields: dict = {}
    with rolled_back(), tenant_scope(fuzz.world.tenant):
        with recording_forms() as recorder:
            status = client.post(url, {}).status_code
        if status == 405:
            return False, {}
        management = management_data(recorder)
        if management:  # a formset: post again so that its forms are built
            with rolled_back(), recording_forms() as recorder:
                client.post(url, management)
        for seen in recorder.seen:
            fields |= seen.strategies(management)
    return True, fields


def family(route: Route) -> list[Route]:
    """The GET pages of the route's URL section (``support/tickets``, ``accounts``, ...), those whose
    object kwargs the fuzz can fill."""
    def section(r: Route) -> tuple[str, ...]:
        parts = r.route.removeprefix(TENANT_PREFIX).split("/")
        return tuple(parts[:2] if parts[0] in ("support", "settings", "usage", "sla", "kb") else parts[:1])

    return [r for r in ROUTES if r.route.startswith(TENANT_PREFIX) and section(r) == section(route)]


def read_back(fuzz: Fuzz, route: Route, response) -> None:
    client = fuzz.client_of(route)
    urls = [fuzz.url(r) for r in family(route)] + [fuzz.url(BY_NAME[n]) for n in READ_ALSO.get(route.name, [])]
    if response.status_code in (301, 302, 303) and response["Location"].startswith("/"):
        urls.insert(0, response["Location"])
    for url in dict.fromkeys(urls):
        page = client.get(url)
        assert page.status_code < 500, f"GET {url} after POST {route.route}: {page.status_code}"
        if page.streaming:
            b"".join(page.streaming_content)


# No shrinking: it would multiply the run time on a failure; the failing example is reported as generated.
SETTINGS = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                    phases=(Phase.explicit, Phase.generate),
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much])


def post_routes(fuzz: Fuzz) -> dict[Route, dict]:
    """Every route that takes POSTs and is not excluded -> the strategies of its fields."""
    found = {}
    for route in ROUTES:
        takes_post, fields = discover(fuzz, route)
        if not takes_post:
            assert route.name not in EXCLUDED and route.name not in RAW_FIELDS, (
                f"{route.route} takes no POST any more: drop it from EXCLUDED / RAW_FIELDS")
            continue
        if route.name in EXCLUDED:
            continue
        fields |= {name: FieldValues(HOSTILE, BAD) for name in RAW_FIELDS.get(route.name, [])}
        assert fields, (f"{route.route} takes POSTs and builds no form: fuzz its fields (RAW_FIELDS) or list it "
                        "in EXCLUDED with the reason")
        found[route] = fields
    return found


def fuzz_route(fuzz: Fuzz, route: Route, fields: dict, stats: dict) -> None:
    client, url = fuzz.client_of(route), fuzz.url(route)

    @SETTINGS
    @given(data=submissions(fields))
    def example(data: dict) -> None:
        with rolled_back():
            with tenant_scope(fuzz.world.tenant):
                before = fingerprint()
            with recording_forms() as recorder:
                response = client.post(url, data)
            assert response.status_code < 500, f"POST {url} {data!r}: {response.status_code}"
            with tenant_scope(fuzz.world.tenant):
                changed = fingerprint() != before
            verdict = recorder.verdict()
            stats[verdict, changed] = stats.get((verdict, changed), 0) + 1
            if verdict == "invalid":
                errors = {type(f).__name__: f.errors for f in recorder.bound() if f._errors}
                assert not changed, f"POST {url} was refused ({errors}) but changed rows: {data!r}"
            if changed:
                read_back(fuzz, route, response)

    example()


def test_every_staff_form_survives_hostile_input(fuzz: Fuzz):
    """One test for all routes (one set of fixtures: the fuzz's time goes to the examples); each route's
    failure is reported with its falsifying example, and all of them at once."""
    routes = post_routes(fuzz)
    assert {r.name for r in routes} >= {"account-create", "contact-edit", "ticket-reply", "tenant-settings",
                                        "sla-calendar-edit", "qa-rubric-detail", "tenant-create"}
    failures, stats = [], {}
    for route, fields in routes.items():
        stats[route.name] = {}
        started = time.monotonic()
        try:
            fuzz_route(fuzz, route, fields, stats[route.name])
        except Exception as exc:  # noqa: BLE001 - collected, reported below
            failures.append(f"{route.name}: {type(exc).__name__}: {exc}")
        stats[route.name]["seconds"] = round(time.monotonic() - started, 1)
    if os.environ.get("FORM_FUZZ_STATS"):
        for name, counts in stats.items():
            print(name, counts)  # noqa: T201
    assert not failures, "\n\n".join(failures)


def test_lists_name_existing_routes():
    assert set(RAW_FIELDS) | set(READ_ALSO) | set(EXCLUDED) <= set(BY_NAME), "a listed route no longer exists"
    assert {n for names in READ_ALSO.values() for n in names} <= set(BY_NAME)
