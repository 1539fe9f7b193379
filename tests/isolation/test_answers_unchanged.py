"""Leaks without a marker: tenant A's answers must not change when tenant B gets a large look-alike load.

test_cross_tenant.py looks for tenant B's marker string in A's answers; a query that loses its tenant filter
in an aggregate (a count, a sum, a percentile, an ordering, a distinct list) shows no foreign name at all.
So here every list page, report page and API list/report of tenant A is read, with its period and filter
variants, CSV exports and htmx partials (``CHECKED``), then tenant B receives hundreds of rows of the same
look-alike data (tests/isolation/lookalike.py: the same external ids, names, emails, dates in the same
periods, the same staff and teams), and every answer is read again: status, content type and body must be
identical. Routes are discovered from the URL resolver (tests/urlwalk.py): a tenant page, or an API route
answering GET, without an object kwarg, that is neither in ``CHECKED`` nor in ``EXCLUDED`` (with its reason)
fails ``test_every_list_and_report_route_is_checked``. ``OWN_OBJECTS`` adds the detail pages, per-object
reports and edit forms of tenant A's own look-alike objects (the account with B's twin external id, its usage
report...); every other object route must be in it or in ``OWN_OBJECTS_EXCLUDED`` (POST only, shown to answer
405 to GET).

What legitimately differs between two identical requests is normalized, and only that (``NORMALIZE``):

- the CSRF token (``csrfmiddlewaretoken`` inputs, the ``X-CSRFToken`` htmx header): masked anew per request;
- the CSP nonce of inline scripts/styles (``nonce="..."``): new per response;
- Django's ``naturaltime`` ("3 minutes ago", "2 hours from now"): relative to the clock, which moves between
  the two reads (the exact ``title="...date:'c'"`` beside each stays compared);
- the inbox's ``since`` stamp (the poll URL and its hidden input): the time the list was shown, ``now``, and
  its "updated HH:MM:SS" line (``{% now %}``);
- the API-key list's "Last used" cell: this test's own API requests stamp A's key.

Beyond that, time itself may move an answer (an SLA clock running out between the two reads turns "due soon"
into "breached"): B's load goes in a savepoint, and a changed answer is read once more after rolling it back;
only a change that goes away with B's rows is reported. The leak proofs run through that same check.

Runs in the default mode of the isolation suite (pytest-django's ``db``: transaction=False), so ``make test``
runs it; the reports run once more committed (transaction=True), where their queries go to the parallel read
connections. test_leaking_selector_is_caught proves the comparison finds a selector that forgot its tenant
(or read in the wrong one) although B's rows carry no marker.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import Client

from accounts.models import Role
from accounts.tenancy import tenant_scope
from cs_platform import parallel_reads
from health.scores.models import Scorecard
from support.reports.selectors import GROUP_BYS
from surveys.reports.selectors import GROUP_BYS as SURVEY_GROUP_BYS
from tests.isolation import lookalike
from tests.isolation.test_cross_tenant import object_routes
from tests.urlwalk import Route, all_routes, api_routes, tenant_page_routes


@dataclass(frozen=True)
class Ask:
    """One GET: ``query`` (``{name}`` placeholders filled from :func:`_values`), as which members, as an htmx
    partial swap of ``htmx`` (its HX-Target), following the API's ``next`` cursor once, expected status."""

    query: str = ""
    who: tuple[str, ...] = ("admin",)
    htmx: str | None = None
    follow_next: bool = False
    status: int = 200


STAFF = ("admin", "manager", "agent")
PERIODS = ("", "?period=last_month", "?period=ytd", "?period=custom&date_from={days_90}&date_to={yesterday}")


def _report(level_who: tuple[str, ...]) -> list[Ask]:
    asks = [Ask(p, who=level_who) for p in PERIODS]
    asks += [Ask("?format=csv", who=level_who), Ask("?period=ytd&format=csv", who=level_who),
             Ask("?period=last_month", who=level_who[:1], htmx="results")]
    return asks


LIST = ("", "?page=2")

