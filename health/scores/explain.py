"""The explanation of a change in an account's score from day a to day b (METRICS.md "Health"): per component,
contribution = its share of the score on b minus its share on a (share = weight x points / sum of the weights
with data that day). The arithmetic is health.scores.scoring's (exact fractions from the stored floats), so
the contributions add up exactly to score(b) - score(a), whatever scorecard versions the two rows were
computed with: a component that is in one row only counts 0 on the other day.

:func:`explain` is pure (two score rows' fields in, an :class:`Explanation` out); :func:`explain_spans` is
the selector that reads the rows of day b and of b minus each span in one query.

Decisions: a day without a stored row, or whose row has no score, gives no explanation and says why
(``reason``); the one-line text rounds for display to whole points (the rounded parts still add up to the
rounded change: largest remainder), names the largest absolute contributions first, leaves out the parts
that round to 0, and folds the ones after the fourth into "others", so the text always adds up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from accounts.models import CustomerAccount, Tenant
from health.scores.components import COMPONENTS
from health.scores.compute import CATEGORY_KEY, part_key
from health.scores.models import HealthScore
from health.scores.scoring import Part, contributions, rounded_contributions

SPANS = (7, 30)
TEXT_PARTS = 4


@dataclass(frozen=True)
class Day:
    """What an explanation needs of one day's row: its score and its components (as stored)."""

    day: dt.date
    score: float | None
    components: Sequence[Mapping]


@dataclass(frozen=True)
class Explanation:
    start: dt.date
    end: dt.date
    delta: float | None = None  # score(end) - score(start); None when either day has no score
    by_component: dict[str, float] = field(default_factory=dict)  # part key -> exact contribution
    rounded: dict[str, float] = field(default_factory=dict)  # whole points that add up to round(delta)
    labels: dict[str, str] = field(default_factory=dict)
    text: str = ""
    reason: str = ""  # why there is no explanation ("" when there is one)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def explained(self) -> bool:
        return self.delta is not None


def label_of(component: Mapping) -> str:
    known = COMPONENTS.get(component.get("key", ""))
    label = known.label if known else str(component.get("key", ""))
    return f"{label} ({component['category']})" if component.get("key") == CATEGORY_KEY else label


def parts_of(components: Sequence[Mapping]) -> list[Part]:
    return [Part(part_key(c), float(c["weight"]), None if c.get("points") is None else float(c["points"]))
            for c in components]


def _signed(value: float) -> str:
    return f"{value:+.0f}" if value else "0"


def _text(delta: float, rounded: Mapping[str, float], labels: Mapping[str, str], days: int) -> str:
    moving = sorted((k for k, v in rounded.items() if v), key=lambda k: (-abs(rounded[k]), labels[k]))
    named = [f"{labels[k]} {_signed(rounded[k])}" for k in moving[:TEXT_PARTS]]
    rest = sum(rounded[k] for k in moving[TEXT_PARTS:])
    if rest:
        named.append(f"others {_signed(rest)}")
    head = f"{_signed(round(delta))} in {days} day{'s' if days != 1 else ''}"
    return f"{head}: {', '.join(named)}" if named else f"{head}: no component moved by a whole point"


def explain(before: Day | None, after: Day | None, *, start: dt.date, end: dt.date) -> Explanation:
    """The change from ``before`` (the row of ``start``) to ``after`` (the row of ``end``); None = no row."""
    for row, day in ((before, start), (after, end)):
        if row is None:
            return Explanation(start, end, reason=f"no score was computed for {day.isoformat()}")
        if row.score is None:
            return Explanation(start, end, reason=f"no component had data on {day.isoformat()}")
    exact = contributions(parts_of(before.components), parts_of(after.components))
    labels = {}
    for row in (before, after):
        for component, part in zip(row.components, parts_of(row.components), strict=True):
            labels.setdefault(part.key, label_of(component))
    delta = sum(exact.values(), Fraction(0))
    rounded = rounded_contributions(exact, digits=0)
    return Explanation(start, end, delta=float(delta), by_component={k: float(v) for k, v in exact.items()},
                       rounded=rounded, labels=labels, text=_text(float(delta), rounded, labels, (end - start).days))


def explain_spans(*, tenant: Tenant, account: CustomerAccount, end: dt.date, spans: Sequence[int] = SPANS,
                  end_row: Day | None = None) -> dict[int, Explanation]:
    """The explanation of the change over each span (days) ending ``end``, from the stored rows (one query);
    ``end_row`` stands for the row of ``end`` when the caller has it (a score computed live, not stored)."""
    wanted = {end - dt.timedelta(days=n) for n in spans} | (set() if end_row else {end})
    rows = {r["day"]: Day(r["day"], r["score"], r["components"]) for r in HealthScore.objects.filter(
        tenant=tenant, account=account, day__in=wanted).values("day", "score", "components")}
    if end_row is not None:
        rows[end] = end_row
    return {n: explain(rows.get(end - dt.timedelta(days=n)), rows.get(end), start=end - dt.timedelta(days=n), end=end)
            for n in spans}
