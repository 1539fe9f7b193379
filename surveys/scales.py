"""The scales and score bands of the survey kinds: the one place that says which scores a kind accepts
and which band (hence which follow-up question) a score falls in.

Bands (METRICS.md "Surveys"):
- NPS 0-10: detractor 0-6, passive 7-8, promoter 9-10 (the NPS formula's own cut-offs).
- CSAT 1-5: low 1-2, neutral 3, high 4-5 (CSAT % counts 4 and 5 as satisfied; <= 2 opens the closed loop).
- CES 1-7: low 1-3, neutral 4, high 5-7 (agreement that the issue was easy to handle).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Kind(models.TextChoices):
    CSAT = "csat", "CSAT"
    NPS = "nps", "NPS"
    CES = "ces", "CES"


class Band(models.TextChoices):
    DETRACTOR = "detractor", "Detractor"
    PASSIVE = "passive", "Passive"
    PROMOTER = "promoter", "Promoter"
    LOW = "low", "Low"
    NEUTRAL = "neutral", "Neutral"
    HIGH = "high", "High"


@dataclass(frozen=True)
class Scale:
    low: int
    high: int
    # (band, highest score of the band), lowest band first; the last band ends at ``high``.
    bands: tuple[tuple[str, int], ...]

    def accepts(self, score: int) -> bool:
        return self.low <= score <= self.high

    def band(self, score: int) -> str:
        for band, upper in self.bands:
            if score <= upper:
                return band
        raise ValueError(f"score {score} is outside {self.low}-{self.high}")


SCALES: dict[str, Scale] = {
    Kind.CSAT: Scale(1, 5, ((Band.LOW, 2), (Band.NEUTRAL, 3), (Band.HIGH, 5))),
    Kind.NPS: Scale(0, 10, ((Band.DETRACTOR, 6), (Band.PASSIVE, 8), (Band.PROMOTER, 10))),
    Kind.CES: Scale(1, 7, ((Band.LOW, 3), (Band.NEUTRAL, 4), (Band.HIGH, 7))),
}


def bands_of(kind: str) -> tuple[str, ...]:
    return tuple(band for band, _ in SCALES[kind].bands)


def score_error(kind: str, score: int) -> str | None:
    """Why ``score`` is not on ``kind``'s scale, or None."""
    scale = SCALES[kind]
    if not scale.accepts(score):
        return f"must be from {scale.low} to {scale.high} for a {Kind(kind).label} survey"
    return None