# Route name -> what to ask. Every GET-able tenant page and API list/report without an object kwarg.
CHECKED: dict[str, list[Ask]] = {
    "tenant-home": [Ask()],
    "account-list": [Ask(q) for q in (*LIST, "?sort=-arr", "?sort=name&page=2", "?sort=-renewal_date", "?q=a",
                                      "?stage=renewal", "?tier=premium", "?renewal=90", "?owner={csm_pk}")]
                    + [Ask(htmx="results"), Ask("?sort=-arr", who=("csm",))],
    "account-create": [Ask()],
    "account-import": [Ask()],
    "account-export": [Ask(), Ask("?sort=-arr&stage=renewal"), Ask("?owner={csm_pk}")],
    "contact-list": [Ask(q) for q in (*LIST, "?q=a", "?account={account_pk}", "?persona=end_user",
                                      "?knowledge=expert")] + [Ask(htmx="results")],
    "contact-create": [Ask(), Ask("?account={account_pk}")],
    "contact-import": [Ask()],
    "contact-export": [Ask(), Ask("?account={account_pk}")],
    "apikey-list": [Ask()],
    "apikey-create": [Ask()],
    "member-list": [Ask()],
    "tenant-settings": [Ask()],
    "first-90-days": [Ask(), Ask(htmx="results"), Ask(who=("csm",))],
    "catalog": [Ask(), Ask(htmx="catalog")],
    "scorecard-list": [Ask(), Ask(htmx="results"), Ask(who=("csm",))],
    "scorecard-create": [Ask()],
    "health-backtest": [Ask(), Ask(htmx="results"), Ask("?horizon_days=30", who=("csm",))],
    # Health alerts (issue 14): rules, playbooks, the tenant's alerts.
    "alert-list": [Ask(), Ask("?kind=usage_stops"), Ask(htmx="results"), Ask(who=("csm",))],
    "alert-rule-list": [Ask(), Ask(htmx="results")],
    "playbook-list": [Ask(), Ask(who=("csm",))],
    "agent-presence": [Ask(who=STAFF)],
    "team-list": [Ask(), Ask(htmx="results")],
    "team-create": [Ask()],
    "inbox": [Ask(q + "&since={since}", who=STAFF) for q in ("?status=", "?status=any", "?status=any&page=2",
                                                              "?assignee=me", "?assignee=unassigned&status=any")]
             + [Ask(q + "&since={since}") for q in ("?status=any&sort=created", "?status=any&sort=due",
                                                    "?status=any&sort=priority", "?channel=phone&status=any",
                                                    "?team={team_pk}&status=any", "?sla=breached&status=any",
                                                    "?priority=high&status=any", "?q=data&status=any",
                                                    "?assignee={agent_pk}&status=any")]
             + [Ask(), Ask("?status=any&since={since}", htmx="results")],
    "macro-list": [Ask(), Ask(htmx="results")],
    "macro-create": [Ask()],
    "callback-queue": [Ask(who=STAFF), Ask(htmx="queue")],
    "qa-rubric-list": [Ask()],
    "qa-rubric-create": [Ask()],
    "qa-queue": [Ask(who=("admin", "manager"))],
    "qa-calibration": [Ask(who=("admin", "manager"))],
    "qa-mine": [Ask(who=STAFF)],
    "report-agents": _report(STAFF),
    "report-teams": _report(("admin", "manager")),
    "report-management": _report(("admin",)) + [Ask(f"?format=csv&table={t}")
                                                for t in ("ytd", "ytd-teams", "ytd-team-months")],
    "kb-article-list": [Ask(q) for q in ("", "?q=data", "?status=draft", "?status=published",
                                         "?category={category_pk}")] + [Ask(htmx="results")],
    "kb-article-create": [Ask()],
    "kb-category-list": [Ask()],
    "kb-frequent-questions": [Ask(), Ask("?days=90"), Ask("?days=365")],
    "sla-policy-list": [Ask()],
    "sla-policy-create": [Ask()],
    "sla-calendar-create": [Ask()],
    # The public help center of tenant A (anonymous): its home lists A's published articles.
    "helpcenter-home": [Ask(who=("anonymous",)), Ask("?q=data", who=("anonymous",))],
    # The API (A's key).
    "api-health-backtest": [Ask(who=("api",)), Ask("?horizon_days=30", who=("api",))],
    "api-account-list": [Ask(q, who=("api",)) for q in ("", "?lifecycle_stage=renewal", "?tier=premium", "?q=a",
                                                       "?csm_email={csm_email}", "?renewal_after={days_90}")]
                        + [Ask("?limit=7", who=("api",), follow_next=True)],
    "api-contact-list": [Ask(q, who=("api",)) for q in ("", "?account=ACC-1001", "?persona=end_user",
                                                       "?knowledge_level=expert", "?q=a")]
                        + [Ask("?limit=7", who=("api",), follow_next=True)],
    "api-ticket-list": [Ask(q, who=("api",)) for q in ("", "?channel=phone", "?status=resolved", "?account=ACC-1002",
                                                      "?assignee={agent_email}", "?contact=CON-1001-1")]
                       + [Ask("?limit=7", who=("api",), follow_next=True)],
    "api-report-support": [Ask(f"?group_by={g}", who=("api",)) for g in GROUP_BYS]
                          + [Ask(f"?from={{days_90}}&to={{today}}&group_by={g}", who=("api",)) for g in GROUP_BYS]
                          + [Ask(who=("api",)), Ask("?from={ytd}&to={today}", who=("api",))],
    "api-support-costs": [Ask(who=("api",))],
    # Surveys (issue 12).
    "survey-list": [Ask(), Ask(who=("csm",))],
    "survey-create": [Ask()],
    "api-survey-list": [Ask(who=("api",)), Ask("?limit=1", who=("api",), follow_next=True)],
    "survey-report": [Ask(p) for p in PERIODS] + [Ask(f"?period=ytd&group_by={g}") for g in SURVEY_GROUP_BYS]
                     + [Ask("?period=ytd&group_by=account&format=csv"), Ask("?period=last_month", htmx="results"),
                        Ask(who=("csm",))],
    "survey-comments": [Ask(q) for q in ("", "?band=low", "?band=detractor", "?kind=nps&q=comment", "?score=3",
                                         "?account={account_pk}", "?page=2", "?date_from={days_90}")]
                       + [Ask(htmx="results")],
    "survey-non-responders": [Ask(p) for p in PERIODS] + [Ask(q) for q in ("?period=ytd&tier=premium",
                                                                            "?period=ytd&stage=renewal",
                                                                            "?period=ytd&q=a&page=2")]
                             + [Ask(htmx="results")],
    "api-report-surveys": [Ask(f"?from={{days_90}}&to={{today}}&group_by={g}", who=("api",))
                           for g in SURVEY_GROUP_BYS] + [Ask(who=("api",))],
    "campaign-list": [Ask(), Ask(htmx="results")],
    "campaign-create": [Ask(), Ask("?segment-tier=premium")],
    "survey-invitations": [Ask(), Ask("?page=2"), Ask("?status=suppressed&reason=opted_out"),
                           Ask("?status=sent", htmx="results"), Ask(who=("agent",))],
    "survey-outbox": [Ask(), Ask("?status=pending"), Ask("?page=2", htmx="results")],
    "survey-settings": [Ask(), Ask(who=("csm",))],
    # Learning (issue 13): the email settings.
    "learning-settings": [Ask(), Ask(who=("csm",))],
    # The closed loop (issue 12): CSM tasks and the loop's figures.
    "task-list": [Ask(), Ask("?show=all&status=all"), Ask("?show=all&status=done"), Ask("?show=all&overdue=on"),
                  Ask("?show=all&status=snoozed"),
                  Ask("?show=all", htmx="results"), Ask(who=("csm",))],
    "survey-loop": [Ask(), Ask("?start={days_90}&end={today}"), Ask(who=("csm",))],
    # Health scores (issue 14): CSM tasks by status, the tasks API, the portfolio page.
    "api-task-list": [Ask(who=("api",)), Ask("?status=all", who=("api",)), Ask("?status=done", who=("api",)),
                      Ask("?status=all&assignee={csm_email}", who=("api",)),
                      Ask("?status=all&account={account_external_id}", who=("api",)),
                      Ask("?status=all&limit=1", who=("api",), follow_next=True)],
    "health-portfolio": [Ask(), Ask("?csm=all"), Ask("?csm={csm_pk}"), Ask(who=("csm",)),
                         Ask("?csm=all", htmx="results")],
    # Learning paths (issue 13): the authoring pages.
    "learning-path-list": [Ask(who=("admin", "agent"))],
    "learning-path-create": [Ask()],
    # Learning (issue 13): the CSM's figures.
    "learning-overview": [Ask(p) for p in PERIODS] + [Ask(htmx="results"), Ask(who=("csm", "agent"))],
    # Learning (issue 13): the paths of the API.
    "api-learning-paths": [Ask(who=("api",)), Ask("?limit=1", who=("api",), follow_next=True)],
}

