"""Demo support desk for ``manage.py seed_demo`` (accounts/demo_data.py), written only through this app's
services: teams and agents, the premium default SLA plus a business-hours policy, knowledge-base articles,
macros, ~90 days of tickets on every channel with their interactions, assignments and status history, a
couple of pending callbacks, and two weeks of agents' shifts and presence.

Deterministic and idempotent: every choice comes from a ``random.Random`` seeded by tenant and ticket
number, times are placed relative to ``today`` (all strictly before its local midnight, so nothing depends
on the clock), and every row is addressed by an external id or natural key the services dedupe on
(ticket and interaction external ids, the same status at the same time, the assignment in force, session
starts, callback external ids, names and slugs). Ticket and interaction items go through the API's
serializers and then become the services' typed inputs (support.records.data, which check the domain
rules), as in the API, so the demo never holds data the API would refuse.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from accounts.models import Role, Tenant
from accounts.selectors import contact_by_external_id, member_user_ids
from cs_platform.bulk import ItemValidator
from support.desk.services import request_callback, save_macro
from support.knowledge.services import save_article, save_category, set_published
from support.models import (
    Agent,
    AgentSession,
    Article,
    ArticleCategory,
    BusinessCalendar,
    Macro,
    QaCriterion,
    QaReview,
    QaRubric,
    SlaPolicy,
    Team,
    TeamManager,
    Ticket,
    TicketStatus,
)
from support.qa.services import CriterionInput, ScoreInput, agent_is_user, queue_review, save_rubric, submit_review
from support.records.data import InputError, InteractionData, StatusData, TicketData
from support.records.inputs import InteractionInput, TicketInput
from support.records.services.agents import agent_for_user, record_session, upsert_agents
from support.records.services.tickets import (
    append_interaction,
    assign_ticket,
    backdate_updated_at,
    change_status,
    upsert_ticket,
)
from support.reports.services import record_support_cost
from support.sla.services import apply_sla, create_default_sla, save_calendar, save_policy

SEED = 20250101
TICKET_DAYS = 90
PRESENCE_DAYS = 14
FRONTLINE, TECHNICAL = "Frontline", "Technical"
CALENDAR_NAME = "Business hours"
STANDARD_POLICY = "Standard: first response within 8 business hours"
WEEKDAY_HOURS = [["09:00", "17:00"]]

CATEGORIES = (("getting-started", "Getting started", 0), ("troubleshooting", "Troubleshooting", 1))
ARTICLES = (  # (slug, category slug, title, markdown)
    ("connect-your-first-data-source", "getting-started", "Connect your first data source",
     "Go to **Settings → Data sources** and choose *Add source*.\n\n1. Pick the connector (Postgres, "
     "Snowflake, BigQuery, CSV upload).\n2. Enter the credentials of a read-only user.\n3. Press *Test "
     "connection*, then *Save*.\n\nThe first sync takes a few minutes; dashboards refresh on their own."),
    ("invite-your-team", "getting-started", "Invite your team and set roles",
     "Open **Settings → Team** and invite teammates by email. *Editors* build dashboards and reports, "
     "*viewers* only read them. Single sign-on users join automatically on their first login."),
    ("schedule-report-exports", "getting-started", "Schedule report exports",
     "Any report can be exported as CSV, XLSX or PDF. Use *Schedule* on the report page to email it "
     "daily, weekly or monthly; exports larger than 50 MB are sent as a download link."),
    ("fix-sso-login-errors", "troubleshooting", "Fix single sign-on (SSO) login errors",
     "Most SSO errors come from a certificate or audience mismatch.\n\n- Check that the IdP certificate "
     "has not expired.\n- The audience must be exactly the entity id shown in **Settings → SSO**.\n- Clock "
     "skew over 5 minutes makes assertions invalid: sync the IdP server's clock."),
    ("dashboard-not-refreshing", "troubleshooting", "Dashboard not refreshing or showing old data",
     "A dashboard shows the data of its last successful sync. Open **Data sources**: a red badge means the "
     "sync failed (often an expired password or a revoked token). Reconnect, then press *Sync now*."),
)
MACROS = (
    ("Greeting and next steps",
     "Hi {{ contact.first_name }},\n\nthanks for reaching out about \"{{ ticket.subject }}\". I'm looking into "
     "it now and will get back to you shortly.\n\nBest,\n{{ agent.name }}"),
    ("Escalated to engineering",
     "Hi {{ contact.first_name }},\n\nI've escalated ticket {{ ticket.external_id }} to our engineering team "
     "with all the details from {{ account.name }}. We'll update you as soon as we hear back.\n\n"
     "{{ agent.name }}"),
    ("Resolved: anything else?",
     "Hi {{ contact.first_name }},\n\nglad we could sort this out! I'm marking the ticket as resolved; just "
     "reply if anything else comes up.\n\nHave a great day,\n{{ agent.name }}"),
)
# (subject, customer's first message, agent's first reply, customer's follow-up, agent's second reply,
#  internal note, technical?)
TOPICS = (
    ("Cannot log in with SSO", "Since this morning none of us can log in through Okta, we get 'invalid "
     "assertion'. Can you help?", "Sorry about that! This usually means the IdP certificate rotated. Could you "
     "check the certificate date in Okta? Our guide: Fix single sign-on (SSO) login errors.",
     "The certificate is fine, it still fails for everyone.", "Thanks for checking. We found a clock skew on "
     "the IdP side in your logs; after syncing the clock it should work again.",
     "Customer's assertions arrive ~7 minutes in the future: clock skew.", True),
    ("Dashboard shows yesterday's numbers", "Our sales dashboard still shows yesterday's data, is the sync "
     "broken?", "The sync of your Salesforce source failed last night because its token was revoked. "
     "Reconnecting it under Data sources will fix it.", "Reconnected, but it's still old.",
     "A full resync is running now; it takes about 20 minutes for your volume.",
     "Token revoked on their side at 02:14 UTC.", False),
    ("How do I schedule a weekly export?", "Is it possible to get the pipeline report by email every "
     "Monday?", "Yes! Open the report, press Schedule and choose weekly on Monday. Guide: Schedule report "
     "exports.", "", "", "", False),
    ("Invoice shows the wrong number of seats", "Our last invoice charges 120 seats but we only have 95 "
     "users.", "Thanks for flagging. I've asked our billing team to check the seat count for your "
     "contract.", "Any news on this?", "Billing confirmed the difference; a credit note for 25 seats is on its "
     "way.", "Seat count included deactivated users; billing issuing credit.", False),
    ("API returns 429 Too Many Requests", "Our nightly job gets 429 errors from the API after a few minutes.",
     "Your key is limited to 600 requests per minute. Could you share the request ids of a failing run?",
     "Here are three of them: req_8f2a, req_91cc, req_a03d.", "We raised the limit for your workspace to "
     "1,200 per minute and suggest retrying with backoff.", "Burst of 2k req/min at 01:00; raised limit.",
     True),
    ("Add a new teammate", "How can I add our new analyst to the workspace?", "Go to Settings → Team and "
     "invite them by email; choose the Editor role if they build reports. Guide: Invite your team and set "
     "roles.", "", "", "", False),
    ("Export to Excel fails", "Exporting the revenue report to XLSX gives an error.", "I could reproduce "
     "it: the report has more than 1M rows, above the XLSX limit. CSV works, or add a filter.",
     "CSV is fine for now, thanks. Will XLSX be fixed?", "We've logged it as a product issue; I'll let you "
     "know when it ships.", "Reproduced: XLSX export > 1,048,576 rows.", True),
    ("Alert emails not arriving", "We configured an alert on churn risk but never received an email.",
     "The alert is set up correctly; the emails were blocked by your mail gateway. Could you allow our "
     "sending domain?", "IT added it to the allow-list.", "Great, I triggered a test alert and it was "
     "delivered.", "Bounce logs show their gateway rejecting us.", False),
    ("Connect Snowflake", "What permissions does the Snowflake user need?", "A role with USAGE on the "
     "warehouse and database and SELECT on the schemas you want to analyse. Guide: Connect your first data "
     "source.", "", "", "", False),
    ("Workflow automation stopped running", "Our daily workflow didn't run for two days.", "The workflow "
     "was paused automatically after its target sheet was deleted. Point it at a new sheet and resume it.",
     "Done, thanks. Can we get notified next time?", "Yes: turn on 'Notify on pause' in the workflow "
     "settings.", "Auto-paused after target deletion; suggest notify setting.", True),
    ("Feature request: dark mode", "Any plans for a dark mode? Our team works late.", "Thanks for the "
     "idea! I've added your vote to the request; our product team reviews these monthly.", "", "", "",
     False),
)
# Support costs (seed_costs): a month's cost per agent of each team, plus the team's tools, in one currency.
MONTHLY_COST_PER_AGENT = {FRONTLINE: 5200, TECHNICAL: 7400}
TOOLING_COST = 900
COST_CURRENCY = "USD"
# QA (seed_qa): one rubric, (criterion, what it asks, weight), and a few submitted reviews.
QA_RUBRIC = "Support quality"
QA_CRITERIA = (
    ("Accuracy", "The answer is correct and complete.", "3"),
    ("Tone", "Friendly, clear, in the customer's words.", "2"),
    ("Resolution", "Solved in as few replies as possible.", "2"),
    ("Process", "Ticket fields, tags and notes kept up to date.", "1"),
)
QA_REVIEWS = 8
QA_COMMENTS = ("Clear and friendly.", "Right answer; could link the help article.", "Good follow-up on the "
               "customer's second question.", "A bit terse, but solved on the first reply.")
CHANNELS = (("email", 32), ("chat", 24), ("phone", 20), ("social", 8), ("in_app", 16))
PRIORITIES = (("low", 20), ("normal", 55), ("high", 20), ("urgent", 5))


@dataclass
class SupportSummary:
    agents: int = 0
    tickets_created: int = 0
    tickets_unchanged: int = 0
    interactions_created: int = 0
    callbacks_created: int = 0
    sessions_created: int = 0
    costs_created: int = 0
    reviews_created: int = 0


class DemoSupportError(RuntimeError):
    pass


# ------------------------------------------------------------------------------------ setup: agents, SLA, KB


def seed_agents(*, tenant: Tenant, agent_users: list[tuple[AbstractBaseUser, str]]) -> dict[str, Agent]:
    """Agents for the given (user, role) pairs: the first joins the Technical team, the others Frontline."""
    items = []
    for position, (user, role) in enumerate(agent_users):
        agent = agent_for_user(tenant=tenant, user=user, role=role)
        if agent is None:
            raise DemoSupportError(f"{user.email} cannot be an agent with role {role}")
        items.append({"email": agent.email, "name": user.get_full_name(),
                      "team": TECHNICAL if position == 0 else FRONTLINE})
    result = upsert_agents(tenant=tenant, items=items)
    if result.rejected:
        raise DemoSupportError(f"{tenant.slug} agents: rejected {result.rejected[:3]}")
    return {a.email: a for a in Agent.objects.filter(tenant=tenant, email__in=[i["email"] for i in items])
            .select_related("team")}


def seed_team_managers(*, tenant: Tenant) -> int:
    """Every member with the manager role manages the Frontline team, so that signing in as one shows what a
    manager sees in the support reports. Idempotent; answers how many manager rows were added."""
    frontline = Team.objects.filter(tenant=tenant, name=FRONTLINE).first()
    if frontline is None:
        return 0
    users = member_user_ids(tenant=tenant, role=Role.MANAGER)
    known = set(TeamManager.objects.filter(tenant=tenant, team=frontline).values_list("user_id", flat=True))
    added = [TeamManager(tenant=tenant, team=frontline, user_id=u) for u in users if u not in known]
    TeamManager.objects.bulk_create(added, ignore_conflicts=True)
    return len(added)


def seed_sla(*, tenant: Tenant) -> None:
    """The premium default policy, and business hours for everyone else (created once; edits are kept)."""
    create_default_sla(tenant=tenant)
    calendar = BusinessCalendar.objects.filter(tenant=tenant, name=CALENDAR_NAME).first()
    if calendar is None:
        calendar = save_calendar(tenant=tenant, calendar=BusinessCalendar(
            name=CALENDAR_NAME, timezone=tenant.timezone,
            weekly_hours={str(d): (WEEKDAY_HOURS if d < 5 else []) for d in range(7)}))
    if not SlaPolicy.objects.filter(tenant=tenant, name=STANDARD_POLICY).exists():
        save_policy(tenant=tenant, policy=SlaPolicy(
            name=STANDARD_POLICY, tier="standard", priority="", first_response_seconds=8 * 3600,
            next_response_seconds=8 * 3600, resolution_seconds=5 * 8 * 3600, calendar=calendar))


def seed_knowledge_base(*, tenant: Tenant) -> None:
    categories = {c.slug: c for c in ArticleCategory.objects.filter(tenant=tenant)}
    for slug, name, position in CATEGORIES:
        if slug not in categories:
            categories[slug] = save_category(tenant=tenant, category=ArticleCategory(
                slug=slug, name=name, position=position))
    articles = {a.slug: a for a in Article.objects.filter(tenant=tenant)}
    for slug, category, title, body in ARTICLES:
        article = articles.get(slug)
        if article is None:
            article = save_article(tenant=tenant, article=Article(
                slug=slug, category=categories[category], title=title, body_markdown=body))
        if not article.is_published:
            set_published(tenant=tenant, article=article, published=True)


def seed_macros(*, tenant: Tenant) -> None:
    existing = set(Macro.objects.filter(tenant=tenant).values_list("name", flat=True))
    for name, body in MACROS:
        if name not in existing:
            save_macro(tenant=tenant, macro=Macro(name=name, body=body))


# --------------------------------------------------------------------------------------------- tickets


@dataclass
class TicketPlan:
    ticket: dict[str, Any]
    steps: list[tuple[dt.datetime, str, dict[str, Any]]]  # (at, "interaction" | "assign" | "status", data)
    callback: dict[str, Any] | None = None


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def ticket_plans(*, slug: str, timezone: str, accounts: list[dict[str, Any]], contacts: dict[str, list[str]],
                 agents: list[tuple[str, str]], today: dt.date, count: int) -> list[TicketPlan]:
    """``count`` tickets; ``agents`` are (email, team) with the Technical agent first. Every time is
    before ``today``'s local midnight; what would come later is left out (those tickets are still open)."""
    zone = zoneinfo.ZoneInfo(timezone)
    cutoff = dt.datetime.combine(today, dt.time(), tzinfo=zone)
    candidates = [a for a in accounts if contacts.get(a["external_id"])]
    if not candidates or not agents:
        return []
    frontline = [email for email, team in agents if team == FRONTLINE] or [agents[0][0]]
    technical = [email for email, team in agents if team == TECHNICAL] or frontline
    account_weights = [max(int(a["seats"]), 5) ** 0.5 for a in candidates]
    plans = []
    for i in range(count):
        rng = random.Random(f"{SEED}:{slug}:ticket:{i}")
        # The first two are yesterday's abandoned calls whose callers asked to be called back.
        pending_callback = i < 2
        if pending_callback:
            day = today - dt.timedelta(days=1)
        else:
            day = today - dt.timedelta(days=1 + int(rng.random() * TICKET_DAYS))
            if day.weekday() >= 5 and rng.random() < 0.7:
                day -= dt.timedelta(days=day.weekday() - 4)  # most weekend questions are Friday's
        minutes = 15 * 60 + 20 * i if pending_callback else int(min(max(rng.gauss(12.5 * 60, 150), 7 * 60),
                                                                       19 * 60))
        t0 = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60, rng.randint(0, 59)), tzinfo=zone)
        account = rng.choices(candidates, weights=account_weights)[0]
        people = contacts[account["external_id"]]
        contact = rng.choices(people, weights=[2 if j < 2 else 1 for j in range(len(people))])[0]
        channel = "phone" if pending_callback else _weighted(rng, CHANNELS)
        topic = TOPICS[rng.randrange(len(TOPICS))]
        subject, first, reply, follow_up, reply2, note, is_technical = topic
        agent = rng.choice(frontline)
        external_id = f"DEMO-{1001 + i}"
        ticket = {"external_id": external_id, "contact": contact, "channel": channel, "subject": subject,
                  "priority": _weighted(rng, PRIORITIES), "created_at": _iso(t0), "team": FRONTLINE}
        steps: list[tuple[dt.datetime, str, dict[str, Any]]] = []
        n = 0

        def say(at: dt.datetime, *, via: str, direction: str, author: str, body: str = "", by: str = "",
                internal: bool = False, steps: list = steps, external_id: str = external_id, **live: Any) -> None:
            nonlocal n
            n += 1
            data = {"external_id": f"{external_id}-{n}", "channel": via, "direction": direction,
                    "author_type": author, "body": body, "started_at": _iso(at), "is_internal": internal}
            if by:
                data["agent"] = by
            data.update({k: _iso(v) if isinstance(v, dt.datetime) else v for k, v in live.items()})
            steps.append((at, "interaction", data))

        def status(at: dt.datetime, value: str, by: str = "", steps: list = steps) -> None:
            steps.append((at, "status", {"status": value, "agent": by}))

        def assign(at: dt.datetime, to: str, steps: list = steps) -> None:
            steps.append((at, "assign", {"agent": to}))

        premium = account["tier"] == "premium"
        frt = dt.timedelta(minutes=rng.uniform(4, 45) if premium and rng.random() < 0.88
                           else rng.uniform(50, 150) if premium else rng.uniform(15, 420))
        live = channel in ("chat", "phone")
        callback = None
        if live:
            abandoned = pending_callback or rng.random() < (0.18 if channel == "phone" else 0.08)
            wait = dt.timedelta(seconds=rng.uniform(15, 240) if channel == "phone" else rng.uniform(5, 120))
            if channel == "chat" and rng.random() < 0.35:
                say(t0 + dt.timedelta(seconds=2), via="chat", direction="outbound", author="bot",
                    body="Hi! I'm the virtual assistant. A teammate will join in a moment.")
            if abandoned:
                say(t0, via=channel, direction="inbound", author="contact", body=first if channel == "chat" else "",
                    queue_team=FRONTLINE, answered_at=None, ended_at=t0 + wait)
                if pending_callback:
                    callback = {"external_id": f"DEMO-CB-{i + 1}", "contact": contact, "requested_at": t0 + wait,
                                "due_at": dt.datetime.combine(today, dt.time(10 + 3 * i), tzinfo=zone),
                                "note": f"Called about: {subject}"}
                    plans.append(TicketPlan(ticket, steps, callback))
                    continue
                back = t0 + dt.timedelta(minutes=rng.uniform(20, 240))
                assign(back - dt.timedelta(minutes=1), agent)
                if channel == "phone":
                    say(back, via="phone", direction="outbound", author="agent", by=agent, body=reply,
                        handle_seconds=round(rng.uniform(120, 900)))
                else:
                    say(back, via="email", direction="outbound", author="agent", by=agent, body=reply)
                last_reply = back
            else:
                answered = t0 + wait
                ended = answered + dt.timedelta(minutes=rng.uniform(3, 20))
                assign(answered, agent)
                say(t0, via=channel, direction="inbound", author="contact", body=first if channel == "chat" else "",
                    by=agent, queue_team=FRONTLINE, answered_at=answered, ended_at=ended)
                if channel == "chat":
                    say(answered + dt.timedelta(seconds=30), via="chat", direction="outbound", author="agent",
                        by=agent, body=reply)
                if note and rng.random() < 0.5:
                    say(ended + dt.timedelta(minutes=1), via=channel, direction="outbound", author="agent", by=agent,
                        internal=True, body=note)
                last_reply = ended
            status(last_reply, "open", agent)
        else:
            if channel == "in_app" and rng.random() < 0.5:
                say(t0 + dt.timedelta(seconds=3), via=channel, direction="outbound", author="bot",
                    body="Thanks for your message! These help articles may answer it while you wait.")
            say(t0, via=channel, direction="inbound", author="contact", body=first)
            if rng.random() < 0.06:
                plans.append(TicketPlan(ticket, steps))  # nobody has picked it up yet
                continue
            assign(t0 + frt * 0.8, agent)
            if note and rng.random() < 0.25:
                say(t0 + frt * 0.9, via=channel, direction="outbound", author="agent", by=agent, internal=True,
                    body=note)
            last_reply = t0 + frt
            say(last_reply, via=channel, direction="outbound", author="agent", by=agent, body=reply)
            status(last_reply, "open", agent)
        if follow_up and rng.random() < 0.55:
            reply_channel = "email" if live else channel
            asked = last_reply + dt.timedelta(hours=rng.uniform(1, 20))
            say(asked, via=reply_channel, direction="inbound", author="contact", body=follow_up)
            if is_technical and rng.random() < 0.5:
                agent2 = rng.choice(technical)
                say(asked + dt.timedelta(minutes=15), via=reply_channel, direction="outbound", author="agent",
                    by=agent, internal=True, body=f"Escalating to {TECHNICAL}: {note}")
                assign(asked + dt.timedelta(minutes=16), agent2)
                agent = agent2
            last_reply = asked + dt.timedelta(minutes=rng.uniform(30, 360))
            say(last_reply, via=reply_channel, direction="outbound", author="agent", by=agent, body=reply2)
        fate = rng.random()
        if fate < 0.06:
            status(last_reply + dt.timedelta(minutes=1), "pending", agent)
        elif fate < 0.09:
            status(last_reply + dt.timedelta(minutes=1), "on_hold", agent)
        elif fate < 0.12:
            pass  # still open
        else:
            resolved = last_reply + dt.timedelta(minutes=rng.uniform(10, 30 * 60))
            status(resolved, "resolved", agent)
            roll = rng.random()
            if roll < 0.06:
                # The customer comes back: the service reopens the ticket on this message.
                again = resolved + dt.timedelta(days=rng.uniform(1, 3))
                say(again, via="email", direction="inbound", author="contact",
                    body="Sorry, it's happening again since this morning.")
                fixed = again + dt.timedelta(hours=rng.uniform(1, 4))
                say(fixed, via="email", direction="outbound", author="agent", by=agent,
                    body="Thanks for letting us know. We fixed the remaining cause; it should be stable now.")
                status(fixed + dt.timedelta(minutes=5), "resolved", agent)
            elif roll < 0.2:
                status(resolved + dt.timedelta(days=3), "closed")
        plans.append(TicketPlan(ticket, [s for s in steps if s[0] < cutoff], callback))
    return plans


