"""Scorecards: the default one made once, definitions validated naming the field, a changed definition
becoming a new immutable version, and which scorecard applies to an account."""

from __future__ import annotations

import copy

import pytest

from health.scores.components import COMPONENTS
from health.scores.definitions import DefinitionError, clean_definition, default_definition
from health.scores.models import HealthScore, Scorecard, ScorecardVersion
from health.scores.selectors import pick_scorecard, scorecards_in_order
from health.scores.services import ScorecardData, ScorecardError, ensure_default_scorecard, save_scorecard

pytestmark = pytest.mark.django_db
NEXT = len(default_definition()["components"])  # the index of a component appended to the default ones


def test_the_default_definition_weighs_to_100_with_valid_mappings():
    definition = default_definition()
    assert sum(c["weight"] for c in definition["components"]) == 100
    assert list(definition["bands"]) == ["red", "yellow", "green"]
    assert {c["key"] for c in definition["components"]} <= set(COMPONENTS)
    assert clean_definition(definition) == definition  # stored form is a fixed point


@pytest.mark.parametrize(("change", "field"), [
    (lambda d: d.update(components=[]), "components"),
    (lambda d: d["components"][0].update(key="magic"), "components[0].key"),
    (lambda d: d["components"][1].update(weight=0), "components[1].weight"),
    (lambda d: d["components"][1].update(weight=True), "components[1].weight"),
    (lambda d: d["components"][2].update(mapping={"kind": "ramp", "low": 3, "high": 1}), "components[2].mapping.high"),
    (lambda d: d["components"].append(dict(d["components"][0])), f"components[{NEXT}].key"),
    (lambda d: d["components"].append({"key": "category_usage_per_seat", "weight": 5}), f"components[{NEXT}].category"),
    (lambda d: d["components"][0].update(category="Analytics"), "components[0].category"),
    (lambda d: d.update(bands={"red": 10, "green": 70}), "bands"),
    (lambda d: d.update(bands={"red": 0, "green": 100}), "bands.green"),
    (lambda d: d.update(bands={"Red": 0, "green": 70}), "bands"),
    (lambda d: d.update(bands={"red": 0}), "bands"),
])
def test_bad_definitions_name_the_field(change, field):
    definition = copy.deepcopy(default_definition())
    change(definition)
    with pytest.raises(DefinitionError) as caught:
        clean_definition(definition)
    assert caught.value.field == field


def test_default_scorecard_is_made_once(world_a):
    with world_a.scope():
        first = ensure_default_scorecard(tenant=world_a.tenant)
        again = ensure_default_scorecard(tenant=world_a.tenant)
        assert first.pk == again.pk and first.current_version.number == 1
        assert Scorecard.objects.count() == 1 and ScorecardVersion.objects.count() == 1


def test_a_changed_definition_is_a_new_version_and_the_old_stays(world_a):
    tenant, account = world_a.tenant, world_a.accounts[0]
    with world_a.scope():
        definition = default_definition()
        card = save_scorecard(tenant=tenant, scorecard=None, by=world_a.admin.user, data=ScorecardData(
            name="Onboarding", definition=definition, lifecycle_stages=["Onboarding "], priority=10))
        v1 = card.current_version
        assert v1.number == 1 and card.lifecycle_stages == ["onboarding"] and v1.created_by == world_a.admin.user
        HealthScore.objects.create(account=account, day="2026-11-30", version=v1, score=55, band="yellow",
                                   confidence=1, computed_at=v1.created_at)
        # The same definition again: no new version.
        save_scorecard(tenant=tenant, scorecard=card, by=None, data=ScorecardData(
            name="Onboarding", definition=definition, lifecycle_stages=["onboarding"], priority=10))
        assert ScorecardVersion.objects.filter(scorecard=card).count() == 1
        changed = copy.deepcopy(definition)
        changed["components"][0]["weight"] = 40
        save_scorecard(tenant=tenant, scorecard=card, by=None, data=ScorecardData(
            name="Onboarding", definition=changed, lifecycle_stages=["onboarding"], priority=10))
        card.refresh_from_db()
        assert card.current_version.number == 2
        v1.refresh_from_db()
        assert v1.definition == definition  # frozen: the score computed with it stays reproducible
        assert HealthScore.objects.get().version_id == v1.pk


def test_bad_scorecard_input_writes_nothing(world_a):
    tenant = world_a.tenant
    with world_a.scope():
        ensure_default_scorecard(tenant=tenant)
        bad_definition = default_definition() | {"bands": {"red": 5, "green": 60}}
        for data, field in ((ScorecardData(name="", definition=default_definition()), "name"),
                            (ScorecardData(name="Default", definition=default_definition()), "name"),
                            (ScorecardData(name="X", definition=default_definition(), priority=-1), "priority"),
                            (ScorecardData(name="X", definition=default_definition(), tiers=["a" * 65]), "tiers"),
                            (ScorecardData(name="X", definition=bad_definition), "bands")):
            with pytest.raises(ScorecardError) as caught:
                save_scorecard(tenant=tenant, scorecard=None, data=data, by=None)
            assert caught.value.field == field
        assert Scorecard.objects.count() == 1 and ScorecardVersion.objects.count() == 1


def test_first_matching_scorecard_by_priority_else_the_default(world_a, django_assert_num_queries):
    tenant = world_a.tenant
    with world_a.scope():
        default = ensure_default_scorecard(tenant=tenant)
        definition = default_definition()
        onboarding = save_scorecard(tenant=tenant, scorecard=None, by=None, data=ScorecardData(
            name="Onboarding", definition=definition, lifecycle_stages=["onboarding"], priority=20))
        premium = save_scorecard(tenant=tenant, scorecard=None, by=None, data=ScorecardData(
            name="Premium", definition=definition, tiers=["premium"], priority=10))
        with django_assert_num_queries(1):
            cards = scorecards_in_order(tenant=tenant)
            assert cards[-1].current_version.number == 1
        assert pick_scorecard(cards, lifecycle_stage="onboarding", tier="Premium").pk == premium.pk
        assert pick_scorecard(cards, lifecycle_stage="Onboarding", tier="standard").pk == onboarding.pk
        assert pick_scorecard(cards, lifecycle_stage="adoption", tier="").pk == default.pk
        assert pick_scorecard([onboarding], lifecycle_stage="adoption", tier="") is None
