"""The surveys API: scopes, the bulk answer shape, bad input naming the field, lists with cursors."""

from __future__ import annotations

import json

from surveys.models import Survey
from tests.factories import make_api_key

SURVEY = {"kind": "nps", "name": "Relationship NPS", "default_language": "en", "delay_hours": 48,
          "texts": [{"language": "en", "question": "Would you recommend us?", "followup_low": "What should we fix?"},
                    {"language": "tr", "question": "Bizi tavsiye eder misiniz?"}]}


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_create_and_list_surveys(world_a):
    response = post(world_a.api(), "/api/v1/surveys", SURVEY)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["kind"] == "nps" and created["delay_hours"] == 48
    assert [t["language"] for t in created["texts"]] == ["en", "tr"]
    listed = world_a.api().get("/api/v1/surveys").json()
    assert [s["id"] for s in listed["results"]] == [created["id"]]


def test_bad_survey_bodies_name_the_field(world_a):
    cases = [({**SURVEY, "kind": "stars"}, "kind"), ({**SURVEY, "delay_hours": 10**9}, "delay_hours"),
             ({**SURVEY, "brand_colour": "red"}, "brand_colour"), ({**SURVEY, "default_language": "de"},
                                                                   "default_language"),
             ({**SURVEY, "texts": []}, "texts"), ({**SURVEY, "name": "x" * 201}, "name"),
             ({**SURVEY, "texts": [SURVEY["texts"][0], SURVEY["texts"][0]]}, "texts")]
    for body, field in cases:
        response = post(world_a.api(), "/api/v1/surveys", body)
        assert response.status_code == 400, (field, response.content)
        assert field in response.content.decode(), (field, response.content)
    assert post(world_a.api(), "/api/v1/surveys", [SURVEY]).status_code == 400
    with world_a.scope():
        assert not Survey.objects.exists()


def test_responses_one_object_or_a_list(world_a):
    one = post(world_a.api(), "/api/v1/survey-responses",
               {"survey": "csat", "contact": "user-1", "score": 5, "external_id": "w-1"})
    assert one.status_code == 200 and one.json()["accepted"] == 1
    many = post(world_a.api(), "/api/v1/survey-responses", [
        {"survey": "csat", "contact": "user-1", "score": 5, "external_id": "w-1"},
        {"survey": "nps", "contact": "user-2", "score": 12}])
    body = many.json()
    assert (body["accepted"], body["duplicates"]) == (0, 1)
    assert body["rejected"] == [{"index": 1, "errors": [{"field": "score", "message": body["rejected"][0]["errors"][0]
                                                         ["message"]}]}]
    too_many = post(world_a.api(), "/api/v1/survey-responses", [{}] * 1001)
    assert too_many.status_code == 413


def test_scopes(world_a):
    _, read_only = make_api_key(world_a.tenant, scopes=("read",), raw="csk_read_only_surveys")
    reader = world_a.api(read_only)
    assert reader.get("/api/v1/surveys").status_code == 200
    assert post(reader, "/api/v1/surveys", SURVEY).status_code == 403
    answer = {"survey": "nps", "contact": "user-0", "score": 1}
    assert post(reader, "/api/v1/survey-responses", answer).status_code == 403
    _, write_only = make_api_key(world_a.tenant, scopes=("write",), raw="csk_write_only_surveys")
    assert world_a.api(write_only).get("/api/v1/surveys").status_code == 403
    assert world_a.api("csk_nonsense").get("/api/v1/surveys").status_code == 401
    from django.test import Client
    assert Client().get("/api/v1/accounts/acc-0/survey-responses").status_code in (401, 403)


def test_account_responses_with_comments_and_cursor(world_a):
    account = world_a.contacts[0].account
    post(world_a.api(), "/api/v1/survey-responses", [
        {"survey": "nps", "contact": "user-0", "score": s, "comment": f"c{s}"} for s in range(3)])
    first = world_a.api().get(f"/api/v1/accounts/{account.external_id}/survey-responses?limit=2").json()
    assert [r["comment"] for r in first["results"]] == ["c0", "c1"]
    assert first["results"][0]["survey_kind"] == "nps" and first["results"][0]["contact"] == "user-0"
    rest = world_a.api().get(first["next"]).json()
    assert [r["comment"] for r in rest["results"]] == ["c2"]
    assert world_a.api().get("/api/v1/accounts/nope/survey-responses").status_code == 404



def test_a_bad_text_is_named_by_its_index(world_a):
    body = {**SURVEY, "texts": [SURVEY["texts"][0], {"language": "english", "question": "?"}]}
    response = post(world_a.api(), "/api/v1/surveys", body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "texts[1].language"