Input = TypeVar("Input", TicketData, InteractionData)


def _validated(validate: ItemValidator, raw: dict[str, Any], into: type[Input], what: str) -> Input:
    data, errors = validate(raw)
    if not errors:
        try:
            return into(**data)
        except InputError as exc:
            errors = exc.as_errors()
    raise DemoSupportError(f"{what} {raw.get('external_id', '')}: {errors}")


def seed_tickets(*, tenant: Tenant, plans: list[TicketPlan], agents: dict[str, Agent],
                 progress: Callable[[int], None] = lambda n: None) -> SupportSummary:
    summary = SupportSummary()
    ticket_input, interaction_input = ItemValidator(TicketInput), ItemValidator(InteractionInput)
    for plan in plans:
        with transaction.atomic():
            written = upsert_ticket(tenant=tenant, data=_validated(ticket_input, plan.ticket, TicketData, "ticket"))
            ticket: Ticket = written.obj
            if written.created:
                summary.tickets_created += 1
            elif not written.changed:
                summary.tickets_unchanged += 1
            apply_sla(ticket=ticket)  # now, not only in the worker: the next-response clock needs it
            for at, kind, data in sorted(plan.steps, key=lambda s: s[0]):
                if kind == "interaction":
                    clean = _validated(interaction_input, data, InteractionData, "interaction")
                    author = agents[clean.agent] if clean.agent else None  # one look-up less
                    result = append_interaction(tenant=tenant, ticket=ticket, data=clean, agent=author)
                    summary.interactions_created += result.created
                elif kind == "assign":
                    assign_ticket(tenant=tenant, ticket=ticket, agent=agents[data["agent"]], assigned_at=at)
                else:
                    change_status(tenant=tenant, ticket=ticket, data=StatusData(status=data["status"], changed_at=at),
                                  agent=agents.get(data["agent"]))
            # "updated" = the ticket's last recorded activity, not the moment of seeding
            last = max([at for at, _kind, _data in plan.steps], default=None)
            backdate_updated_at(tenant=tenant, ticket=ticket,
                                at=max(filter(None, [last, ticket.created_at])))
            if plan.callback:
                cb = plan.callback
                contact = contact_by_external_id(tenant=tenant, external_id=cb["contact"])
                made = request_callback(tenant=tenant, external_id=cb["external_id"], contact=contact, ticket=ticket,
                                        due_at=cb["due_at"], note=cb["note"], requested_at=cb["requested_at"])
                summary.callbacks_created += made.created
        progress(1)
    return summary