# Route name -> why it is not read here. Each is also shown to refuse GET (405) by the main test.
EXCLUDED: dict[str, str] = {
    "inbox-bulk-assign": "POST only (assigns the selected tickets); no answer to read",
    "qa-build-sample": "POST only (queues a QA sample); no answer to read",
    "sla-policy-create-default": "POST only (creates the premium default policy); no answer to read",
    "catalog-add": "POST only (the add form lives on the catalog page, which is checked)",
    "health-backtest-run": "POST only (starts a backtest job; its result is shown by the backtest page, checked)",
    "playbook-add": "POST only (the new-playbook form lives on the playbook list, which is checked)",
}

# Detail pages and per-object reports of tenant A's own objects, each of which has a twin in tenant B with
# the same external id, name and email: kwarg values come from :func:`_values`.
OWN_OBJECTS: dict[str, list[Ask]] = {
    # The learner portal (issue 13): the learner's own path, step and certificate (the "learner" reader holds
    # A's learner session), the public certificate, the magic link's page and the sign-in form.
    "learner-path": [Ask(who=("learner",))],
    "learner-step": [Ask(who=("learner",))],
    "learner-certificate": [Ask(who=("learner",))],
    "certificate-verify": [Ask(who=("anonymous",))],
    "learner-link": [Ask(who=("anonymous",))],
    "learner-sign-in": [Ask(who=("anonymous",))],
    "account-detail": [Ask(), Ask(htmx="timeline"), Ask("?kind=csm.call&kind=ticket.opened", htmx="timeline"),
                       Ask("?kind=ticket.resolved&kind=ticket.reopened&kind=contact.first_seen")],
    "account-usage": [Ask(), Ask("?window=90"), Ask(htmx="usage"), Ask("?page=1", htmx="contacts")],
    # The account health page (issue 14): score, override and its history (lookalike sets one), trend, changes.
    "account-health": [Ask(who=("admin", "csm")), Ask(htmx="health-overview")],
    # A recompute's progress answers only for a health recompute job of this very account: A's one job is the
    # accounts import, so the answer is the 404, and it must stay so whatever B holds.
    "account-health-job": [Ask(status=404)],
    "contact-detail": [Ask(), Ask(htmx="timeline"), Ask("?kind=ticket.opened", htmx="timeline")],
    "note-create": [Ask(who=("admin", "csm"))],
    "note-edit": [Ask()],
    "ticket-detail": [Ask(who=STAFF)],
    "qa-rubric-detail": [Ask()],
    "contact-merge": [Ask("?q=a")],
    "api-account-detail": [Ask(who=("api",))],
    "api-account-usage": [Ask(who=("api",)), Ask("?window=7", who=("api",))],
    "api-account-health": [Ask(who=("api",))],
    "api-account-health-history": [Ask(who=("api",)), Ask("?from={days_90}&to={yesterday}", who=("api",))],
    "api-contact-detail": [Ask(who=("api",))],
    "api-ticket-detail": [Ask(who=("api",))],
    "helpcenter-category": [Ask(who=("anonymous",))],
    "helpcenter-article": [Ask(who=("anonymous",))],
    "job-progress": [Ask(), Ask(htmx="progress")],
    "api-job-detail": [Ask(who=("api",))],
    # Edit forms: their choice lists (owners, accounts, agents, managers, categories, calendars) are tenant A's.
    "account-edit": [Ask()],
    "contact-edit": [Ask()],
    "survey-contact-invite": [Ask()],
    "catalog-edit": [Ask()],
    "scorecard-detail": [Ask()],
    "scorecard-edit": [Ask()],
    "alert-rule-edit": [Ask()],
    "playbook-detail": [Ask(), Ask(who=("csm",))],
    "account-alerts": [Ask(), Ask(who=("csm",))],
    "team-edit": [Ask()],
    "macro-edit": [Ask()],
    "ticket-macro": [Ask("?macro={macro_pk}")],
    "qa-review-detail": [Ask(who=("admin", "manager"))],
    "kb-article-edit": [Ask()],
    "kb-category-edit": [Ask()],
    "sla-policy-edit": [Ask()],
    "sla-calendar-edit": [Ask()],
    "survey-detail": [Ask(), Ask("?page=2"), Ask(htmx="results")],
    "survey-edit": [Ask()],
    "api-account-survey-responses": [Ask(who=("api",))],
    "api-contact-enrollments": [Ask(who=("api",))],
    # The public survey page of A's link (anonymous; the token names A's invitation, see _values).
    "survey-public-answer": [Ask(who=("anonymous",))],
    "survey-public-opt-out": [Ask(who=("anonymous",))],
    "ticket-csat": [Ask(who=STAFF), Ask(htmx="ticket-csat")],
    "ticket-learning-paths": [Ask(who=STAFF), Ask(htmx="ticket-learning")],
    "campaign-detail": [Ask()],
    "campaign-edit": [Ask()],
    "task-detail": [Ask()],
    "api-task-detail": [Ask(who=("api",))],
    "survey-logo-file": [Ask(who=("anonymous",))],
    "learning-contact": [Ask(), Ask(who=("agent",), htmx="contact-learning")],
    "learning-path-detail": [Ask(who=("admin", "agent"))],
    "learning-path-edit": [Ask()],
    "learning-step-create": [Ask(), Ask("?kind=quiz"), Ask("?kind=article"), Ask("?kind=product_task")],
    "learning-step-edit": [Ask()],
    "learning-path-publish": [Ask()],
    "learning-path-migrate": [Ask()],
    "learning-path-preview": [Ask()],
    "learning-version-preview": [Ask()],
    "lesson-image-file": [Ask(who=("anonymous",))],
    "learning-path-report": [Ask(p) for p in PERIODS] + [Ask(htmx="results")],
    "account-learning": [Ask(), Ask(who=("csm",))],
}

