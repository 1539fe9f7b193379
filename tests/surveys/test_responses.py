"""record_responses: valid and invalid items mixed, rejections by index naming the field, nothing
half-written, idempotency by external_id, every bound."""

from __future__ import annotations

import datetime as dt

from surveys.models import SurveyResponse
from surveys.services import record_responses
from tests.surveys.helpers import make_survey, make_ticket

AT = "2026-06-01T10:00:00+00:00"


def item(**over):
    return {"survey": "nps", "contact": "user-0", "score": 9, "comment": "Great support", "submitted_at": AT,
            **over}


def record(world, items):
    with world.scope():
        return record_responses(tenant=world.tenant, items=items).as_dict()


def fields_of(result):
    return {r["index"]: [e["field"] for e in r["errors"]] for r in result["rejected"]}


def test_mixed_batch_writes_the_valid_and_names_the_fields_of_the_rest(world_a):
    make_ticket(world_a, "T-1")
    result = record(world_a, [
        item(external_id="r-0", ticket="T-1"),
        item(score=11),  # out of NPS range
        item(survey="csat", score=0),  # out of CSAT range (fine for NPS)
        item(contact="nobody"),
        item(ticket="T-missing"),
        item(comment="bad\x00byte"),
        item(comment="x" * 5001),
        item(submitted_at="1999-12-31T23:59:59+00:00"),
        item(submitted_at="2026-06-01T10:00:00"),  # naive
        item(survey="999999"),
        item(survey="csat", score=5, language="pt-BR"),
        item(language="english"),
        item(colour="#fff"),  # unknown field
        "not an object",
        item(survey="ces", score=8),
    ])
    assert (result["accepted"], result["duplicates"]) == (2, 0)
    assert fields_of(result) == {
        1: ["score"], 2: ["score"], 3: ["contact"], 4: ["ticket"], 5: ["comment"], 6: ["comment"],
        7: ["submitted_at"], 8: ["submitted_at"], 9: ["survey"], 11: ["language"], 12: ["colour"], 13: [None],
        14: ["score"]}
    with world_a.scope():
        rows = list(SurveyResponse.objects.order_by("id").select_related("survey"))
        assert [(r.survey.kind, r.score) for r in rows] == [("nps", 9), ("csat", 5)]
        first = rows[0]
        assert first.ticket.external_id == "T-1" and first.account_id == world_a.contacts[0].account_id
        assert first.submitted_at == dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC) and first.source == "api"


def test_repeat_is_a_duplicate_and_a_changed_repeat_updates(world_a):
    assert record(world_a, [item(external_id="r-1")])["accepted"] == 1
    again = record(world_a, [item(external_id="r-1")])
    assert (again["accepted"], again["duplicates"]) == (0, 1)
    changed = record(world_a, [item(external_id="r-1", score=3, comment="Changed my mind")])
    assert (changed["accepted"], changed["updated"], changed["duplicates"]) == (1, 1, 0)
    with world_a.scope():
        stored = SurveyResponse.objects.get()
        assert (stored.score, stored.comment) == (3, "Changed my mind")


def test_same_external_id_twice_in_one_batch_keeps_the_first(world_a):
    result = record(world_a, [item(external_id="r-2"), item(external_id="r-2", score=1)])
    assert result["accepted"] == 1 and fields_of(result) == {1: ["external_id"]}


def test_without_external_id_every_item_is_a_new_response(world_a):
    assert record(world_a, [item(), item()])["accepted"] == 2


def test_survey_by_id_and_by_kind(world_a):
    survey = make_survey(world_a, kind="ces", name="Effort")
    result = record(world_a, [item(survey=str(survey.pk), score=7), item(survey=survey.pk, score=1),
                              item(survey="CSAT", score=4)])
    assert result["accepted"] == 3, result
    with world_a.scope():
        assert SurveyResponse.objects.filter(survey=survey).count() == 2


def test_the_other_tenants_survey_contact_and_ticket_are_unknown(worlds):
    a, b = worlds
    b_survey = make_survey(b)
    make_ticket(b, "T-B")
    result = record(a, [item(survey=str(b_survey.pk)), item(ticket="T-B")])
    assert fields_of(result) == {0: ["survey"], 1: ["ticket"]}
    with b.scope():
        assert not SurveyResponse.objects.exists()
