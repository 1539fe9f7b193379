"""The parameters of each alert rule kind, with their bounds, and their validation (pure: no database).

:func:`clean_params` answers the parameters as stored (every one present, defaults filled in) or raises a
:class:`RuleError` naming the field (``params.points``), so a rule never stores a value the evaluation
cannot use. What each kind sees, and the cause key that names its episode, is documented in
health.alerts.evaluation.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from health.alerts.models import RuleKind

BAND_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")  # health.scores.definitions' band names


class RuleError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Param:
    """One parameter: ``kind`` int, share (a fraction 0-1, shown as a percentage) or band (a band name, blank
    = the lowest band of the account's scorecard)."""

    name: str
    label: str
    kind: str
    default: Any
    low: float = 0
    high: float = 0

    def describe(self) -> str:
        if self.kind == "band":
            return "a band name; blank = the lowest band of the account's scorecard"
        if self.kind == "share":
            return f"a share from {self.low:g} to {self.high:g}"
        return f"a whole number from {self.low:g} to {self.high:g}"


PARAMS: dict[str, tuple[Param, ...]] = {
    RuleKind.SCORE_DROP: (
        Param("points", "Points dropped (at least)", "int", 15, 1, 100),
        Param("days", "Within days", "int", 7, 1, 90),
    ),
    RuleKind.TURNS_RED: (Param("band", "Band that counts as red", "band", ""),),
    RuleKind.FIRST_90_DAYS: (
        Param("utilization_below", "Seat gap: license utilization below", "share", 0.3, 0, 1),
        Param("untrained_share_above", "Untrained active users: share above", "share", 0.5, 0, 1),
        Param("grace_days", "Judge from day (after the start)", "int", 14, 0, 89),
    ),
    RuleKind.RENEWAL_AT_RISK: (Param("days", "Renewal within days", "int", 60, 1, 365),),
    RuleKind.DETRACTOR: (Param("days", "Answered within days", "int", 7, 1, 365),),
    RuleKind.NO_TRAINED_ADMIN: (Param("grace_days", "Days after the start before it counts", "int", 30, 0, 365),),
    RuleKind.USAGE_STOPS: (Param("days", "No events for days", "int", 14, 1, 90),),
}

DUE_MAX = 365


def _number(raw: Any, param: Param) -> float:
    if isinstance(raw, bool):
        raise RuleError(f"params.{param.name}", param.describe())
    if isinstance(raw, str):
        try:
            raw = float(raw.strip())
        except ValueError:
            raise RuleError(f"params.{param.name}", param.describe()) from None
    if not isinstance(raw, (int, float)) or not math.isfinite(raw) or not param.low <= raw <= param.high:
        raise RuleError(f"params.{param.name}", param.describe())
    if param.kind == "int":
        if raw != int(raw):
            raise RuleError(f"params.{param.name}", param.describe())
        return int(raw)
    return float(raw)


def _clean_one(raw: Any, param: Param) -> Any:
    if param.kind == "band":
        value = "" if raw is None else raw
        if not isinstance(value, str) or (value.strip() and not BAND_NAME.match(value.strip())):
            raise RuleError(f"params.{param.name}", param.describe())
        return value.strip()
    return _number(raw, param)


def clean_params(kind: str, raw: Any) -> dict[str, Any]:
    """The parameters of a rule of ``kind`` as stored; missing ones take their default, unknown ones fail."""
    if kind not in PARAMS:
        raise RuleError("kind", f"one of {', '.join(PARAMS)}")
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise RuleError("params", "an object of parameters")
    known = {p.name for p in PARAMS[kind]}
    for name in raw:
        if name not in known:
            raise RuleError(f"params.{name}", f"not a parameter of this rule (it takes {', '.join(sorted(known))})")
    return {p.name: _clean_one(raw.get(p.name, p.default), p) for p in PARAMS[kind]}


def default_params(kind: str) -> dict[str, Any]:
    return {p.name: p.default for p in PARAMS[kind]}


# The set a tenant starts with (ensure_default_rules): one rule per kind, named for people.
DEFAULT_RULES: tuple[tuple[str, str, int], ...] = (
    (RuleKind.SCORE_DROP, "Health drops 15 points in 7 days", 3),
    (RuleKind.TURNS_RED, "Health turns red", 2),
    (RuleKind.FIRST_90_DAYS, "First 90 days at risk", 3),
    (RuleKind.RENEWAL_AT_RISK, "Renewal within 60 days while not green", 5),
    (RuleKind.DETRACTOR, "Detractor answer", 2),
    (RuleKind.NO_TRAINED_ADMIN, "No trained admin", 7),
    (RuleKind.USAGE_STOPS, "Usage stops for 14 days", 3),
)


# What each kind sees and what makes a new episode (health.alerts.evaluation), shown beside the rules.
KIND_DEFINITIONS: dict[str, str] = {
    RuleKind.SCORE_DROP: "The computed score of the day is at least X points below the score Y days before. One "
                         "alert per run of days on which the drop holds; a day it does not hold ends the episode.",
    RuleKind.TURNS_RED: "The band of the day is the red one (blank: the lowest band of the account's scorecard). "
                        "One alert per run of red days; red again after a better day is a new alert.",
    RuleKind.FIRST_90_DAYS: "Accounts between the grace day and day 90 after their start (contract start, else "
                            "creation): license utilization over the last 30 days below the threshold (seat gap), "
                            "or (active - trained) / active users above the share. One alert per start.",
    RuleKind.RENEWAL_AT_RISK: "The renewal date is within N days while the band is not the top band of the "
                              "account's scorecard. One alert per renewal date.",
    RuleKind.DETRACTOR: "An NPS answer from 0 to 6 submitted in the last N local days. One alert per answer.",
    RuleKind.NO_TRAINED_ADMIN: "No contact with the persona “admin” has completed a learning path, for accounts "
                               "started at least the grace days ago. One alert per contract start.",
    RuleKind.USAGE_STOPS: "The account had usage events, the last one before the N local days ending today. One "
                          "alert per last active day: usage that resumes and stops again is a new alert.",
}
ALERT_COUNT_DEFINITION = "Alerts: the causes this rule raised, ever (each opened one CSM task)."


def describe_params(kind: str, params: dict) -> str:
    """The parameters as people read them: ``Points dropped (at least): 15; Within days: 7``."""
    parts = []
    for p in PARAMS.get(kind, ()):
        value = params.get(p.name, p.default)
        shown = f"{value:.0%}" if p.kind == "share" else (value or "lowest band") if p.kind == "band" else value
        parts.append(f"{p.label}: {shown}")
    return "; ".join(parts)