# Object routes not read with A's own objects, and why. Each is also shown to refuse GET (405).
OWN_OBJECTS_EXCLUDED: dict[str, str] = {name: "POST only: a change, no answer to read" for name in (
    "api-ticket-interactions", "api-ticket-status", "apikey-revoke", "member-role", "member-remove",
    "catalog-delete", "team-delete", "ticket-reply", "ticket-status", "ticket-assign", "ticket-callback",
    "macro-delete", "callback-complete", "qa-rubric-active", "qa-review-calibrate", "kb-article-publish",
    "kb-article-delete", "kb-category-delete", "sla-policy-delete", "sla-calendar-delete", "sla-holiday-add",
    "sla-holiday-delete", "note-delete", "ticket-tags", "ticket-merge", "api-ticket-merge", "campaign-start",
    "campaign-pause", "task-complete", "task-reopen", "task-snooze", "task-comment", "task-due", "task-assign",
    "survey-logo-upload", "survey-logo-remove",
    "learning-contact-enroll", "learning-enrollment-withdraw",
    "learning-step-move", "learning-step-delete", "learning-path-unpublish", "learning-image-upload",
    "scorecard-recompute",
    "account-health-override", "account-health-override-remove", "account-health-recompute",
    "playbook-step-add", "playbook-step-edit", "playbook-step-move", "playbook-step-delete", "playbook-start",
    "account-playbook-start",
)}

