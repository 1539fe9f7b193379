"""What the survey report page shows: each figure with its METRICS.md definition and its ``n``, greyed with its
90% interval when fewer than 10 responses stand behind it, and the monthly trend chart. No queries here:
surveys.reports.views fetches, this module formats."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cs_platform.web.charts import Bar, bars_with_line
from surveys.models import SuppressionReason
from surveys.reports.selectors import COUNTED_SUPPRESSIONS, NO_GROUP, NO_GROUP_MEANING
from surveys.reports.stats import small


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    definition: str  # METRICS.md "Surveys", as the report counts it (surveys.reports.selectors)


FIGURES = [
    Figure("nps", "NPS", "over NPS responses (0-10) submitted in the period: 100 * (count(score >= 9) - "
                         "count(score <= 6)) / count(*); from -100 to 100"),
    Figure("csat", "CSAT %", "over CSAT responses (scale 1-5) submitted in the period: 100 * count(score >= 4) / "
                             "count(*); the average is the mean score of the same responses"),
    Figure("ces", "CES", "mean of CES responses (1-7) submitted in the period"),
    Figure("invitations_sent", "Invitations sent", "invitations whose sent_at falls in the period"),
    Figure("response_rate", "Response rate", "responses / invitations sent, by invitation sent_at (responses "
                                             "counted whenever they arrive)"),
    Figure("suppressed", "Suppressed", "invitations not sent in the period (by suppressed_at) because of the "
                                       "fatigue budget, the contact's opt-out or a reopened ticket; every reason "
                                       "is listed below"),
]


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _interval_text(interval: list[float] | None) -> str:
    return "" if interval is None else f"90% interval {interval[0]:.1f} to {interval[1]:.1f}"


def cells(row: dict[str, Any]) -> list[dict[str, Any]]:
    """One cell per :data:`FIGURES`: ``value``, ``detail`` (n and parts), ``greyed`` and ``interval``."""
    nps, csat, ces = row["nps"], row["csat"], row["ces"]
    rate = row["response_rate"]
    reasons = ", ".join(f"{SuppressionReason(r).label}: {n}" for r, n in row["suppressed_by_reason"].items() if n)
    return [
        {"key": "nps", "value": _num(nps["score"]), "greyed": small(nps["n"]),
         "interval": _interval_text(nps["interval"]),
         "detail": f"n={nps['n']} ({nps['promoters']} promoters, {nps['passives']} passives, "
                   f"{nps['detractors']} detractors)"},
        {"key": "csat", "value": "—" if csat["pct"] is None else f"{csat['pct']:.1f}%", "greyed": small(csat["n"]),
         "interval": _interval_text(csat["interval"]), "detail": f"n={csat['n']}, average {_num(csat['avg'], 2)}"},
        {"key": "ces", "value": _num(ces["avg"], 2), "greyed": False, "interval": "", "detail": f"n={ces['n']}"},
        {"key": "invitations_sent", "value": str(row["invitations_sent"]), "greyed": False, "interval": "",
         "detail": ""},
        {"key": "response_rate", "value": "—" if rate is None else f"{rate * 100:.1f}%", "greyed": False,
         "interval": "", "detail": f"{row['responses']} of {row['invitations_sent']} answered"},
        {"key": "suppressed", "value": str(row["suppressed"]), "greyed": False, "interval": "",
         "detail": reasons or "none"},
    ]


def table(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"group": r["group"], "name": r["name"], "cells": cells(r)} for r in report["rows"]]


def reasons_total(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Every suppression reason over the report's rows (each invitation is in exactly one row), with whether
    METRICS.md's ``suppressed`` counts it."""
    totals = {r: 0 for r in SuppressionReason.values}
    for row in report["rows"]:
        for reason, n in row["suppressed_by_reason"].items():
            totals[reason] += n
    return [{"reason": r, "label": SuppressionReason(r).label, "n": n, "counted": r in COUNTED_SUPPRESSIONS}
            for r, n in totals.items()]


def no_group(group_by: str) -> tuple[str, str] | None:
    if group_by in NO_GROUP:
        return NO_GROUP[group_by], NO_GROUP_MEANING[group_by]
    return None


def trend_chart(trend: dict[str, Any]) -> Any:
    """CSAT % per month as bars (0-100; a month under 10 responses drawn muted). NPS can be negative, which
    bars from zero cannot show honestly: it is in the month table beside the chart instead."""
    bars = []
    for row in trend["rows"]:
        csat = row["csat"]
        pct = csat["pct"]
        title = (f"{row['group']}: CSAT {pct:.1f}% (n={csat['n']})" if pct is not None
                 else f"{row['group']}: no CSAT responses")
        bars.append(Bar(label=row["group"][2:], value=round(pct or 0), title=title, muted=csat["n"] < 10))
    return bars_with_line(bars, line_value=None, line_label="",
                          aria_label=f"CSAT % per month, {trend['from']} to {trend['to']}")


CSV_HEADER = ["group", "name", "nps", "nps_n", "promoters", "passives", "detractors", "nps_interval_low",
              "nps_interval_high", "csat_pct", "csat_avg", "csat_n", "csat_interval_low", "csat_interval_high",
              "ces_avg", "ces_n", "invitations_sent", "responses", "response_rate", "suppressed",
              *[f"suppressed_{r}" for r in SuppressionReason.values]]


def _blank(value: Any) -> Any:
    return "" if value is None else value


def csv_rows(report: dict[str, Any]) -> list[list[Any]]:
    """The report's rows unrounded, one line per group (the API's figures, flattened)."""
    out = []
    for r in report["rows"]:
        nps, csat, ces = r["nps"], r["csat"], r["ces"]
        nps_i, csat_i = nps["interval"] or [None, None], csat["interval"] or [None, None]
        out.append([_blank(v) for v in (
            r["group"], r["name"], nps["score"], nps["n"], nps["promoters"], nps["passives"], nps["detractors"],
            *nps_i, csat["pct"], csat["avg"], csat["n"], *csat_i, ces["avg"], ces["n"], r["invitations_sent"],
            r["responses"], r["response_rate"], r["suppressed"], *r["suppressed_by_reason"].values())])
    return out
