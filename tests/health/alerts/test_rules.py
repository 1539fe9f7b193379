"""Rule parameters: defaults, bounds and errors naming the field; the default rule set created once; a rule's
edit validated whole before anything is saved."""

from __future__ import annotations

import pytest

from health.alerts.models import AlertRule, RuleKind
from health.alerts.rules import PARAMS, RuleError, clean_params, default_params
from health.alerts.services import PlaybookData, RuleData, ensure_default_rules, save_playbook, update_rule


def test_every_kind_has_parameters_whose_defaults_are_valid():
    assert set(PARAMS) == set(RuleKind.values)
    for kind in RuleKind.values:
        assert clean_params(kind, {}) == default_params(kind)


@pytest.mark.parametrize(("kind", "params", "field"), [
    (RuleKind.SCORE_DROP, {"points": 0}, "params.points"),
    (RuleKind.SCORE_DROP, {"points": 101}, "params.points"),
    (RuleKind.SCORE_DROP, {"days": 2.5}, "params.days"),
    (RuleKind.SCORE_DROP, {"days": True}, "params.days"),
    (RuleKind.SCORE_DROP, {"days": "NaN"}, "params.days"),
    (RuleKind.SCORE_DROP, {"weeks": 1}, "params.weeks"),
    (RuleKind.FIRST_90_DAYS, {"utilization_below": 1.5}, "params.utilization_below"),
    (RuleKind.FIRST_90_DAYS, {"grace_days": 90}, "params.grace_days"),
    (RuleKind.TURNS_RED, {"band": "Red!"}, "params.band"),
    (RuleKind.RENEWAL_AT_RISK, {"days": 366}, "params.days"),
    (RuleKind.USAGE_STOPS, {"days": -1}, "params.days"),
    (RuleKind.DETRACTOR, [1], "params"),
    ("nope", {}, "kind"),
])
def test_bad_parameters_name_their_field(kind, params, field):
    with pytest.raises(RuleError) as error:
        clean_params(kind, params)
    assert error.value.field == field


def test_numbers_from_a_form_are_accepted_within_bounds():
    assert clean_params(RuleKind.SCORE_DROP, {"points": "14", "days": "7"}) == {"points": 14, "days": 7}
    assert clean_params(RuleKind.TURNS_RED, {"band": " yellow "}) == {"band": "yellow"}


@pytest.mark.django_db
def test_default_rules_are_created_once(world_a):
    tenant = world_a.tenant
    with world_a.scope():
        assert ensure_default_rules(tenant=tenant) == len(RuleKind.values)
        assert ensure_default_rules(tenant=tenant) == 0
        assert sorted(AlertRule.objects.values_list("kind", flat=True)) == sorted(RuleKind.values)


@pytest.mark.django_db
def test_a_rule_edit_is_validated_whole_and_saves_nothing_on_error(world_a, world_b):
    tenant = world_a.tenant
    with world_b.scope():
        foreign = save_playbook(tenant=world_b.tenant, playbook=None, data=PlaybookData(name="Theirs"))
    with world_a.scope():
        ensure_default_rules(tenant=tenant)
        rule = AlertRule.objects.get(kind=RuleKind.SCORE_DROP)
        before = (rule.name, rule.params, rule.due_in_days)
        for data, field in [
            (RuleData(name="x", is_active=True, params={"points": 500}, due_in_days=3, playbook=None), "params.points"),
            (RuleData(name="x", is_active=True, params={}, due_in_days=400, playbook=None), "due_in_days"),
            (RuleData(name=" ", is_active=True, params={}, due_in_days=3, playbook=None), "name"),
            (RuleData(name="Health turns red", is_active=True, params={}, due_in_days=3, playbook=None), "name"),
            (RuleData(name="x", is_active=True, params={}, due_in_days=3, playbook=foreign), "playbook"),
        ]:
            with pytest.raises(RuleError) as error:
                update_rule(tenant=tenant, rule=rule, data=data)
            assert error.value.field == field
            rule.refresh_from_db()
            assert (rule.name, rule.params, rule.due_in_days) == before
        update_rule(tenant=tenant, rule=rule, data=RuleData(name="Big drop", is_active=False,
                                                            params={"points": 20}, due_in_days=1, playbook=None))
        rule.refresh_from_db()
        assert (rule.name, rule.is_active, rule.params, rule.due_in_days) == ("Big drop", False,
                                                                              {"points": 20, "days": 7}, 1)