NORMALIZE: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*'), r"\1<csrf>"),
    (re.compile(r'("X-CSRFToken": ")[^"]*'), r"\1<csrf>"),
    (re.compile(r'(nonce=")[^"]*'), r"\1<nonce>"),
    # django.contrib.humanize's naturaltime: "now", "a minute ago", "3\xa0hours ago", "1\xa0day, 2\xa0hours ago".
    # "now" only as a whole element's text, so that "Sync now" in an article stays.
    (re.compile(r"(?<=>)now(?=<)|\b(?:an?|\d+)[\s\xa0]\w+(?:,[\s\xa0]\d+[\s\xa0]\w+)?[\s\xa0](?:ago|from now)\b"),
     "<relative>"),
    (re.compile(r"(since=)[0-9T:.%A-Fa-f+\-]+"), r"\1<since>"),
    # A datetime-local input's upper bound is "now" plus the years allowed: on a loaded machine the reads
    # before and after B's load (and the control read) fall in three different minutes.
    (re.compile(r'(type="datetime-local"[^>]* max=")[^"]*'), r"\1<max>"),
    (re.compile(r'(name="since" value=")[^"]*'), r"\1<since>"),
    (re.compile(r"(updated )\d\d:\d\d:\d\d(, refreshes every)"), r"\1<generated-at>\2"),
    # The API-key list's "Last used" cell (after name, prefix, scopes, created): this test's own API reads stamp it.
    (re.compile(r"(…</code></td>\s*<td>[^<]*</td>\s*<td>[^<]*</td>\s*<td>)(?:\d{4}-\d\d-\d\d \d\d:\d\d|never)(</td>)"),
     r"\1<last-used>\2"),
)


def normalize(body: str) -> str:
    for pattern, replacement in NORMALIZE:
        body = pattern.sub(replacement, body)
    return body


def candidate_routes() -> list[Route]:
    """Tenant pages and API routes answering GET, without an object kwarg; and the help center's home."""
    pages = [r for r in tenant_page_routes() if not r.object_kwargs]
    api = [r for r in api_routes() if not r.object_kwargs and r.view_class and hasattr(r.view_class, "get")]
    help_home = [r for r in all_routes() if r.route == "help/<slug:help_slug>/"]
    return pages + api + help_home


def _by_name() -> dict[str, Route]:
    return {r.name: r for r in all_routes() if r.name}


def unlisted(routes: list[Route]) -> list[str]:
    """Names (or patterns, for an unnamed route) of the routes neither checked nor excluded."""
    return sorted(r.name or r.route for r in routes if r.name not in CHECKED and r.name not in EXCLUDED)


def test_every_list_and_report_route_is_checked():
    names = [r.name for r in candidate_routes()]
    missing = unlisted(candidate_routes())
    assert not missing, f"add these routes to CHECKED (with their variants) or EXCLUDED (with a reason): {missing}"
    stale = sorted((set(CHECKED) | set(EXCLUDED)) - set(names))
    assert not stale, f"CHECKED/EXCLUDED name routes that are no longer list/report routes: {stale}"
    assert not set(CHECKED) & set(EXCLUDED)
    assert all(reason.strip() for reason in EXCLUDED.values())
    objects = {r.name for r in object_routes()} - set(CHECKED)  # the help center home: its kwarg is the tenant
    missing = sorted(objects - set(OWN_OBJECTS) - set(OWN_OBJECTS_EXCLUDED))
    assert not missing, f"add these object routes to OWN_OBJECTS or OWN_OBJECTS_EXCLUDED (with a reason): {missing}"
    stale = sorted((set(OWN_OBJECTS) | set(OWN_OBJECTS_EXCLUDED)) - objects)
    assert not stale, f"OWN_OBJECTS/OWN_OBJECTS_EXCLUDED name routes that are no longer object routes: {stale}"


def test_a_new_list_page_or_api_list_is_flagged(settings):
    """A tenant page and an API list added to the URLconf, and not to CHECKED or EXCLUDED, are reported."""
    import sys
    import types

    from django.urls import include, path
    from rest_framework.views import APIView

    class NewList(APIView):
        def get(self, request):
            raise AssertionError("never called")

    urls = types.ModuleType("tests.isolation._urls_with_new_routes")
    urls.urlpatterns = [
        path("t/<slug:tenant_slug>/new-report/", lambda request, tenant_slug: None, name="new-report"),
        path("api/v1/new-things", NewList.as_view(), name="api-new-things"),
        path("", include(settings.ROOT_URLCONF)),
    ]
    sys.modules[urls.__name__] = urls
    try:
        settings.ROOT_URLCONF = urls.__name__
        assert unlisted(candidate_routes()) == ["api-new-things", "new-report"]
    finally:
        del sys.modules[urls.__name__]


def test_normalization_only_touches_what_varies():
    page = ('<input type="hidden" name="csrfmiddlewaretoken" value="abc"><script nonce="xyz"></script>'
            '<td>3\xa0minutes ago</td><td>1\xa0day, 2\xa0hours ago</td><td>now</td>'
            '<a href="?status=any&since=2026-12-01T11%3A00%3A00.1%2B00%3A00">'
            '<span class="muted">updated 11:56:44, refreshes every 15 s</span>'
            '<td><code>csk_test_key…</code></td>\n<td>read</td> <td>2026-12-01</td><td>2026-12-01 11:56</td>'
            '<p>Press Sync now.</p>')
    assert normalize(page) == ('<input type="hidden" name="csrfmiddlewaretoken" value="<csrf>"><script '
                               'nonce="<nonce>"></script><td><relative></td><td><relative></td><td><relative></td>'
                               '<a href="?status=any&since=<since>">'
                               '<span class="muted">updated <generated-at>, refreshes every 15 s</span>'
                               '<td><code>csk_test_key…</code></td>\n<td>read</td> <td>2026-12-01</td>'
                               '<td><last-used></td><p>Press Sync now.</p>')
    # Counts, sums, names, dates and percentages stay as they are.
    kept = "<td>42</td><td>1,234.50</td><td>Acme Labs</td><td>2026-11-30</td><td>87.5%</td><td>8m 32s</td>"
    assert normalize(kept) == kept