# -------------------------------------------------------------------------------------------- presence


def seed_presence(*, tenant: Tenant, agents: dict[str, Agent], today: dt.date) -> int:
    """A 09:00-17:00 shift on each weekday of the last two weeks, and the online sessions around it
    (a lunch break, a little early or late, now and then a short day). Answers how many were created."""
    zone = zoneinfo.ZoneInfo(tenant.timezone)
    created = 0
    for email, agent in sorted(agents.items()):
        for back in range(PRESENCE_DAYS, 0, -1):
            day = today - dt.timedelta(days=back)
            if day.weekday() >= 5:
                continue
            rng = random.Random(f"{SEED}:{tenant.slug}:presence:{email}:{day.isoformat()}")
            at = lambda h, m=0, day=day: dt.datetime.combine(day, dt.time(h, m), tzinfo=zone)  # noqa: E731
            sessions = [(AgentSession.Kind.SCHEDULED, at(9), at(17))]
            if rng.random() < 0.06:
                pass  # off sick: scheduled, never online
            else:
                lunch = at(12) + dt.timedelta(minutes=rng.randint(0, 60))
                start = at(9) + dt.timedelta(minutes=rng.randint(-10, 15))
                end = at(17) + dt.timedelta(minutes=rng.randint(-45, 20))
                sessions += [(AgentSession.Kind.ONLINE, start, lunch),
                             (AgentSession.Kind.ONLINE, lunch + dt.timedelta(minutes=rng.randint(30, 50)), end)]
            for kind, begin, finish in sessions:
                _, outcome = record_session(tenant=tenant, agent=agent, kind=kind, started_at=begin, ended_at=finish)
                created += outcome == "created"
    return created


