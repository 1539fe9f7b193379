"""Scales and bands per kind, the language fallback, survey definitions and the default survey."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from accounts.tenancy import tenant_scope
from surveys import selectors
from surveys.languages import SHIPPED, fallback_order, language_error, resolve
from surveys.models import Survey, SurveyText
from surveys.scales import SCALES, Kind, score_error
from surveys.services import DEFAULT_TEXTS, SurveyData, SurveyError, TextData, default_survey, save_survey
from tests.surveys.helpers import make_survey


@pytest.mark.parametrize(("kind", "low", "high"), [("csat", 1, 5), ("nps", 0, 10), ("ces", 1, 7)])
def test_each_kind_accepts_its_scale_and_nothing_else(kind, low, high):
    assert (SCALES[kind].low, SCALES[kind].high) == (low, high)
    assert score_error(kind, low) is None and score_error(kind, high) is None
    assert "must be from" in score_error(kind, low - 1)
    assert "must be from" in score_error(kind, high + 1)


@pytest.mark.parametrize(("kind", "score", "band"), [
    ("nps", 0, "detractor"), ("nps", 6, "detractor"), ("nps", 7, "passive"), ("nps", 8, "passive"),
    ("nps", 9, "promoter"), ("nps", 10, "promoter"), ("csat", 2, "low"), ("csat", 3, "neutral"),
    ("csat", 4, "high"), ("ces", 3, "low"), ("ces", 4, "neutral"), ("ces", 5, "high"),
])
def test_bands(kind, score, band):
    assert SCALES[kind].band(score) == band


def test_language_codes():
    assert language_error("pt-BR") is None and language_error("en") is None and language_error("zh-Hant") is None
    for bad in ("", "english", "EN", "e", "pt_BR", "en\x00", "a" * 40, "٢٢"):
        assert language_error(bad), bad


def test_fallback_requested_then_base_then_default_then_any():
    assert fallback_order("pt-BR", "en") == ["pt-br", "pt", "en"]
    assert resolve("pt-BR", "en", {"en", "pt-BR", "pt"}) == "pt-BR"
    assert resolve("pt-BR", "en", {"en", "pt"}) == "pt"
    assert resolve("pt-br", "en", {"en", "pt-BR"}) == "pt-BR"  # case does not matter
    assert resolve("tr", "en", {"en", "de"}) == "en"
    assert resolve("tr", "fr", {"de"}) == "de"
    assert resolve(None, "en", set()) is None


def test_text_for_follows_the_fallback(world_a):
    survey = make_survey(world_a, default_language="tr", texts=[
        TextData(language="tr", question="Bizi tavsiye eder misiniz?"), TextData(language="pt", question="Recomenda?")])
    with world_a.scope():
        assert selectors.text_for(tenant=world_a.tenant, survey=survey, language="pt-BR").language == "pt"
        assert selectors.text_for(tenant=world_a.tenant, survey=survey, language="en").language == "tr"


def test_save_survey_replaces_texts_atomically_and_checks_the_default_language(world_a):
    survey = make_survey(world_a)
    with world_a.scope():
        with pytest.raises(SurveyError) as caught:
            save_survey(tenant=world_a.tenant, survey=survey, data=SurveyData(
                kind="nps", name="X", default_language="de", texts=[TextData(language="fr", question="?")]))
        assert caught.value.field == "default_language"
        assert [t.language for t in SurveyText.objects.filter(survey=survey)] == ["en"]
        save_survey(tenant=world_a.tenant, survey=survey, data=SurveyData(
            kind="nps", name="Y",
            texts=[TextData(language="en", question="Q2"), TextData(language="tr", question="S")]))
        assert sorted(SurveyText.objects.filter(survey=survey).values_list("language", flat=True)) == ["en", "tr"]


def test_a_new_default_takes_the_flag_from_the_old_one(world_a):
    first = make_survey(world_a, name="First", is_default=True)
    second = make_survey(world_a, name="Second", is_default=True)
    with world_a.scope():
        assert list(Survey.objects.filter(kind="nps", is_default=True)) == [second]
        first.refresh_from_db()
        assert not first.is_default


def test_default_survey_twice_is_one(world_a):
    with world_a.scope():
        one = default_survey(tenant=world_a.tenant, kind=Kind.CSAT)
        two = default_survey(tenant=world_a.tenant, kind=Kind.CSAT)
        assert one.pk == two.pk and one.is_default
        assert Survey.objects.filter(kind="csat").count() == 1
        # Its question in every shipped language, English the default (the public page and emails read them).
        texts = {t.language: t.question for t in SurveyText.objects.filter(survey=one)}
        assert set(texts) == set(SHIPPED) and one.default_language == "en"
        assert texts["tr"] == DEFAULT_TEXTS[Kind.CSAT]["tr"] != texts["en"]


@pytest.mark.django_db(transaction=True)
def test_default_survey_under_concurrent_first_use_is_one(world_a):
    """Two first uses at once make one survey. The race that CI met, made certain: the second use checks
    while the first's survey is uncommitted, and goes on only after the first commits (the table lock
    below holds it at its next write). Without the advisory lock it then demoted the first's default and
    made a second survey."""
    a_created, b_blocked = threading.Event(), threading.Event()
    found, errors = {}, []

    def first() -> None:
        try:
            with tenant_scope(world_a.tenant), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("LOCK TABLE surveys_survey IN SHARE ROW EXCLUSIVE MODE")
                found["a"] = default_survey(tenant=world_a.tenant, kind="ces").pk
                a_created.set()
                assert b_blocked.wait(timeout=20), "the second use never waited"
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            a_created.set()
            connection.close()

    def second() -> None:
        try:
            a_created.wait(timeout=20)
            with tenant_scope(world_a.tenant):
                found["b"] = default_survey(tenant=world_a.tenant, kind="ces").pk
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    a_created.wait(timeout=20)
    for _ in range(200):  # until the second use waits on a lock (the first's, either of them)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                           "AND datname = current_database()")
            if cursor.fetchone()[0]:
                break
        time.sleep(0.05)
    b_blocked.set()
    for t in threads:
        t.join()
    assert not errors, errors
    assert found["a"] == found["b"]
    with world_a.scope():
        assert Survey.objects.filter(kind="ces").count() == 1
