"""The QA sampler's low-CSAT stratum (support.qa.services.low_csat_pairs): tickets resolved since ``since``
whose latest CSAT response is <= 2, attributed to the agent assigned at first resolution."""

from __future__ import annotations

import datetime as dt

from support.models import QaReview, Ticket
from support.qa.services import low_csat_pairs, sample_reviews
from surveys.models import SurveyResponse
from tests.support.conftest import T0
from tests.support.qa.test_qa import SINCE, qa, worked_ticket  # noqa: F401 (the fixture)
from tests.surveys.helpers import make_survey


def _answer(world, survey, ticket, score, minutes):
    contact = world.contacts[0]
    SurveyResponse.objects.create(tenant=world.tenant, survey=survey, contact=contact, account=contact.account,
                                  ticket=ticket, score=score, submitted_at=T0 + dt.timedelta(minutes=minutes))


def test_low_csat_tickets_are_sampled_for_their_resolving_agent(qa):  # noqa: F811
    world, t = qa["world"], qa["tenant"]
    ana, bob = qa["agents"]["ana"], qa["agents"]["bob"]
    csat = make_survey(world, kind="csat", name="CSAT")
    nps = make_survey(world, kind="nps", name="NPS")
    with world.scope():
        low = worked_ticket(t, "LOW", ana)
        mended = worked_ticket(t, "MENDED", ana)  # 1, then 4: its CSAT is 4
        spoiled = worked_ticket(t, "SPOILED", bob)  # 5, then 2: its CSAT is 2
        nps_low = worked_ticket(t, "NPS", bob)  # an NPS 0 is no CSAT
        unassigned = worked_ticket(t, "NOBODY", bob)
        Ticket.objects.filter(pk__in=[low.pk, mended.pk]).update(resolved_assignee=ana)
        Ticket.objects.filter(pk__in=[spoiled.pk, nps_low.pk]).update(resolved_assignee=bob)
        Ticket.objects.filter(pk=unassigned.pk).update(resolved_assignee=None)
        _answer(world, csat, low, 1, 60)
        _answer(world, csat, mended, 1, 60)
        _answer(world, csat, mended, 4, 90)
        _answer(world, csat, spoiled, 5, 60)
        _answer(world, csat, spoiled, 2, 90)
        _answer(world, nps, nps_low, 0, 60)
        _answer(world, csat, unassigned, 1, 60)
        assert low_csat_pairs(tenant=t, since=SINCE) == sorted([(low.pk, ana.pk), (spoiled.pk, bob.pk)])
        assert low_csat_pairs(tenant=t, since=T0 + dt.timedelta(days=1)) == []  # resolved before since
        result = sample_reviews(tenant=t, rubric=qa["rubric"], since=SINCE, per_agent=1, include_low_csat=True)
        low_rows = set(QaReview.objects.filter(source=QaReview.Source.LOW_CSAT).values_list("ticket_id", "agent_id"))
        stratified = set(QaReview.objects.filter(source=QaReview.Source.STRATIFIED)
                         .values_list("ticket_id", "agent_id"))
        # A low-CSAT pair the stratified sample already took is not queued twice.
        assert low_rows == {(low.pk, ana.pk), (spoiled.pk, bob.pk)} - stratified
        assert result.low_csat == len(low_rows) and result.stratified == len(stratified)
        assert sample_reviews(tenant=t, rubric=qa["rubric"], since=SINCE, per_agent=1).low_csat == 0  # once only