# ------------------------------------------------------------------------------------------- the reading


@dataclass
class Readers:
    clients: dict[str, Client]
    values: dict[str, object]


def _readers(a) -> Readers:
    clients = {"admin": a.client_for(a.admin), "api": a.api(), "anonymous": Client()}
    from learning.portal.sessions import COOKIE

    clients["learner"] = Client()
    clients["learner"].cookies[COOKIE] = lookalike.LEARNER_TOKENS[a.tenant.pk]["session"]
    for name, role in (("manager", Role.MANAGER), ("agent", Role.AGENT), ("csm", Role.CSM)):
        client = Client()
        client.force_login(lookalike.staff_user(role))
        clients[name] = client
    return Readers(clients=clients, values=_values(a))


def _values(a) -> dict[str, object]:
    from accounts.models import AccountNote, Contact, CsmTask, CustomerAccount, Job, Membership
    from health.usage.models import CatalogEntry
    from learning.models import LearningPath, LessonImage, PathVersion, Step
    from support.models import (
        Agent,
        Article,
        ArticleCategory,
        BusinessCalendar,
        Callback,
        Holiday,
        Macro,
        QaReview,
        QaRubric,
        SlaPolicy,
        Team,
        Ticket,
    )
    from surveys.models import Campaign, Survey, SurveyLogo

    today = lookalike.today_of(a.tenant)
    with a.scope():
        logo = SurveyLogo.objects.get()
        learning_path = LearningPath.objects.get(name="Admin onboarding")
        lesson_image = LessonImage.objects.get()
        account = CustomerAccount.objects.get(external_id="ACC-1001")
        contact = Contact.objects.get(external_id="CON-1001-1")
        ticket = Ticket.objects.get(external_id="DEMO-1001")
        agent_user = lookalike.staff_user(Role.AGENT)
        agent = Agent.objects.get(user=agent_user)
        category = ArticleCategory.objects.get(slug="getting-started")
        article = Article.objects.filter(category=category).order_by("slug").first()
        csm = lookalike.staff_user(Role.CSM)
        return {
            "tenant_slug": a.tenant.slug, "help_slug": a.tenant.slug,
            "today": today.isoformat(), "yesterday": (today - dt.timedelta(days=1)).isoformat(),
            "days_90": (today - dt.timedelta(days=90)).isoformat(), "ytd": today.replace(month=1, day=1).isoformat(),
            "since": "2026-01-01T00:00:00%2B00:00",
            "csm_pk": csm.pk, "csm_email": csm.email, "agent_pk": agent.pk, "agent_email": agent.email,
            "team_pk": Team.objects.get(name="Frontline").pk, "category_pk": category.pk,
            "account_pk": account.pk, "account_external_id": account.external_id,
            "contact_pk": contact.pk, "contact_external_id": contact.external_id,
            "ticket_pk": ticket.pk, "ticket_external_id": ticket.external_id,
            "qarubric_pk": QaRubric.objects.get().pk, "category_slug": category.slug, "article_slug": article.slug,
            "article_pk": article.pk, "articlecategory_pk": category.pk,
            "macro_pk": Macro.objects.order_by("name")[0].pk, "job_pk": Job.objects.get().pk,
            "slapolicy_pk": SlaPolicy.objects.order_by("name")[0].pk,
            "businesscalendar_pk": BusinessCalendar.objects.get().pk, "holiday_pk": Holiday.objects.get().pk,
            "catalogentry_pk": CatalogEntry.objects.order_by("event_name")[0].pk,
            "scorecard_pk": Scorecard.objects.get(name=lookalike.SCORECARD_NAME).pk,
            **_alert_values(),
            "qareview_pk": QaReview.objects.filter(state=QaReview.State.SUBMITTED).order_by("pk")[0].pk,
            "callback_pk": Callback.objects.order_by("external_id")[0].pk, "apikey_pk": a.api_key.pk,
            "membership_pk": Membership.objects.get(user=csm).pk,
            "note_pk": AccountNote.objects.get(account=account, kind="call").pk,
            "survey_pk": Survey.objects.get(kind="nps", is_default=True).pk,
            "token": lookalike.SURVEY_TOKENS[a.tenant.pk][contact.external_id],
            "campaign_pk": Campaign.objects.get(name="Relationship NPS").pk,
            "task_pk": CsmTask.objects.order_by("due_on", "source_id")[0].pk,
            "logo_tenant_slug": a.tenant.slug, "surveylogo_pk": logo.pk, "logo_key": logo.key,
            "learningpath_pk": learning_path.pk,
            "pathversion_pk": PathVersion.objects.get(path=learning_path, number=1).pk,
            "step_pk": Step.objects.get(version__path=learning_path, version__number__isnull=True, position=1).pk,
            "image_tenant_slug": a.tenant.slug, "lessonimage_pk": lesson_image.pk, "image_key": lesson_image.key,
            **_learning_values(a, contact),
        }


