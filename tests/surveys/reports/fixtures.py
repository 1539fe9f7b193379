"""A hand-counted month of survey activity for tenant A (America/Los_Angeles): the expected figures are written
in the tests beside each assertion, counted from the rows below.

January 2026 (local):
- CSAT (1-5): 5 on T1 (via inv1), 4 on T2, 2 on T1, 3 without a ticket -> n 4, satisfied 2 (50%), avg 3.5
- NPS (0-10): 10, 9, 7, 3, 0 (no tickets) -> P 2, passive 1, D 2, NPS 0, n 5
- CES (1-7): 6, 3 -> avg 4.5, n 2
- invitations sent: inv1 (T1, answered in Jan), inv2 (T1, unanswered), inv3 (NPS, no ticket, answered in
  February: a late response), inv4 (T2, unanswered) -> 4 sent, 2 responses, rate 0.5
- suppressed: contact_cooldown, opted_out, ticket_reopened (counted) and skipped_channel (listed only) -> 3
Outside January: a CSAT 1 on 31 December 23:59 local, the February NPS 10 answering inv3, an invitation sent
in December and answered in January (its response is in January's figures, not in its rate).

T1: email, resolved by Ana (team Red); T2: chat, resolved by Bob (no team).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from support.models import Agent, Team, Ticket
from surveys.models import Invitation, SurveyResponse
from tests.surveys.helpers import make_survey

LA = zoneinfo.ZoneInfo("America/Los_Angeles")


def local(y, m, d, hh=12, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=LA)


def build(world) -> dict:
    csat = make_survey(world, kind="csat", name="Support CSAT")
    nps = make_survey(world, kind="nps", name="Relationship NPS")
    ces = make_survey(world, kind="ces", name="Effort")
    t, c = world.tenant, world.contacts
    with world.scope():
        red = Team.objects.create(tenant=t, name="Red")
        ana = Agent.objects.create(tenant=t, email="ana@alpha.test", name="Ana", team=red)
        bob = Agent.objects.create(tenant=t, email="bob@alpha.test", name="", team=None)
        t1 = Ticket.objects.create(tenant=t, external_id="T1", contact=c[0], account=c[0].account, channel="email",
                                   created_at=local(2026, 1, 2), resolved_at=local(2026, 1, 3), resolved_assignee=ana)
        t2 = Ticket.objects.create(tenant=t, external_id="T2", contact=c[1], account=c[1].account, channel="chat",
                                   created_at=local(2026, 1, 2), resolved_at=local(2026, 1, 3), resolved_assignee=bob)

        def invite(contact, survey, ticket=None, sent=None, **kw):
            return Invitation.objects.create(
                tenant=t, survey=survey, contact=contact, account=contact.account, ticket=ticket,
                trigger="ticket" if ticket else "campaign", status=kw.pop("status", "sent"),
                send_after=sent or kw.get("suppressed_at"), sent_at=sent, **kw)

        inv1 = invite(c[0], csat, t1, local(2026, 1, 4), status="answered")
        invite(c[0], csat, t1, local(2026, 1, 5))
        inv3 = invite(c[2], nps, None, local(2026, 1, 30), status="answered")
        invite(c[1], csat, t2, local(2026, 1, 6))
        december = invite(c[3], nps, None, local(2025, 12, 20), status="answered")
        for reason, contact in (("contact_cooldown", c[0]), ("opted_out", c[1]), ("ticket_reopened", c[2]),
                                ("skipped_channel", c[3])):
            invite(contact, csat, None, None, status="suppressed", suppressed_reason=reason,
                   suppressed_at=local(2026, 1, 10))
        invite(c[3], csat, None, None, status="suppressed", suppressed_reason="contact_cooldown",
               suppressed_at=local(2026, 2, 1, 0, 30))  # February: not January's

        def answer(survey, contact, score, at, ticket=None, invitation=None, comment=""):
            return SurveyResponse.objects.create(
                tenant=t, survey=survey, contact=contact, account=contact.account, ticket=ticket, score=score,
                submitted_at=at, invitation=invitation, comment=comment)

        answer(csat, c[0], 5, local(2026, 1, 5), t1, inv1, comment="Quick and kind")
        answer(csat, c[1], 4, local(2026, 1, 7), t2)
        answer(csat, c[0], 2, local(2026, 1, 8), t1, comment="Took too long")
        answer(csat, c[3], 3, local(2026, 1, 31, 23, 30))  # 07:30 UTC on 1 February: still January
        for score, contact in ((10, c[0]), (9, c[1]), (7, c[2]), (0, c[0])):
            answer(nps, contact, score, local(2026, 1, 15))
        answer(nps, c[3], 3, local(2026, 1, 2), invitation=december, comment="Too expensive")
        answer(ces, c[0], 6, local(2026, 1, 20))
        answer(ces, c[1], 3, local(2026, 1, 21))
        answer(csat, c[2], 1, local(2025, 12, 31, 23, 59))  # December
        answer(nps, c[2], 10, local(2026, 2, 2), invitation=inv3)  # February, answering January's inv3
    return {"csat": csat, "nps": nps, "ces": ces, "ana": ana, "bob": bob, "red": red, "t1": t1, "t2": t2}