# ----------------------------------------------------------------------------------------- costs and QA


def seed_costs(*, tenant: Tenant, agents: dict[str, Agent], today: dt.date) -> int:
    """One cost entry per team for every whole month of the ticket history before today's month (a month's
    cost is known once it is over): each agent's monthly cost, a little different every month, so the
    reports' cost per interaction has figures. Entries are replaced with the same amounts on a re-run
    (record_support_cost upserts by month and team). Answers how many were created."""
    per_team: dict[str, int] = {}
    for agent in agents.values():
        name = agent.team.name if agent.team else FRONTLINE
        per_team[name] = per_team.get(name, 0) + 1
    first = (today - dt.timedelta(days=TICKET_DAYS)).replace(day=1)
    month, created = first, 0
    while month < today.replace(day=1):
        for team, headcount in sorted(per_team.items()):
            rng = random.Random(f"{SEED}:{tenant.slug}:cost:{team}:{month.isoformat()}")
            base = MONTHLY_COST_PER_AGENT[team] * headcount
            amount = Decimal(round(base * rng.uniform(0.93, 1.07) + TOOLING_COST, -1))
            written = record_support_cost(tenant=tenant, month=month, amount=amount, currency=COST_CURRENCY,
                                          team_name=team, note="Salaries and tooling (demo)")
            created += written.created
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return created


