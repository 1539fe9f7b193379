"""Which responses open the loop, and when their follow-up is due: the one place these are decided."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from surveys.scales import Kind

# METRICS.md: NPS detractors and CSAT <= 2. CES is not part of the loop (its low band is "hard to do",
# not an unhappy customer to call back).
NPS_LOW_MAX = 6
CSAT_LOW_MAX = 2
LOW = Q(survey__kind=Kind.NPS, score__lte=NPS_LOW_MAX) | Q(survey__kind=Kind.CSAT, score__lte=CSAT_LOW_MAX)

# Two business days: a reply the next working day is the norm the anchors (Qualtrics, Delighted) suggest
# for detractors, and two leave room for the CSM's own calendar. Mon-Fri; no holiday calendar (the support
# business calendars belong to support teams, not to CSMs).
FOLLOW_UP_BUSINESS_DAYS = 2
SWEEP_DAYS = 7  # the safety-net sweep looks this far back for low responses without a task


def is_low(kind: str, score: int) -> bool:
    return (kind == Kind.NPS and score <= NPS_LOW_MAX) or (kind == Kind.CSAT and score <= CSAT_LOW_MAX)


def add_business_days(day: dt.date, days: int) -> dt.date:
    """``days`` working days (Mon-Fri) after ``day``: Friday + 2 is Tuesday, Saturday + 2 is Tuesday."""
    while days > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day
