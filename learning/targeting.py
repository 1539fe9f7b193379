"""Who a learning path is for: a pure rule match (unit-tested as a matrix, no database) and the facts of
contacts it is evaluated on, read for many contacts in one query."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

RULE_FIELDS = ("personas", "knowledge_levels", "lifecycle_stages", "tiers", "plans")
MAX_RULE_VALUES = 50
MAX_RULE_VALUE = 64


@dataclass(frozen=True)
class Rule:
    """A targeting rule's lists; an empty list = any value."""

    personas: tuple[str, ...] = ()
    knowledge_levels: tuple[str, ...] = ()
    lifecycle_stages: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    plans: tuple[str, ...] = ()

    @classmethod
    def of(cls, rule) -> Rule:
        """From a ``TargetingRule`` row (or None: a path without a rule is for everyone)."""
        if rule is None:
            return cls()
        return cls(**{name: tuple(normalize(v) for v in getattr(rule, name) or ()) for name in RULE_FIELDS})


@dataclass(frozen=True)
class ContactFacts:
    """What targeting looks at: the contact's persona and knowledge level, its account's stage, tier, plan."""

    persona: str = ""
    knowledge_level: str = ""
    lifecycle_stage: str = ""
    tier: str = ""
    plan: str = ""


def normalize(value: str) -> str:
    # Personas, tiers and plans are free text from CRMs and CSVs ("Admin", " admin"): compare them folded.
    return str(value).strip().casefold()


def matches(rule: Rule, facts: ContactFacts) -> bool:
    """Every non-empty list of the rule must hold the contact's value; a blank value matches only a rule
    that does not constrain it (an unknown persona is not "any" persona)."""
    pairs = ((rule.personas, facts.persona), (rule.knowledge_levels, facts.knowledge_level),
             (rule.lifecycle_stages, facts.lifecycle_stage), (rule.tiers, facts.tier), (rule.plans, facts.plan))
    return all(not allowed or normalize(value) in allowed for allowed, value in pairs)


def clean_values(field: str, values: Sequence[str]) -> list[str]:
    """A rule list as stored: strings, folded, deduplicated, bounded (a ValueError names the field)."""
    if not isinstance(values, (list, tuple)):
        raise ValueError(f"{field}: a list of values")
    if len(values) > MAX_RULE_VALUES:
        raise ValueError(f"{field}: at most {MAX_RULE_VALUES} values")
    out: list[str] = []
    for value in values:
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_RULE_VALUE:
            raise ValueError(f"{field}: each value is a non-empty text of at most {MAX_RULE_VALUE} characters")
        folded = normalize(value)
        if folded not in out:
            out.append(folded)
    return out