def resolved_tickets(*, tenant: Tenant, limit: int) -> list[Ticket]:
    """The demo's resolved (or closed) tickets with an assignee, in external-id order."""
    return list(Ticket.objects.filter(tenant=tenant, status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED],
                                      resolved_at__isnull=False, assignee__isnull=False)
                .order_by("external_id")[:limit])


def seed_qa(*, tenant: Tenant, agents: dict[str, Agent], reviewers: list[AbstractBaseUser], today: dt.date) -> int:
    """The demo QA rubric and a few submitted reviews of resolved tickets (the assignee's replies), each
    by a reviewer who is not that agent, submitted a day or two after the resolution (and before today's
    local midnight, like every demo time). Deterministic: tickets in external-id order, scores from a
    generator seeded per ticket. Answers how many this run submitted."""
    rubric = QaRubric.objects.filter(tenant=tenant, name=QA_RUBRIC).first()
    if rubric is None:
        rubric = save_rubric(tenant=tenant, rubric=QaRubric(), name=QA_RUBRIC, criteria=[
            CriterionInput(name=name, description=description, weight=Decimal(weight), max_score=5, position=n)
            for n, (name, description, weight) in enumerate(QA_CRITERIA)])
    criteria = list(QaCriterion.objects.filter(tenant=tenant, rubric=rubric).order_by("position", "pk"))
    by_id = {a.pk: a for a in agents.values()}
    cutoff = dt.datetime.combine(today, dt.time(), tzinfo=zoneinfo.ZoneInfo(tenant.timezone))
    done = created = 0  # reviews in the demo (the few wanted), and those this run submitted
    for ticket in resolved_tickets(tenant=tenant, limit=QA_REVIEWS * 3):
        if done >= QA_REVIEWS:
            break
        agent = by_id.get(ticket.assignee_id)
        reviewer = next((u for u in reviewers if not agent_is_user(agent, u)), None) if agent else None
        if reviewer is None:
            continue
        rng = random.Random(f"{SEED}:{tenant.slug}:qa:{ticket.external_id}")
        submitted_at = ticket.resolved_at + dt.timedelta(hours=rng.uniform(18, 52))
        if submitted_at >= cutoff:
            continue
        review = queue_review(tenant=tenant, ticket=ticket, agent=agent, rubric=rubric, reviewer=reviewer)
        if review.state == QaReview.State.SUBMITTED:
            done += 1  # seeded by an earlier run
            continue
        scores = [ScoreInput(criterion=c, score=rng.choices((2, 3, 4, 5), weights=(1, 3, 5, 4))[0])
                  for c in criteria]
        submit_review(tenant=tenant, review=review, reviewer=reviewer, scores=scores,
                      comment=rng.choice(QA_COMMENTS), submitted_at=submitted_at)
        done, created = done + 1, created + 1
    return created


