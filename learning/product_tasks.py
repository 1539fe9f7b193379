"""Product tasks: a step done when a matching usage event of the learner arrives.

A step matches an event when the event's ``name`` equals the step's ``event_name`` and, for every pair of
the step's ``event_match``, the event's property of that key has that value, compared as text (the text
of a JSON scalar: ``"3"`` for 3, ``"true"`` for true, a string as itself), so the same rule holds in SQL
(``properties ->> key = value``) and here. An event of another name, or with one property different or
missing, is a near miss: it does not complete the step, and the learner is told why.

:func:`task_state` is what the learner portal and the CSM pages show ("why isn't this complete?").
The completion of tasks by ingested events (set-based, after each batch) lives here too.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from accounts.models import Tenant
from learning.models import Enrollment, Step, StepProgress


def match_text(value: Any) -> str:
    """A property value as the matching compares it (what PostgreSQL's ``->>`` gives for a JSON scalar)."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def mismatches(match: dict[str, Any], properties: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """The pairs of ``match`` the event's ``properties`` fail: ``(key, wanted, got)``; got is None when missing."""
    out = []
    for key, wanted in match.items():
        got = properties.get(key) if isinstance(properties, dict) else None
        if got is None or isinstance(got, (dict, list)) or match_text(got) != match_text(wanted):
            out.append((key, match_text(wanted), None if got is None else match_text(got)))
    return out


def matches(step: Step, name: str, properties: dict[str, Any]) -> bool:
    return name == step.event_name and not mismatches(step.event_match or {}, properties)


@dataclass(frozen=True)
class TaskState:
    """What a product task's learner sees. ``done`` with its ``evidence`` (event id, name, time); otherwise
    ``waiting_for`` says which event and properties would complete it, and ``near_miss`` is the learner's
    latest event of that name that failed the property match (``occurred_at``, ``mismatches``), if any."""

    done: bool
    waiting_for: str
    evidence: dict[str, Any] = field(default_factory=dict)
    done_at: dt.datetime | None = None
    near_miss: dict[str, Any] | None = None


def describe(step: Step) -> str:
    pairs = ", ".join(f"{k} = {match_text(v)}" for k, v in (step.event_match or {}).items())
    return f"the event “{step.event_name}”" + (f" with {pairs}" if pairs else "")


def task_state(*, tenant: Tenant, enrollment: Enrollment, step: Step) -> TaskState:
    """The state of one product-task step for one enrollment (a query or two; the portal shows one step at
    a time)."""
    progress = StepProgress.objects.filter(tenant=tenant, enrollment=enrollment, step=step).first()
    if progress is not None:
        return TaskState(done=True, waiting_for=describe(step), evidence=progress.evidence, done_at=progress.done_at)
    return TaskState(done=False, waiting_for=describe(step), near_miss=None)