def _alert_values() -> dict[str, object]:
    from health.alerts.models import AlertRule, Playbook, PlaybookStep

    playbook = Playbook.objects.get(name=lookalike.PLAYBOOK)
    return {"alertrule_pk": AlertRule.objects.get(kind="score_drop").pk, "playbook_pk": playbook.pk,
            "playbookstep_pk": PlaybookStep.objects.filter(playbook=playbook).order_by("position")[0].pk}


def _learning_values(a, contact) -> dict[str, object]:
    from learning.models import Enrollment

    enrollment = Enrollment.objects.get(contact=contact, path__name="Pipeline basics")  # lookalike._learning_portal
    return {"enrollment_pk": enrollment.pk, "step_key": "welcome", "certificate_code": enrollment.certificate_code,
            "link_token": lookalike.LEARNER_TOKENS[a.tenant.pk]["link"], "learner_tenant_slug": a.tenant.slug}



def _body(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode("utf-8", errors="replace")


def read_answers(readers: Readers, asks: dict[str, list[Ask]]) -> dict[str, tuple[int, str, str]]:
    """``"who GET url [htmx]"`` -> (status, content type, normalized body) for every ask."""
    routes = _by_name()
    answers = {}
    for name, route_asks in asks.items():
        route = routes[name]
        for ask in route_asks:
            url = route.fill(readers.values) + ask.query.format(**readers.values)
            headers = {"HX-Request": "true", "HX-Target": ask.htmx} if ask.htmx else {}
            for who in ask.who:
                response = readers.clients[who].get(url, headers=headers)
                body = _body(response)
                key = f"{who} GET {url}" + (f" [htmx {ask.htmx}]" if ask.htmx else "")
                if ask.follow_next and response.status_code == 200:
                    following = json.loads(body).get("next")
                    assert following, f"{key}: no second page to follow"
                    body += "\n" + _body(readers.clients[who].get(following))
                answers[key] = (response.status_code, response.get("Content-Type", ""), normalize(body), ask.status)
    return answers


def differences(before: dict, after: dict) -> dict[str, str]:
    """Answer key -> what changed (status and content type, or the first lines of the body's diff)."""
    found = {}
    for key, (status, ctype, body, _) in before.items():
        status2, ctype2, body2, _ = after[key]
        if (status, ctype) != (status2, ctype2):
            found[key] = f"{key}: {status} {ctype} became {status2} {ctype2}"
        elif body != body2:
            diff = difflib.unified_diff(body.splitlines(), body2.splitlines(), lineterm="", n=0)
            found[key] = f"{key}:\n" + "\n".join(list(diff)[2:14])
    return found


def check_unchanged(a, b, asks: dict[str, list[Ask]], small: lookalike.Size, large: lookalike.Size, *,
                    control: bool, load: Callable = lookalike.load, readers: Callable = None) -> None:
    """``load`` A (``small``), read ``asks``, load B (``large``, twins), read again: every answer identical.

    ``control`` (inside the test's transaction): B's load goes in a savepoint, and an answer that changed is
    read once more after rolling it back. Only a change that B's rows make counts: one that stays without them
    is the clock's (an SLA clock running out between the two reads), not a leak."""
    for world in (a, b):
        lookalike.add_staff(world.tenant)
    load(a.tenant, small)
    readers = (readers or _readers)(a)
    before = read_answers(readers, asks)
    wrong = {k: (s, v[:200]) for k, (s, _, v, expected) in before.items() if s != expected}
    assert not wrong, f"answers other than the expected status (nothing meaningful to compare): {wrong}"

    savepoint = transaction.savepoint() if control else None
    load(b.tenant, large, twins=True)
    _assert_b_outgrew_a(a, b)
    after = read_answers(readers, asks)
    changed = differences(before, after)
    if savepoint is not None:
        transaction.savepoint_rollback(savepoint)
        if changed:
            again = read_answers(readers, asks)
            changed = {k: v for k, v in changed.items() if k in differences(again, after)}
    assert not changed, "tenant A's answers changed when tenant B got data:\n\n" + "\n\n".join(changed.values())


def test_tenant_a_answers_do_not_change_when_tenant_b_grows(worlds):
    a, b = worlds
    check_unchanged(a, b, CHECKED | OWN_OBJECTS, lookalike.SMALL, lookalike.LARGE, control=True)
    readers = _readers(a)
    routes = _by_name()
    for name in (*EXCLUDED, *OWN_OBJECTS_EXCLUDED):
        client = readers.clients["api" if routes[name].route.startswith("api/") else "admin"]
        url = routes[name].fill(readers.values)
        assert client.get(url).status_code == 405, f"{name} answers GET: check it, do not exclude it"


REPORTS = ("report-agents", "report-teams", "report-management", "api-report-support")


@pytest.mark.django_db(transaction=True)
def test_reports_unchanged_when_read_on_parallel_connections(worlds, settings):
    """The reports' queries run two at a time on the pool threads' own connections, each in a tenant scope
    of its own (cs_platform.parallel_reads), but only outside a transaction: so the reports again, committed."""
    settings.READ_THREADS = 2
    a, b = worlds
    small = lookalike.Size(accounts=6, contacts_per_account=3, events=600, tickets=16, qa_per_agent=2, merges=1)
    large = lookalike.Size(accounts=30, contacts_per_account=4, events=3_000, tickets=40, qa_per_agent=10, merges=4)
    check_unchanged(a, b, {name: CHECKED[name] for name in REPORTS}, small, large, control=False)
    assert parallel_reads._pool is not None, "the reports did not use the parallel read connections"


def _assert_b_outgrew_a(a, b) -> None:
    """The load is big enough to move every aggregate: B holds at least A's rows of every kind (its
    configuration rows, such as SLA policies and rubric criteria, are twins of A's), and at least twice A's
    accounts, contacts, events, rollups, tickets, interactions and QA reviews."""
    from django.apps import apps

    from accounts.tenancy import TenantOwnedModel

    volume = {"accounts.CustomerAccount", "accounts.Contact", "health.UsageEvent", "health.UsageDaily",
              "support.Ticket", "support.Interaction", "support.TicketStatusChange", "support.QaReview"}
    thin = []
    for model in apps.get_models():
        if not issubclass(model, TenantOwnedModel):
            continue
        counts = []
        for world in (a, b):
            with tenant_scope(world.tenant):
                counts.append(model.objects.count())
        label = model._meta.label
        if counts[1] < counts[0] or (label in volume and counts[1] < 2 * counts[0]):
            thin.append(f"{label}: A {counts[0]}, B {counts[1]}")
    assert not thin, f"tenant B's load is too thin to move A's figures: {thin}"


# ------------------------------------------------------------------------------- proof that it catches leaks


def _unscoped_api_account_rows(*, tenant):
    from accounts.models import CustomerAccount

    return CustomerAccount.objects.unscoped().select_related("owner_csm")


def _unscoped_account_choices(tenant):
    from accounts.models import CustomerAccount

    return CustomerAccount.objects.unscoped().order_by("name", "pk")


def _other_tenants_agent_choices(*, tenant):
    """The tenant from the wrong place (DESIGN.md tenancy rule 3): the other tenant's agents, read in its scope."""
    from accounts.models import Tenant

    other = Tenant.objects.exclude(pk=tenant.pk).get(slug="bravo")
    with tenant_scope(other):
        return ORIGINAL_AGENT_CHOICES(tenant=other)


def _original_agent_choices():
    from support.desk.selectors import agent_choices

    return agent_choices


ORIGINAL_AGENT_CHOICES = _original_agent_choices()


def _rls_hides_other_tenants(a) -> bool:
    """Row-level security (DESIGN.md tenancy rule 8): an unscoped query in A's scope sees none of B's rows."""
    from accounts.models import CustomerAccount

    with a.scope():
        return not CustomerAccount.objects.unscoped().exclude(tenant=a.tenant).exists()


@pytest.mark.parametrize("target, replacement, route, unscoped", [
    ("accounts.api.AccountListView.list_rows", staticmethod(_unscoped_api_account_rows), "api-account-list", True),
    ("accounts.selectors.account_choices", _unscoped_account_choices, "contact-list", True),
    ("support.desk.selectors.agent_choices", _other_tenants_agent_choices, "inbox", False),
], ids=["unscoped-api-account-rows", "unscoped-account-choices", "other-tenants-agent-choices"])
def test_leaking_selector_is_caught(target, replacement, route, unscoped, worlds, monkeypatch):
    """A selector that drops its tenant filter (``.objects.unscoped()``), or reads in the wrong tenant's scope,
    changes A's answers once B has its look-alike rows, although none of them carries a marker: the comparison
    above fails on it. (Once row-level security hides B's rows from an unscoped query, that query cannot leak:
    then A's answers must stay the same; the wrong-scope read is not the database's to catch.)"""
    a, b = worlds
    monkeypatch.setattr(target, replacement)
    asks = {route: [ask for ask in CHECKED[route] if "{" not in ask.query and ask.who in (("admin",), ("api",))]}
    assert asks[route]
    small = lookalike.Size(accounts=8, contacts_per_account=1, events=0, tickets=0, qa_per_agent=1)
    large = lookalike.Size(accounts=30, contacts_per_account=1, events=0, tickets=0, qa_per_agent=1)
    run = functools.partial(check_unchanged, a, b, asks, small, large, control=True, load=_accounts_and_agents,
                            readers=lambda w: Readers(clients={"admin": w.client_for(w.admin), "api": w.api()},
                                                      values={"tenant_slug": w.tenant.slug}))
    if unscoped and _rls_hides_other_tenants(a):
        run()  # row-level security hides B's rows: A's answers stay the same
    else:
        with pytest.raises(AssertionError, match="tenant A's answers changed when tenant B got data:\\s+\\w+ GET /"):
            run()


def _accounts_and_agents(tenant, size: lookalike.Size, *, twins: bool = False) -> None:
    """The light load of the leak proofs: accounts, contacts and agents."""
    lookalike.load_accounts(tenant, size, twins=twins)
    lookalike.load_agents(tenant, twins=twins)