def seed_support(*, tenant: Tenant, agent_users: list[tuple[AbstractBaseUser, str]], accounts: list[dict[str, Any]],
                 contacts: dict[str, list[str]], today: dt.date, tickets: int,
                 progress: Callable[[int], None] = lambda n: None,
                 reviewer_users: Sequence[tuple[AbstractBaseUser, str]] = ()) -> SupportSummary:
    """Everything above for one tenant (the caller enters the tenant scope); ``reviewer_users`` (user, role)
    review QA (those with the admin or manager role)."""
    agents = seed_agents(tenant=tenant, agent_users=agent_users)
    seed_team_managers(tenant=tenant)
    seed_sla(tenant=tenant)
    seed_knowledge_base(tenant=tenant)
    seed_macros(tenant=tenant)
    roster = [(a.email, a.team.name if a.team else FRONTLINE) for a in agents.values()]
    roster.sort(key=lambda r: (r[1] != TECHNICAL, r[0]))
    plans = ticket_plans(slug=tenant.slug, timezone=tenant.timezone, accounts=accounts, contacts=contacts,
                         agents=roster, today=today, count=tickets)
    summary = seed_tickets(tenant=tenant, plans=plans, agents=agents, progress=progress)
    summary.agents = len(agents)
    summary.sessions_created = seed_presence(tenant=tenant, agents=agents, today=today)
    summary.costs_created = seed_costs(tenant=tenant, agents=agents, today=today)
    reviewers = [user for user, role in reviewer_users if role in (Role.ADMIN, Role.MANAGER)]
    summary.reviews_created = seed_qa(tenant=tenant, agents=agents, reviewers=reviewers, today=today)
    return summary

