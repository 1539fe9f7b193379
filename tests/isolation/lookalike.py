"""Look-alike tenant data for the marker-free leak checks (tests/isolation/test_answers_unchanged.py).

Both tenants get rows from the same deterministic generators (the demo seed's: ``accounts.demo_data``,
``health.usage.demo``, ``support.demo``), keyed by one *data* slug instead of the tenant's own, so item ``i``
is the same in both: the same account and contact external ids, names and emails, the same ticket external
ids, subjects, channels and times, the same KB articles, macros, teams, SLA policies and the same staff.
Tenant B is given more of everything, so a query that loses its tenant filter changes tenant A's counts,
sums, percentiles and orderings instead of merely showing a foreign name.

Everything is written through the services (as the demo seed and the API do), inside ``tenant_scope``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.demo_data import DEMO_EMAIL, DEMO_TENANTS, account_items, contact_items, staff_rows
from accounts.models import Job, Membership, Role
from accounts.selectors import account_by_external_id, contact_by_external_id
from accounts.services.contacts import upsert_contacts
from accounts.services.customers import upsert_accounts
from accounts.services.tenants import create_api_key, create_staff_member
from accounts.tenancy import tenant_scope
from accounts.timeline.services import create_note
from health.scores.overrides import set_override
from health.scores.services import recompute as recompute_health
from health.usage import demo as usage_demo
from health.usage.services.ingest import ingest_events
from health.usage.services.rollups import merge_pending_usage
from learning import demo as learning_demo
from support import demo as support_demo
from support.desk.services import save_macro
from support.knowledge.services import qualify_ticket
from support.models import BusinessCalendar, Macro, QaCriterion, QaReview, QaRubric, SlaEvent, Ticket
from support.qa.services import CriterionInput, ScoreInput, sample_reviews, start_calibration, submit_review
from support.records.services.agents import agent_for_user, upsert_agents
from support.records.services.identities import merge_contacts
from support.reports.periods import fiscal_year_start
from support.reports.services import record_support_cost
from support.sla.services import add_holiday, check_sla

# The staff of both tenants: the same people (the same users) in the same roles, the first demo tenant's.
DATA = dataclasses.replace(DEMO_TENANTS[0], slug="lookalike", name="Look-alike", staff_domain="staff.lookalike.test")
TWIN_DOMAIN = "twins.bravo.test"  # tenant B's own staff: the same names as A's, other users


@dataclass(frozen=True)
class Size:
    accounts: int
    contacts_per_account: int
    events: int
    tickets: int
    qa_per_agent: int
    merges: int = 0  # accounts whose last contact is merged into their first (support's merge service)


SMALL = Size(accounts=8, contacts_per_account=3, events=1_500, tickets=24, qa_per_agent=3, merges=2)  # tenant A
# Tickets go through the per-ticket services (~0.1 s each): enough to move every figure, not more.
LARGE = Size(accounts=60, contacts_per_account=5, events=12_000, tickets=60, qa_per_agent=20, merges=8)  # tenant B


def today_of(tenant) -> dt.date:
    return timezone.now().astimezone(tenant.zone).date()


def staff_user(role: str):
    """The shared staff member with ``role`` (a user of both tenants)."""
    email = next(r["email"] for r in staff_rows(DATA) if r["role"] == role)
    return get_user_model().objects.get(email=email)


def add_staff(tenant) -> None:
    """The shared staff (the demo seed's staff rows, the demo user among them) join ``tenant``. Done for both
    tenants before tenant A's answers are first read: a membership in B legitimately changes what a shared
    user sees (the tenant switcher), unlike B's data."""
    with tenant_scope(tenant):
        for row in staff_rows(DATA):
            create_staff_member(tenant=tenant, email=row["email"], role=row["role"], name=row["name"])


PLAYBOOK = "Rescue the account"


def _health_alerts(tenant, today: dt.date) -> None:
    """Issue 14: the default alert rules, a playbook the "turns red" rule starts, and today's evaluation (its
    alerts, their tasks and the playbook's runs), the same in both tenants."""
    from health.alerts.models import AlertRule, RuleKind
    from health.alerts.services import (
        PlaybookData,
        StepData,
        add_step,
        ensure_default_rules,
        evaluate_rules,
        save_playbook,
    )

    playbook = save_playbook(tenant=tenant, playbook=None, data=PlaybookData(name=PLAYBOOK, description="When red"))
    for title, offset in (("Call the sponsor", 0), ("Usage review", 7)):
        add_step(tenant=tenant, playbook=playbook, data=StepData(title=title, due_offset_days=offset))
    ensure_default_rules(tenant=tenant)
    AlertRule.objects.filter(tenant=tenant, kind=RuleKind.TURNS_RED).update(playbook=playbook)
    evaluate_rules(tenant=tenant, day=today)


def load(tenant, size: Size, *, twins: bool = False) -> None:
    """Accounts, contacts, usage (events, rollups), the support desk (teams, agents, SLA, KB, macros,
    tickets with interactions on every channel, assignments, status history, callbacks, presence), SLA
    events, KB suggestions, QA rubric and reviews, and support costs, for ``tenant``. ``twins``: also staff
    with the same names as the shared ones but other users, who become agents too."""
    today = today_of(tenant)
    now = timezone.now()
    accounts, by_account = load_accounts(tenant, size, twins=twins)
    with tenant_scope(tenant):
        usage_demo.seed_catalog(tenant=tenant)
        events = usage_demo.usage_items(slug=DATA.slug, timezone=tenant.timezone, accounts=accounts,
                                        contacts=by_account, today=today, total=size.events)
        for start in range(0, len(events), usage_demo.BATCH):
            result = ingest_events(tenant=tenant, items=events[start:start + usage_demo.BATCH], now=now)
            assert not result.rejected, result.rejected[:3]
        merge_pending_usage(tenant=tenant)

        agents = load_agents(tenant, twins=twins)
        support_demo.seed_team_managers(tenant=tenant)
        support_demo.seed_sla(tenant=tenant)
        calendar = BusinessCalendar.objects.get(tenant=tenant, name=support_demo.CALENDAR_NAME)
        add_holiday(tenant=tenant, calendar=calendar, date=dt.date(today.year, 12, 25), name="Christmas Day")
        support_demo.seed_knowledge_base(tenant=tenant)
        support_demo.seed_macros(tenant=tenant)
        if twins:  # B's own macro, named like none of A's: a leaking macro list grows by one
            save_macro(tenant=tenant, macro=Macro(name="Refund policy", body="Refunds within 30 days."))
        roster = sorted(((a.email, a.team.name if a.team else support_demo.FRONTLINE) for a in agents.values()),
                        key=lambda r: (r[1] != support_demo.TECHNICAL, r[0]))
        plans = support_demo.ticket_plans(slug=DATA.slug, timezone=tenant.timezone, accounts=accounts,
                                          contacts=by_account, agents=roster, today=today, count=size.tickets)
        support_demo.seed_tickets(tenant=tenant, plans=plans, agents=agents)
        support_demo.seed_presence(tenant=tenant, agents=agents, today=today)

        _notes(tenant, accounts[:3], now)
        Job.objects.create(tenant=tenant, kind="import_accounts", total=len(accounts), done=len(accounts),
                           state=Job.State.DONE, result={"created": len(accounts), "updated": 0, "rejected": []})
        merger = staff_user(Role.MANAGER)
        for account in accounts[:size.merges]:
            people = by_account[account["external_id"]]
            kept, merged = (contact_by_external_id(tenant=tenant, external_id=x) for x in (people[0], people[-1]))
            merge_contacts(tenant=tenant, kept=kept, merged=merged, merged_by=merger)
        check_sla(tenant=tenant, now=now)
        if twins:
            # B's tickets land on other accounts (it has more), whose clocks have not run out yet: record the
            # breaches check_sla will record when they do (the same rows, ahead of time).
            SlaEvent.objects.bulk_create([
                SlaEvent(tenant=tenant, ticket=t, clock=SlaEvent.Clock.FIRST_RESPONSE, kind=SlaEvent.Kind.BREACH,
                         due_at=t.first_response_due_at)
                for t in Ticket.objects.filter(tenant=tenant, first_response_due_at__isnull=False)
            ], ignore_conflicts=True)
        _learning_paths(tenant)
        for ticket in Ticket.objects.filter(tenant=tenant).order_by("external_id")[:size.tickets // 2]:
            qualify_ticket(ticket=ticket, now=now)
        _qa(tenant, size, today)
        _surveys(tenant, now)
        learning_demo.seed_learning(tenant=tenant, today=today)  # paths, enrollments, progress (issue 13)
        _learning_authoring(tenant)
        _learning_portal(tenant, now)
        _learning_api(tenant, now)
        _scorecards(tenant)
        # Health scores (issue 14) of the last three local days, from all of the above: the health API's answers.
        recompute_health(tenant=tenant, days=[today - dt.timedelta(days=n) for n in range(3)])
        _health_override(tenant, now)
        _health_alerts(tenant, today)
        start = fiscal_year_start(tenant=tenant, today=today)
        month = start
        while month <= today:
            record_support_cost(tenant=tenant, month=month, amount=Decimal("4200.00"), currency="USD")
            record_support_cost(tenant=tenant, month=month, amount=Decimal("1300.00"), currency="USD",
                                team_name=support_demo.FRONTLINE)
            month = (month + dt.timedelta(days=32)).replace(day=1)


SCORECARD_NAME = "Premium accounts"


def _scorecards(tenant) -> None:
    """The same premium scorecard in both tenants (issue 14): the scorecard list counts the accounts each one
    applies to, and a preview reads both tenants' look-alike accounts and scores if it loses its tenant."""
    from health.scores.definitions import default_definition
    from health.scores.services import ScorecardData, ensure_default_scorecard, save_scorecard

    ensure_default_scorecard(tenant=tenant)
    save_scorecard(tenant=tenant, scorecard=None, by=None, data=ScorecardData(
        name=SCORECARD_NAME, definition=default_definition(), tiers=["premium"], priority=10))


def _learning_paths(tenant) -> None:
    """A published learning path per knowledge-base article (recommend and enroll in turn), made before the
    tickets are qualified: the ticket page's learning panel and the replies' recommendations get look-alike
    rows (issue 13, support to learning)."""
    from learning.paths.services import PathData, StepData, publish, save_path, save_steps
    from support.models import Article

    for n, article in enumerate(Article.objects.filter(tenant=tenant, is_published=True).order_by("slug")):
        path = save_path(tenant=tenant, path=None, data=PathData(
            name=f"Learn: {article.title}"[:200], support_action="enroll" if n % 2 else "recommend"))
        save_steps(tenant=tenant, path=path, steps=[StepData(kind="article", title="Read", article=article)])
        publish(tenant=tenant, path=path, by=None)


def _notes(tenant, accounts: list[dict], now: dt.datetime) -> None:
    """The same CSM notes and logged touches on the first accounts (account timelines, issue 11)."""
    author = staff_user(Role.CSM)
    for i, item in enumerate(accounts):
        account = account_by_external_id(tenant=tenant, external_id=item["external_id"])
        for kind, subject in (("call", "Quarterly check-in"), ("note", "Renewal risk")):
            create_note(tenant=tenant, account=account, author=author, kind=kind, subject=subject,
                        body=f"{subject} with {item['name']}.", happened_at=now - dt.timedelta(days=i + 1, hours=2))


def load_accounts(tenant, size: Size, *, twins: bool = False) -> tuple[list[dict], dict[str, list[str]]]:
    """The accounts and contacts of :func:`load` (and B's twin staff and API key); answers the account items
    and each account's contact external ids."""
    today = today_of(tenant)
    with tenant_scope(tenant):
        staff = staff_rows(DATA)
        if twins:
            for row in staff:
                local = row["email"].split("@")[0]
                create_staff_member(tenant=tenant, email=f"{local}@{TWIN_DOMAIN}", role=row["role"], name=row["name"])
            create_api_key(tenant=tenant, name="test", scopes=["read"])  # A's key's name, another key
        csm_emails = [r["email"] for r in staff if r["role"] == Role.CSM]
        accounts = account_items(DATA, count=size.accounts, csm_emails=csm_emails, today=today)
        contacts = contact_items(DATA, accounts, per_account=size.contacts_per_account)
        for upsert, items in ((upsert_accounts, accounts), (upsert_contacts, contacts)):
            for start in range(0, len(items), 200):
                result = upsert(tenant=tenant, items=items[start:start + 200])
                assert not result.rejected, result.rejected[:3]
    by_account: dict[str, list[str]] = {}
    for item in contacts:
        by_account.setdefault(item["account"], []).append(item["external_id"])
    return accounts, by_account


def load_agents(tenant, *, twins: bool = False) -> dict:
    """The shared staff's agents (support.demo's teams), and with ``twins`` B's same-named agents too;
    answers the shared ones by email."""
    with tenant_scope(tenant):
        agents = support_demo.seed_agents(tenant=tenant, agent_users=_agent_users(tenant, domain=DATA.staff_domain))
        if twins:
            twin_agents = _agent_users(tenant, domain=TWIN_DOMAIN)
            upsert_agents(tenant=tenant, items=[{"email": u.email, "name": u.get_full_name(),
                                                 "team": support_demo.FRONTLINE} for u, _ in twin_agents])
            # The shared manager is an agent in B only: a lookup of "the user's agent" that forgot its tenant
            # would find one in A.
            agent_for_user(tenant=tenant, user=staff_user(Role.MANAGER), role=Role.MANAGER)
    return agents


def _agent_users(tenant, *, domain: str) -> list:
    """(user, role) of ``tenant``'s members at ``domain`` who can be agents: the demo user (the Technical
    team in support.demo) first, then the agents, as accounts.demo_data does."""
    members = (Membership.objects.filter(tenant=tenant, user__email__endswith=f"@{domain}")
               .select_related("user").order_by("user__email"))
    agents = [(m.user, m.role) for m in members if m.role == Role.AGENT]
    demo = Membership.objects.filter(tenant=tenant, user__email=DEMO_EMAIL).select_related("user").first()
    return ([(demo.user, demo.role)] if demo and domain == DATA.staff_domain else []) + agents


# Tenant pk -> the raw tokens of the learner portal's reader (LEARNER): a magic link and a session cookie.
LEARNER_TOKENS: dict[int, dict[str, str]] = {}
LEARNER = "CON-1001-1"


def _learning_portal(tenant, now: dt.datetime) -> None:
    """A learning path for every contact, the same per contact external id in both tenants: a lesson done by
    half, a failed quiz attempt by a third, the whole path by a quarter and by ``LEARNER`` (certificates);
    ``LEARNER`` also gets a magic link and a learner session, whose tokens the readers take from here."""
    from accounts.models import Contact
    from learning.links import issue_link
    from learning.models import Enrollment, LearnerSession, LinkPurpose, Step
    from learning.progress import complete_step, submit_quiz
    from learning.services import enroll
    from surveys.tokens import new_token
    from tests.learning.portal_helpers import portal_path

    path = portal_path(tenant)
    contacts = list(Contact.objects.filter(tenant=tenant).order_by("external_id"))
    enroll(tenant=tenant, contact_ids=[c.pk for c in contacts])
    enrollments = {e.contact_id: e for e in Enrollment.objects.filter(tenant=tenant, path=path)}
    steps = {s.key: s for s in Step.objects.filter(tenant=tenant, version=path.current_version)}
    for n, contact in enumerate(contacts):
        enrollment, at = enrollments[contact.pk], now - dt.timedelta(days=n % 10, hours=2)
        if n % 3 == 0:
            submit_quiz(tenant=tenant, enrollment=enrollment, step=steps["check"], answers=[[1], [0, 2]])
        done = list(steps) if n % 4 == 0 or contact.external_id == LEARNER else ["welcome"] if n % 2 == 0 else []
        for key in done:
            complete_step(tenant=tenant, enrollment=enrollment, step=steps[key], done_at=at, evidence={"kind": key})
    learner = next(c for c in contacts if c.external_id == LEARNER)
    session_token, session_hash = new_token()
    LearnerSession.objects.create(tenant=tenant, contact=learner, token_hash=session_hash, created_at=now,
                                  last_seen_at=now, expires_at=now + dt.timedelta(days=30))
    LEARNER_TOKENS[tenant.pk] = {"session": session_token,
                                 "link": issue_link(tenant=tenant, contact=learner, purpose=LinkPurpose.INVITATION)}


def _learning_api(tenant, now: dt.datetime) -> None:
    """The same learning paths (slugs, steps) in both tenants, every contact enrolled, and the same external
    completions: a paths list or a contact's enrollments that lost its tenant grows or changes."""
    from accounts.models import Contact
    from learning.external.services import record_completions
    from learning.paths.services import PathData, StepData, publish, save_path, save_steps
    from learning.services import enroll

    first = None
    for name in ("API onboarding", "Reporting basics"):
        path = save_path(tenant=tenant, path=None, data=PathData(
            name=name, targeting={"personas": ["admin"]} if first is None else {},
            prerequisites=[first] if first else []))
        save_steps(tenant=tenant, path=path, steps=[
            StepData(kind="lesson", title="Welcome", key="welcome"),
            StepData(kind="product_task", title="Create a report", key="report", event_name="report.viewed")])
        publish(tenant=tenant, path=path, by=None)
        first = first or path
    contacts = list(Contact.objects.filter(tenant=tenant).order_by("external_id").values_list("pk", "external_id"))
    enroll(tenant=tenant, contact_ids=[pk for pk, _ in contacts])
    result = record_completions(tenant=tenant, items=[
        {"contact": external_id, "path": "reporting-basics", "step": "welcome",
         "completed_at": (now - dt.timedelta(days=n % 30)).isoformat(), "score": n % 101}
        for n, (_, external_id) in enumerate(contacts[:300])])
    assert not result.rejected, result.rejected[:3]


def _surveys(tenant, now: dt.datetime) -> None:
    """Responses of every contact to the default NPS and CSAT surveys (created on first use), the same per
    contact external id in both tenants: B, with more contacts, has more of them (the list's counts move)."""
    from accounts.models import Contact
    from surveys.services import record_responses

    contacts = Contact.objects.filter(tenant=tenant).order_by("external_id").values_list("external_id", flat=True)
    items = []
    for n, external_id in enumerate(contacts):
        items.append({"survey": "nps", "contact": external_id, "score": n % 11, "comment": f"Comment {n % 4}",
                      "submitted_at": (now - dt.timedelta(days=n % 30, hours=1)).isoformat(),
                      "external_id": f"SR-N-{external_id}"})
        if n % 2 == 0:
            items.append({"survey": "csat", "contact": external_id, "score": 1 + n % 5,
                          "submitted_at": (now - dt.timedelta(days=n % 20, hours=2)).isoformat()})
    result = record_responses(tenant=tenant, items=items)
    assert not result.rejected, result.rejected[:3]
    _sent_invitations(tenant, list(contacts), now)
    _invitations(tenant, now)
    _survey_links(tenant, now)
    # The triggers: CSAT invitations of the recent resolutions, and a campaign to every contact (its counts
    # and segment preview are per-tenant aggregates: a lost tenant filter would move them).
    from surveys.models import Survey
    from surveys.triggers.campaigns import CampaignData, run_campaigns, save_campaign, start_campaign
    from surveys.triggers.resolution import schedule_resolved_tickets

    schedule_resolved_tickets(tenant=tenant, now=now)
    nps = Survey.objects.get(tenant=tenant, kind="nps", is_default=True)
    campaign = save_campaign(tenant=tenant, campaign=None, by=None, data=CampaignData(
        survey=nps, name="Relationship NPS", segment={}, window_days=7, repeat_months=6))
    start_campaign(tenant=tenant, campaign=campaign, by=None, now=now)
    run_campaigns(tenant=tenant, now=now)
    _closed_loop(tenant, now)


def _invitations(tenant, now: dt.datetime) -> None:
    """Invitations of every contact to the default NPS survey: sent (the later ones answered, tied to the
    contact's NPS response) or suppressed with a reason, the same per contact external id in both tenants."""
    from accounts.models import Contact
    from surveys.models import Invitation, SuppressionReason, Survey, SurveyResponse

    nps = Survey.objects.get(tenant=tenant, kind="nps", is_default=True)
    reasons = SuppressionReason.values
    answers = dict(SurveyResponse.objects.filter(tenant=tenant, survey=nps).values_list("contact_id", "pk"))
    for n, contact in enumerate(Contact.objects.filter(tenant=tenant).order_by("external_id")):
        at = now - dt.timedelta(days=n % 30, hours=3)
        if n % 3 == 2:
            Invitation.objects.create(tenant=tenant, survey=nps, contact=contact, account=contact.account,
                                      trigger="campaign", status="suppressed", send_after=at, suppressed_at=at,
                                      suppressed_reason=reasons[n % len(reasons)])
            continue
        invitation = Invitation.objects.create(tenant=tenant, survey=nps, contact=contact, account=contact.account,
                                               trigger="campaign", status="sent", send_after=at, sent_at=at)
        if n % 3 == 1 and contact.pk in answers:
            SurveyResponse.objects.filter(tenant=tenant, pk=answers[contact.pk]).update(invitation=invitation)
    # CSAT answers about tickets (the support report's CSAT, the survey report's agent/team/channel groups).
    tickets = Ticket.objects.filter(tenant=tenant).order_by("external_id").values_list("pk", flat=True)
    csat = SurveyResponse.objects.filter(tenant=tenant, survey__kind="csat").order_by("contact__external_id", "pk")
    for response_pk, ticket_pk in zip(csat.values_list("pk", flat=True), tickets, strict=False):
        SurveyResponse.objects.filter(tenant=tenant, pk=response_pk).update(ticket_id=ticket_pk)


# Tenant pk -> contact external id -> the raw token of that contact's sent invitation (the public page's link;
# only its hash is stored, so the readers take it from here).
SURVEY_TOKENS: dict[int, dict[str, str]] = {}


def _survey_links(tenant, now: dt.datetime) -> None:
    """A sent NPS invitation per contact, the same in both tenants (B, with more contacts, has more)."""
    from accounts.models import Contact
    from surveys.models import Survey
    from surveys.sending.models import Invitation, InvitationStatus, Trigger
    from surveys.tokens import new_token

    survey = Survey.objects.get(tenant=tenant, kind="nps", is_default=True)
    tokens, rows = SURVEY_TOKENS.setdefault(tenant.pk, {}), []
    for contact in Contact.objects.filter(tenant=tenant).order_by("external_id"):
        token, token_hash = new_token()
        tokens[contact.external_id] = token
        rows.append(Invitation(tenant=tenant, survey=survey, contact=contact, account_id=contact.account_id,
                               trigger=Trigger.CAMPAIGN, status=InvitationStatus.SENT, send_after=now,
                               language="en", token_hash=token_hash, sent_at=now,
                               expires_at=now + dt.timedelta(days=28)))
    Invitation.objects.bulk_create(rows)


def _sent_invitations(tenant, contacts: list[str], now: dt.datetime) -> None:
    """Invitations through the API's service (a third of the contacts opted out first), decided by the sender
    and half of their emails delivered: the invitation list, its suppressed counts and the outbox move."""
    from accounts.selectors import contacts_by_external_id
    from surveys.models import OptOut
    from surveys.sending.outbox import deliver_outbox
    from surveys.sending.services import invite, send_due_invitations

    ids = contacts_by_external_id(tenant=tenant, external_ids=contacts[::3])
    OptOut.objects.bulk_create([OptOut(tenant=tenant, contact_id=pk, source=OptOut.Source.API)
                                for pk, _account in ids.values()])
    invite(tenant=tenant, survey_ref="ces", contacts=contacts[:200], now=now - dt.timedelta(minutes=5),
           send_at=now - dt.timedelta(minutes=5))
    send_due_invitations(tenant=tenant, now=now - dt.timedelta(minutes=4))
    deliver_outbox(tenant=tenant, now=now - dt.timedelta(minutes=4), limit=50)


def _closed_loop(tenant, now: dt.datetime) -> None:
    """The follow-up tasks of the low responses (the commit hook does not run in a test's transaction), a
    third of them done, and a logo on the default NPS survey."""
    from accounts.models import CsmTask
    from accounts.worklist.services import complete_task
    from surveys.branding.services import set_logo
    from surveys.loop.services import open_follow_ups
    from surveys.models import Survey, SurveyResponse
    from tests.surveys.images import png

    responses = SurveyResponse.objects.filter(tenant=tenant).order_by("pk").values_list("pk", flat=True)
    open_follow_ups(tenant=tenant, response_ids=list(responses), now=now)
    for task in list(CsmTask.objects.filter(tenant=tenant).order_by("source_id"))[::3]:
        complete_task(tenant=tenant, task=task, by=None, now=now)
    set_logo(tenant=tenant, survey=Survey.objects.get(tenant=tenant, kind="nps", is_default=True),
             data=png(40, 20), by=None)


def _qa(tenant, size: Size, today: dt.date) -> None:
    rubric = QaRubric(tenant=tenant)
    support_demo_criteria = [CriterionInput(name="Accuracy", weight=Decimal(2), max_score=5, position=0),
                             CriterionInput(name="Tone", weight=Decimal(1), max_score=5, position=1)]
    from support.qa.services import save_rubric

    rubric = save_rubric(tenant=tenant, rubric=rubric, name="Support quality", criteria=support_demo_criteria)
    since = timezone.now() - dt.timedelta(days=120)
    sample_reviews(tenant=tenant, rubric=rubric, since=since, per_agent=size.qa_per_agent)
    reviewer = staff_user(Role.MANAGER)
    criteria = list(QaCriterion.objects.filter(tenant=tenant, rubric=rubric).order_by("position"))
    queued = list(QaReview.objects.filter(tenant=tenant).order_by("ticket__external_id", "agent__email"))
    for n, review in enumerate(queued):
        if n % 3 == 2:
            continue  # stays in the queue
        if n % 7 == 0:
            start_calibration(tenant=tenant, review=review, reviewer=reviewer)
            continue
        submit_review(tenant=tenant, review=review, reviewer=reviewer, comment="",
                      scores=[ScoreInput(criterion=c, score=1 + (n + i) % 5) for i, c in enumerate(criteria)])


def _learning_authoring(tenant) -> None:
    """Two learning paths, the same in both tenants: "Admin onboarding" (for IT admins, v1 then v2 published,
    every admin enrolled on v1, a third of them with its first step done; a draft with a step of each kind
    and a lesson image) and "Everyone basics" (for everyone, published once). B's larger load enrolls more
    contacts: a count that loses its tenant changes A's list, versions and confirmations."""
    from learning.models import Enrollment, Step, StepProgress
    from learning.paths.services import PathData, StepData, add_lesson_image, publish, save_path, save_steps
    from learning.services import enroll
    from support.models import Article
    from tests.surveys.images import png

    article = Article.objects.filter(tenant=tenant).order_by("slug").first()
    admin = save_path(tenant=tenant, path=None, data=PathData(name="Admin onboarding", priority=10,
                                                               targeting={"personas": ["it_admin"]}))
    image = add_lesson_image(tenant=tenant, path=admin, data=png(8, 8), by=None)
    from learning.paths.images import markdown_snippet

    steps = [StepData(kind="lesson", title="Welcome", body_markdown="# Welcome\n\n"
                      + markdown_snippet(tenant=tenant, image=image, alt="the home page")),
             StepData(kind="quiz", title="Check", quiz={"questions": [{"text": "Ready?", "choices": [
                 {"text": "Yes", "correct": True, "feedback": "Good"}, {"text": "No"}]}], "passing_score": 100}),
             StepData(kind="article", title="Read", article=article),
             StepData(kind="product_task", title="Invite a teammate", event_name="user.invited",
                      event_match={"role": "admin"})]
    save_steps(tenant=tenant, path=admin, steps=steps)
    v1 = publish(tenant=tenant, path=admin, by=None)
    everyone = save_path(tenant=tenant, path=None, data=PathData(name="Everyone basics"))
    save_steps(tenant=tenant, path=everyone, steps=[StepData(kind="lesson", title="Basics", body_markdown="Hi")])
    publish(tenant=tenant, path=everyone, by=None)
    from accounts.models import Contact

    enroll(tenant=tenant, contact_ids=list(Contact.objects.filter(tenant=tenant).values_list("pk", flat=True)))
    first = Step.objects.get(tenant=tenant, version=v1, position=1)
    done = list(Enrollment.objects.filter(tenant=tenant, path=admin).order_by("contact__external_id"))[::3]
    StepProgress.objects.bulk_create([StepProgress(tenant=tenant, enrollment=e, step=first, done_at=e.enrolled_at)
                                      for e in done])
    save_steps(tenant=tenant, path=admin, steps=[*steps[1:], steps[0]])
    publish(tenant=tenant, path=admin, by=None)


def _health_override(tenant, now) -> None:
    """A CSM override of the first account's health (the account health page shows it and its history)."""
    account = account_by_external_id(tenant=tenant, external_id="ACC-1001")  # the account the pages read
    set_override(tenant=tenant, account=account, score=35.0, reason="Champion left; renewal at risk",
                 expires_at=now + dt.timedelta(days=30), by=staff_user(Role.CSM))
