"""The components a scorecard can weigh: what each one's input is (its definition, shown beside every
figure), and the mapping a new scorecard starts with. The inputs themselves are computed set-based from the
usage rollups and the other apps' selectors by the computation step (issue 14, next step); this module is
the vocabulary the scorecard versions are written in.

Each input is a number per account and local day d, from data up to the end of d only (METRICS.md "Health").
"""

from __future__ import annotations

from dataclasses import dataclass

from health.scores.mapping import clean_mapping


@dataclass(frozen=True)
class Component:
    key: str
    label: str
    definition: str
    default_mapping: dict
    default_weight: float = 0.0  # 0: not in the default scorecard


def _ramp(low: float, high: float, direction: str = "higher") -> dict:
    return clean_mapping({"kind": "ramp", "low": low, "high": high, "direction": direction})


COMPONENTS: dict[str, Component] = {c.key: c for c in (
    Component("active_users_trend", "Active users trend",
              "Active users in the 30 days ending d divided by active users in the 30 days before (1 = flat).",
              _ramp(0.5, 1.1), 15),
    Component("license_utilization", "License utilization",
              "Active users in the 30 days ending d / seats purchased (no data without seats).", _ramp(0.2, 0.8), 20),
    Component("breadth", "Breadth", "Distinct catalog features used in the 30 days ending d / features in the "
              "catalog.", _ramp(0.1, 0.6), 10),
    Component("depth", "Depth", "Events per active user in the 30 days ending d.", _ramp(5, 60), 10),
    Component("category_usage_per_seat", "Feature category per seat",
              "Events of the scorecard's chosen feature category in the 30 days ending d / seats purchased.",
              _ramp(0.5, 10)),
    Component("training_adoption", "Training adoption",
              "Trained contacts (completed at least one learning path by d) / seats purchased.", _ramp(0.05, 0.5), 10),
    Component("tickets_per_seat", "Tickets per seat",
              "Tickets created in the 30 days ending d / seats purchased.", _ramp(0.05, 1.0, "lower"), 5),
    Component("open_high_priority_tickets", "Open high-priority tickets",
              "High or urgent tickets open at the end of d.", _ramp(0, 3, "lower"), 5),
    Component("sla_breaches", "SLA breaches", "SLA breaches of the account's tickets in the 30 days ending d.",
              _ramp(0, 5, "lower"), 5),
    Component("nps", "NPS", "The latest NPS score (0-10) of the account's contacts by d.", _ramp(4, 9), 10),
    Component("csat", "CSAT", "Mean CSAT (1-5) of the account's responses in the 90 days ending d.", _ramp(2, 4.5), 5),
    Component("onboarding_milestones", "Onboarding milestones",
              "Value milestones reached by d / milestones in the catalog, in the account's first 90 days "
              "(no data after them).", _ramp(0, 1), 5),
    Component("tenure", "Tenure", "Days from the account's first contract start to d.", _ramp(30, 730)),
    Component("days_to_renewal", "Days to renewal", "Days from d to the account's renewal date (no data without "
              "one).", _ramp(15, 120)),
)}
