"""Survey pages: permissions, the form (bad input a 400 naming the field), bounded queries, htmx partial."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from surveys.models import Survey, SurveyText
from surveys.services import TextData, record_responses
from tests.factories import MembershipFactory, UserFactory
from tests.surveys.helpers import make_survey, make_ticket


def form_body(**over):
    body = {"kind": "csat", "name": "Support CSAT", "default_language": "en", "delay_hours": "24",
            "brand_colour": "#112233", "is_active": "on", "texts-TOTAL_FORMS": "2", "texts-INITIAL_FORMS": "0",
            "texts-MIN_NUM_FORMS": "0", "texts-MAX_NUM_FORMS": "20",
            "texts-0-language": "en", "texts-0-question": "How did we do?", "texts-0-followup_low": "What went wrong?",
            "texts-1-language": "", "texts-1-question": ""}
    body.update(over)
    return body


def test_manager_roles_create_and_viewers_only_read(world_a):
    base = f"/t/{world_a.tenant.slug}/surveys/"
    response = world_a.client_for(world_a.csm).post(base + "new/", form_body())
    assert response.status_code == 302
    with world_a.scope():
        survey = Survey.objects.get()
        assert (survey.kind, survey.brand_colour) == ("csat", "#112233")
        assert SurveyText.objects.get(survey=survey).followup_low == "What went wrong?"
    viewer = world_a.client_for(world_a.viewer)
    assert viewer.get(base).status_code == 200
    assert viewer.get(f"{base}{survey.pk}/").status_code == 200
    assert viewer.get(base + "new/").status_code == 403
    assert viewer.post(f"{base}{survey.pk}/edit/", form_body(name="Hijacked")).status_code == 403
    with world_a.scope():
        assert Survey.objects.get().name == "Support CSAT"
    with world_a.scope():
        agent = MembershipFactory(tenant=world_a.tenant, role=Role.AGENT, user=UserFactory(username="ag@alpha.test"))
    assert world_a.client_for(agent).get(base + "new/").status_code == 403
    assert world_a.client_for(agent).get(base).status_code == 200


@pytest.mark.parametrize(("over", "message"), [
    ({"brand_colour": "red"}, "Brand colour: a colour as #rrggbb"),
    ({"delay_hours": "99999999999"}, "less than or equal to 2160"),
    ({"kind": "stars"}, "Select a valid choice"),
    ({"texts-0-language": "english"}, "a language code such as en"),
    ({"texts-0-question": ""}, "Question: required for a text."),
    ({"default_language": "de"}, "must be the language of one of the texts"),
    ({"texts-TOTAL_FORMS": "5000"}, "Please submit at most 20 forms"),
    ({"name": "x\x00y"}, "Null characters are not allowed"),
    ({"texts-0-language": "", "texts-0-question": "", "texts-0-followup_low": ""}, "Texts: give at least one language"),
    ({"texts-0-language": ""}, "Language: required for a text."),
])
def test_bad_input_is_a_400_naming_the_field(world_a, over, message):
    response = world_a.client_for().post(f"/t/{world_a.tenant.slug}/surveys/new/", form_body(**over))
    assert response.status_code == 400
    assert message in response.content.decode()
    with world_a.scope():
        assert not Survey.objects.exists()


def test_edit_keeps_the_kind_of_a_survey_with_responses(world_a):
    survey = make_survey(world_a, kind="nps")
    with world_a.scope():
        record_responses(tenant=world_a.tenant, items=[{"survey": str(survey.pk), "contact": "user-0", "score": 9}])
    response = world_a.client_for().post(f"/t/{world_a.tenant.slug}/surveys/{survey.pk}/edit/",
                                         form_body(kind="csat", name="Changed"))
    assert response.status_code == 400 and "keeps its kind" in response.content.decode()


def _responses(world, survey, n):
    make_ticket(world, "T-9")
    with world.scope():
        items = [{"survey": str(survey.pk), "contact": f"user-{i % 4}", "score": i % 11, "comment": f"note {i}",
                  "ticket": "T-9" if i % 2 else None} for i in range(n)]
        assert record_responses(tenant=world.tenant, items=items).accepted == n


def test_list_and_detail_queries_are_bounded(world_a):
    surveys = [make_survey(world_a, name=f"S{i}") for i in range(3)]
    _responses(world_a, surveys[0], 5)
    client = world_a.client_for()
    counts = []
    for extra in (0, 40):
        if extra:
            _responses(world_a, surveys[0], extra)
            make_survey(world_a, name="More")
        with CaptureQueriesContext(connection) as list_ctx:
            listed = client.get(f"/t/{world_a.tenant.slug}/surveys/")
        with CaptureQueriesContext(connection) as detail_ctx:
            detail = client.get(f"/t/{world_a.tenant.slug}/surveys/{surveys[0].pk}/")
        assert listed.status_code == detail.status_code == 200
        counts.append((len(list_ctx), len(detail_ctx)))
    assert counts[0] == counts[1], counts
    assert counts[1][0] <= 12 and counts[1][1] <= 14, counts
    body = detail.content.decode()
    assert "note 1" in body and "Export fails" in body  # the ticket link
    assert ">45<" in listed.content.decode()  # the responses count


def test_detail_partial_for_htmx(world_a):
    survey = make_survey(world_a)
    _responses(world_a, survey, 3)
    response = world_a.client_for().get(f"/t/{world_a.tenant.slug}/surveys/{survey.pk}/?page=1",
                                        headers={"HX-Request": "true", "HX-Target": "results"})
    body = response.content.decode()
    assert response.status_code == 200 and 'id="results"' in body and "<html" not in body


def test_edit_shows_the_saved_texts_and_an_emptied_row_is_removed(world_a):
    survey = make_survey(world_a, texts=[TextData(language="en", question="Recommend us?"),
                                         TextData(language="tr", question="Tavsiye eder misiniz?")])
    url = f"/t/{world_a.tenant.slug}/surveys/{survey.pk}/edit/"
    page = world_a.client_for().get(url).content.decode()
    assert "Tavsiye eder misiniz?" in page and 'name="texts-TOTAL_FORMS" value="4"' in page
    body = form_body(kind="nps", **{"texts-TOTAL_FORMS": "2", "texts-INITIAL_FORMS": "2",
                                    "texts-1-language": "", "texts-1-question": ""})
    assert world_a.client_for().post(url, body).status_code == 302
    with world_a.scope():
        assert list(SurveyText.objects.filter(survey=survey).values_list("language", flat=True)) == ["en"]
