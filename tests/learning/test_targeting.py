"""The targeting matrix: a pure function, no database."""

from __future__ import annotations

import pytest

from learning.targeting import ContactFacts, Rule, clean_values, matches

ADMIN_BEGINNER = ContactFacts(persona="admin", knowledge_level="beginner", lifecycle_stage="onboarding",
                              tier="premium", plan="growth")


@pytest.mark.parametrize(("rule", "expected"), [
    (Rule(), True),  # no constraint: everyone
    (Rule(personas=("admin",)), True),
    (Rule(personas=("end_user",)), False),
    (Rule(personas=("end_user", "admin")), True),
    (Rule(knowledge_levels=("beginner",)), True),
    (Rule(knowledge_levels=("expert",)), False),
    (Rule(lifecycle_stages=("onboarding", "adoption")), True),
    (Rule(lifecycle_stages=("renewal",)), False),
    (Rule(tiers=("premium",)), True),
    (Rule(tiers=("standard",)), False),
    (Rule(plans=("growth",)), True),
    (Rule(plans=("enterprise",)), False),
    # Every constrained field must match, not any one of them.
    (Rule(personas=("admin",), knowledge_levels=("beginner",), lifecycle_stages=("onboarding",),
          tiers=("premium",), plans=("growth",)), True),
    (Rule(personas=("admin",), knowledge_levels=("expert",)), False),
    (Rule(personas=("admin",), tiers=("standard",)), False),
])
def test_matrix(rule, expected):
    assert matches(rule, ADMIN_BEGINNER) is expected


def test_free_text_values_compare_folded():
    assert matches(Rule(personas=("admin",)), ContactFacts(persona=" Admin "))


def test_a_blank_value_matches_only_an_unconstrained_field():
    unknown = ContactFacts(persona="")
    assert matches(Rule(), unknown)
    assert not matches(Rule(personas=("admin",)), unknown)


def test_rule_lists_are_cleaned_and_bounded():
    assert clean_values("personas", ["Admin", "admin ", "End User"]) == ["admin", "end user"]
    for bad in ("admin", [""], [3], ["x" * 65], ["a"] * 51):
        with pytest.raises(ValueError, match="personas"):
            clean_values("personas", bad)
